-- complete(KEYS[1]; ARGV: token, ttl_ms, outcome_kind, outcome, channel)
-- Returns 1 when the IN_PROGRESS record held with the token was completed, else 0.
-- lease_until stays: a completed record ignores it.
local f = redis.call('HMGET', key, 'state', 'token', 'expires_at', 'lease_until')
check(f[1], f[2], f[4], f[3])
if f[1] ~= 'IN_PROGRESS' or f[2] ~= ARGV[1] then
  return 0
end
local now_ms = clock()
if not is_live(f[1], f[3], now_ms) then
  return 0
end
local expires_at = int(now_ms + tonumber(ARGV[2]))
redis.call('HSET', key, 'state', 'COMPLETED', 'outcome_kind', ARGV[3], 'outcome', ARGV[4],
  'expires_at', expires_at)
redis.call('PEXPIREAT', key, expires_at)
redis.call('PUBLISH', ARGV[5], key)
return 1
