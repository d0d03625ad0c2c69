-- claim(KEYS[1]; ARGV: lease_ms, ttl_ms, owner, has_fingerprint ('1' | '0'), fingerprint)
-- Returns {1, token, takeover (1 | 0)} when acquired, or {2, field, value, ...} with the
-- live record that blocks the claim.
local f = redis.call('HMGET', key, 'state', 'token', 'lease_until', 'expires_at', 'created_at')
local state = f[1]
local live = is_live(state, f[4])
if live and (state == 'COMPLETED' or tonumber(f[3]) > now_ms) then
  return record_reply(2)
end
-- Absent, expired, released, or IN_PROGRESS with an ended lease (a takeover).
local takeover = live
local previous = tonumber(f[2]) or 0
local token = redis.call('HINCRBY', key, 'token', int(math.max(1, now_us - previous)))
local lease_until = now_ms + tonumber(ARGV[1])
local expires_at = math.max(lease_until, now_ms + tonumber(ARGV[2]))
local created_at = now_ms
if takeover then
  created_at = tonumber(f[5]) or now_ms
end
redis.call('HDEL', key, 'fingerprint', 'outcome_kind', 'outcome')
redis.call('HSET', key, 'state', 'IN_PROGRESS', 'owner', ARGV[3], 'lease_until', int(lease_until),
  'created_at', int(created_at), 'expires_at', int(expires_at))
if ARGV[4] == '1' then
  redis.call('HSET', key, 'fingerprint', ARGV[5])
end
redis.call('PEXPIREAT', key, int(expires_at))
if takeover then
  return {1, token, 1}
end
return {1, token, 0}
