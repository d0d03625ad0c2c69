-- Shared by every Idem script. A record is one string value (RecordCodec describes the layout):
--   bytes 1-5    magic '\0IDM' and format version 1
--   byte  6      state: 'P' in progress, 'C' completed, 'R' released (a tombstone)
--   byte  7      1 when a waiter watches the record (complete and release then PUBLISH), else 0
--   byte  8      outcome kind of a completed record: 'V', 'N' (void), 'E', 'D'; '-' otherwise
--   bytes 9-16   token, unsigned big-endian
--   bytes 17-32  two unsigned big-endian integers of milliseconds:
--                P: lifetime (expiry - creation) and lease gap (expiry - lease end), so that
--                   the key's own expiry (PEXPIRETIME) gives every instant on the Redis clock;
--                C: creation and expiry, epoch milliseconds of the Redis clock; R: zero
--   then, for P and C: owner (4-byte length, UTF-8), fingerprint (4-byte length, 0xFFFFFFFF for
--   none, UTF-8), and for C the outcome bytes to the end. A tombstone is the 32-byte header only.
-- The key expires with the record (PX/PXAT): Redis's own expiry is the record's.
local key = KEYS[1]
local MAGIC = '\0IDM\1'
local HEADER = 32
local NO_FINGERPRINT = 4294967295

local function corrupt()
  error({ err = 'IDEM_CORRUPT_RECORD the value is not a record of this store' })
end

-- Returns the state of a record value ('P', 'C' or 'R') after checking its whole structure;
-- fails the call closed on anything else, so that a foreign or damaged value is never taken for
-- absent (a claim would run the body again) and nothing is written over it.
local function state_of(v)
  if #v < HEADER or string.sub(v, 1, 5) ~= MAGIC or string.byte(v, 7) > 1 then
    corrupt()
  end
  local state, kind = string.sub(v, 6, 6), string.sub(v, 8, 8)
  if state == 'R' then
    if #v == HEADER and kind == '-' then
      return state
    end
    corrupt()
  end
  if (state == 'P' and kind == '-') or (state == 'C' and string.find('VNED', kind, 1, true)) then
    if #v >= HEADER + 8 then
      local owner = struct.unpack('>I4', v, HEADER + 1)
      if #v >= HEADER + 8 + owner then
        local fingerprint = struct.unpack('>I4', v, HEADER + 5 + owner)
        if fingerprint == NO_FINGERPRINT then
          fingerprint = 0
        end
        local size = HEADER + 8 + owner + fingerprint
        if #v == size or (state == 'C' and #v > size) then
          return state
        end
      end
    end
  end
  corrupt()
end

-- The value at the key (false when absent) and its state; a key of another type (a 0.1 hash)
-- fails the call with WRONGTYPE.
local function read()
  local v = redis.call('GET', key)
  if not v then
    return false, nil
  end
  return v, state_of(v)
end

-- The key's expiry in epoch milliseconds. Every record has one, so a key without one (PERSIST
-- by hand) fails the call closed rather than be read as a record created before 1970.
local function expiry_of()
  local at = redis.call('PEXPIRETIME', key)
  if at < 0 then
    corrupt()
  end
  return at
end

-- The Redis clock as (epoch milliseconds, epoch microseconds), from one TIME command.
local function clock()
  local t = redis.call('TIME')
  local us = t[1] * 1000000 + t[2]
  return math.floor(us / 1000), us
end

-- Lua numbers are doubles, exact below 2^53; so are the times and tokens (microseconds since
-- 1970 stay below 2^53 until the year 2255). Integers handed to Redis are formatted with '%d'.
local function int(n)
  return string.format('%d', n)
end

-- A header: state, watched byte, kind and token as strings, then the two numbers.
local function header(state, watched, kind, token, first, second)
  return MAGIC .. state .. watched .. kind .. token .. struct.pack('>I8I8', first, second)
end
