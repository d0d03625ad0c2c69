-- find(KEYS[1])
-- Returns the live record as the values of the fields read below, in that order (the order
-- RecordReplies decodes, the same as the claim script's), false for an absent field; or 0
-- when there is none.
local r = redis.call('HMGET', key, 'state', 'token', 'owner', 'fingerprint', 'lease_until',
  'outcome_kind', 'outcome', 'created_at', 'expires_at')
check(r[1], r[2], r[5], r[9])
if is_live(r[1], r[9], clock()) then
  return r
end
return 0
