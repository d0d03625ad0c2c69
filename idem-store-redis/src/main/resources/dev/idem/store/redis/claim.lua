-- claim(KEYS[1]; ARGV: lease_ms, ttl_ms, owner, has_fingerprint ('1' | '0'), fingerprint)
-- Returns {1, token, takeover (1 | 0)} when acquired, or {2, field, value, ...} with the
-- live record that blocks the claim.
-- One read of the whole hash serves every path: a replay or a live lease returns it as is.
local h = redis.call('HGETALL', key)
local state, token, lease, expires, created, stale
for i = 1, #h, 2 do
  local name = h[i]
  if name == 'state' then state = h[i + 1]
  elseif name == 'token' then token = h[i + 1]
  elseif name == 'lease_until' then lease = h[i + 1]
  elseif name == 'expires_at' then expires = h[i + 1]
  elseif name == 'created_at' then created = h[i + 1]
  elseif name == 'outcome_kind' or name == 'outcome'
      or (name == 'fingerprint' and ARGV[4] ~= '1') then
    stale = stale or {}
    stale[#stale + 1] = name
  end
end
local live = is_live(state, expires)
if live and (state == 'COMPLETED' or tonumber(lease) > now_ms) then
  table.insert(h, 1, 2)
  return h
end
-- Absent, expired, released, or IN_PROGRESS with an ended lease (a takeover).
-- The token is max(previous + 1, TIME in microseconds), exact below 2^53.
local next_token = math.max((tonumber(token) or 0) + 1, now_us)
local lease_until = now_ms + tonumber(ARGV[1])
local expires_at = int(math.max(lease_until, now_ms + tonumber(ARGV[2])))
if not (live and created) then
  created = int(now_ms)
end
if stale then
  redis.call('HDEL', key, unpack(stale))
end
if ARGV[4] == '1' then
  redis.call('HSET', key, 'state', 'IN_PROGRESS', 'token', int(next_token), 'owner', ARGV[3],
    'lease_until', int(lease_until), 'created_at', created, 'expires_at', expires_at,
    'fingerprint', ARGV[5])
else
  redis.call('HSET', key, 'state', 'IN_PROGRESS', 'token', int(next_token), 'owner', ARGV[3],
    'lease_until', int(lease_until), 'created_at', created, 'expires_at', expires_at)
end
redis.call('PEXPIREAT', key, expires_at)
if live then
  return {1, next_token, 1}
end
return {1, next_token, 0}
