-- claim(KEYS[1]; ARGV: lease_ms, ttl_ms, owner, has_fingerprint ('1' | '0'), fingerprint)
-- Returns the new token as an integer when acquired, negated for a takeover; or the live
-- record that blocks the claim: the values of the fields read below, in that order (the
-- order RecordReplies decodes), false for an absent field.
-- One read of the record serves every path: a replay or a live lease returns it as is.
local r = redis.call('HMGET', key, 'state', 'token', 'owner', 'fingerprint', 'lease_until',
  'outcome_kind', 'outcome', 'created_at', 'expires_at')
local state = r[1]
check(state, r[2], r[5], r[9])
local now_ms, now_us = clock()
local live = is_live(state, r[9], now_ms)
if live and (state == 'COMPLETED' or tonumber(r[5]) > now_ms) then
  return r
end
-- Absent, expired, released, or IN_PROGRESS with an ended lease (a takeover).
-- The token is max(previous + 1, TIME in microseconds), exact below 2^53.
local next_token = math.max((tonumber(r[2]) or 0) + 1, now_us)
local lease_until = now_ms + tonumber(ARGV[1])
local expires_at = int(math.max(lease_until, now_ms + tonumber(ARGV[2])))
local created = live and r[8] or int(now_ms)
-- Fields of an earlier record that the new claim does not overwrite (a fingerprint given now
-- is written again just below).
if r[6] or r[7] or (r[4] and ARGV[4] ~= '1') then
  redis.call('HDEL', key, 'outcome_kind', 'outcome', 'fingerprint')
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
  return -next_token
end
return next_token
