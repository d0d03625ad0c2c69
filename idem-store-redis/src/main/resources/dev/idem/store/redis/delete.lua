-- delete(KEYS[1]; ARGV: channel)
-- An operator's forced removal, whatever the record holds (even a hash check() would refuse).
-- Returns 1 when a record was removed, else 0. A record with a readable token leaves a
-- RELEASED tombstone with that token until its expiry, as a release does, so that the next
-- claim still issues a larger token; anything else is deleted outright.
if redis.call('EXISTS', key) == 0 then
  return 0
end
local f = redis.call('HMGET', key, 'state', 'token', 'expires_at')
if f[1] == 'RELEASED' then
  return 0
end
redis.call('DEL', key)
if is_int(f[2]) and is_int(f[3]) and tonumber(f[3]) > clock() then
  redis.call('HSET', key, 'state', 'RELEASED', 'token', f[2], 'expires_at', f[3])
  redis.call('PEXPIREAT', key, f[3])
end
redis.call('PUBLISH', ARGV[1], key)
return 1
