-- Shared by every Idem script. Record layout: one hash per key, fields
-- state (IN_PROGRESS | COMPLETED | RELEASED), token, owner, fingerprint, lease_until,
-- outcome_kind, outcome, created_at, expires_at; times are epoch milliseconds of the
-- Redis server clock. RELEASED is a tombstone that only keeps the token, so the next
-- claim still issues a larger one. Kept minimal: it runs on every call.
local key = KEYS[1]
local clock = redis.call('TIME')
local now_us = clock[1] * 1000000 + clock[2]
local now_ms = math.floor(now_us / 1000)

-- Lua numbers are doubles: tostring and '..' round them to 14 significant digits, and
-- redis.call formats a number argument with a slow '%.17g'. Integers are handed to Redis as
-- decimal strings made by '%d' (a C long: exact for every integer below 2^53, and the
-- cheapest conversion), each formatted once. Integers returned from a script are exact.
local function int(n)
  return string.format('%d', n)
end

-- True when the record is live: IN_PROGRESS or COMPLETED and not past its expiry
-- (Redis may not have evicted an expired hash yet).
local function is_live(state, expires_at)
  local expiry = tonumber(expires_at)
  return (state == 'IN_PROGRESS' or state == 'COMPLETED') and expiry ~= nil and expiry > now_ms
end
