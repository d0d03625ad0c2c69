-- delete(KEYS[1]; ARGV: channel)
-- An operator's forced removal, whatever the key holds (even a value state_of would refuse, or
-- a 0.1 hash). Returns 1 when a record was removed, else 0. A record of this store leaves a
-- tombstone with its token until its expiry, as a release does, so that the next claim still
-- issues a larger token; anything else is deleted outright. Always publishes the key.
if redis.call('EXISTS', key) == 0 then
  return 0
end
local v = redis.pcall('GET', key)
local ok, state = false, nil
if type(v) == 'string' then
  ok, state = pcall(state_of, v)
end
if ok and state == 'R' then
  return 0
end
if ok then
  redis.call('SET', key, header('R', '\0', '-', string.sub(v, 9, 16), 0, 0), 'KEEPTTL')
else
  redis.call('DEL', key)
end
redis.call('PUBLISH', ARGV[1], key)
return 1
