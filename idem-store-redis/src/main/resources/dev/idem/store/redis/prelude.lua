-- Shared by every Idem script. Record layout: one hash per key, fields
-- state (IN_PROGRESS | COMPLETED | RELEASED), token, owner, fingerprint, lease_until,
-- outcome_kind, outcome, created_at, expires_at; times are epoch milliseconds of the
-- Redis server clock. RELEASED is a tombstone that only keeps the token, so the next
-- claim still issues a larger one. Kept minimal: it runs on every call.
local key = KEYS[1]
local clock = redis.call('TIME')
local now_us = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local now_ms = math.floor(now_us / 1000)

-- Lua numbers are doubles and redis.call formats them with 14 significant digits:
-- integers are handed to Redis as exact decimal strings instead.
local function int(n)
  return string.format('%.0f', n)
end

-- True when the record is live: IN_PROGRESS or COMPLETED and not past its expiry
-- (Redis may not have evicted an expired hash yet).
local function is_live(state, expires_at)
  local expiry = tonumber(expires_at)
  return (state == 'IN_PROGRESS' or state == 'COMPLETED') and expiry ~= nil and expiry > now_ms
end
