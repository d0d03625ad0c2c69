-- renew(KEYS[1]; ARGV: token, lease_ms)
-- Returns 1 when the lease of the IN_PROGRESS record held with the token was extended, else 0.
local f = redis.call('HMGET', key, 'state', 'token', 'expires_at', 'lease_until')
check(f[1], f[2], f[4], f[3])
if f[1] ~= 'IN_PROGRESS' or f[2] ~= ARGV[1] then
  return 0
end
local now_ms = clock()
if not is_live(f[1], f[3], now_ms) then
  return 0
end
local lease_ms = now_ms + tonumber(ARGV[2])
local lease_until = int(lease_ms)
if lease_ms > tonumber(f[3]) then
  redis.call('HSET', key, 'lease_until', lease_until, 'expires_at', lease_until)
  redis.call('PEXPIREAT', key, lease_until)
else
  redis.call('HSET', key, 'lease_until', lease_until)
end
return 1
