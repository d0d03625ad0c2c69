-- release(KEYS[1]; ARGV: token, channel)
-- Returns 1 when the IN_PROGRESS record held with the token was released, else 0. The hash
-- stays as a RELEASED tombstone holding only the token, until the record's expiry.
local f = redis.call('HMGET', key, 'state', 'token', 'expires_at', 'lease_until')
check(f[1], f[2], f[4], f[3])
if f[1] ~= 'IN_PROGRESS' or f[2] ~= ARGV[1] or not is_live(f[1], f[3], clock()) then
  return 0
end
redis.call('HDEL', key, 'owner', 'fingerprint', 'lease_until', 'created_at', 'outcome_kind',
  'outcome')
redis.call('HSET', key, 'state', 'RELEASED')
redis.call('PUBLISH', ARGV[2], key)
return 1
