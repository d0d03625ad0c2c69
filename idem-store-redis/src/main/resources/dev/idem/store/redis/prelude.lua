-- Shared by every Idem script. Record layout: one hash per key, fields
-- state (IN_PROGRESS | COMPLETED | RELEASED), token, owner, fingerprint, lease_until,
-- outcome_kind, outcome, created_at, expires_at; times are epoch milliseconds of the Redis
-- server clock. The hash expires at expires_at (PEXPIREAT); a
-- hash still present past expires_at is read as absent. RELEASED is a tombstone that only keeps the token, so
-- the next claim still issues a larger one. Any other hash fails the call (check, below).
-- Kept minimal: it runs on every call.
local key = KEYS[1]

-- The Redis clock as (epoch milliseconds, epoch microseconds): one TIME command, called by
-- the paths that need it, after the checks that end a call early (a stale token, for one).
local function clock()
  local t = redis.call('TIME')
  local us = t[1] * 1000000 + t[2]
  return math.floor(us / 1000), us
end

-- Lua numbers are doubles: tostring and '..' round them to 14 significant digits, and
-- redis.call formats a number argument with a slow '%.17g'. Integers are handed to Redis as
-- decimal strings made by '%d' (a C long: exact for every integer below 2^53, and the
-- cheapest conversion), each formatted once. Integers returned from a script are exact.
local function int(n)
  return string.format('%d', n)
end

-- True when v is a string of decimal digits (tonumber would also take ' 42', '0x2a', '4e1').
local function is_int(v)
  return v and string.find(v, '^%d+$') ~= nil
end

-- Fails the call closed on a hash this store did not write as it is: an unknown state, or
-- none while the hash exists; a token or expiry that is not a number; an in-progress record
-- without a lease. Such a record is never taken for absent (a claim would run the body
-- again), and nothing is written to it. Costs one EXISTS, only when the key has no state.
local function check(state, token, lease_until, expires_at)
  if state == 'IN_PROGRESS' or state == 'COMPLETED' then
    if is_int(token) and is_int(expires_at) and (state == 'COMPLETED' or is_int(lease_until)) then
      return
    end
  elseif state == 'RELEASED' then
    if is_int(token) then
      return
    end
  elseif not state and redis.call('EXISTS', key) == 0 then
    return
  end
  error({ err = 'IDEM_CORRUPT_RECORD the record has an unknown state or malformed fields' })
end

-- True when the record is live: IN_PROGRESS or COMPLETED and not past its expiry at now_ms.
local function is_live(state, expires_at, now_ms)
  local expiry = tonumber(expires_at)
  return (state == 'IN_PROGRESS' or state == 'COMPLETED') and expiry ~= nil and expiry > now_ms
end
