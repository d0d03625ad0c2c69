-- find(KEYS[1])
-- Returns the live record as {value, expiry in epoch ms} (0 for a completed record, whose expiry
-- is its own field), or 0 when there is none (absent, or a tombstone).
local v, state = read()
if not v or state == 'R' then
  return 0
end
if state == 'P' then
  return { v, expiry_of() }
end
return { v, 0 }
