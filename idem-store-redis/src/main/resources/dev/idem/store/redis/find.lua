-- find(KEYS[1])
-- Returns {2, field, value, ...} with the live record, or {0} when there is none.
local h = redis.call('HGETALL', key)
local state, expires
for i = 1, #h, 2 do
  local name = h[i]
  if name == 'state' then state = h[i + 1]
  elseif name == 'expires_at' then expires = h[i + 1]
  end
end
if is_live(state, expires) then
  table.insert(h, 1, 2)
  return h
end
return {0}
