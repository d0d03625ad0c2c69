-- release(KEYS[1]; ARGV: token (8 bytes), channel)
-- Returns 1 when the in-progress record held with the token was released, else 0. The record
-- becomes a tombstone that keeps only the token, until the record's expiry, so that the next
-- claim issues a larger token. Publishes the key only when a waiter watches the record.
local v, state = read()
if state ~= 'P' or string.sub(v, 9, 16) ~= ARGV[1] then
  return 0
end
redis.call('SET', key, header('R', '\0', '-', ARGV[1], 0, 0), 'KEEPTTL')
if string.byte(v, 7) == 1 then
  redis.call('PUBLISH', ARGV[2], key)
end
return 1
