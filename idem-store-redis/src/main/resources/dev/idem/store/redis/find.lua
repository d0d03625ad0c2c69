-- find(KEYS[1])
-- Returns {2, field, value, ...} with the live record, or {0} when there is none.
local f = redis.call('HMGET', key, 'state', 'expires_at')
if is_live(f[1], f[2]) then
  return record_reply(2)
end
return {0}
