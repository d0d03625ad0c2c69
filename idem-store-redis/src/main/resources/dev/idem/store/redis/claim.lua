-- claim(KEYS[1]; ARGV: record, px_ms, lease_ms)
-- The claim's second step, run only when its SET NX found an in-progress record or a tombstone
-- (or a value that vanished since). ARGV[1] is the in-progress record that SET tried to write;
-- its owner and fingerprint are kept, its token and times are replaced here.
-- Returns the new token when acquired, negated for a takeover; or the record that blocks the
-- claim as {value, expiry in epoch ms} (the expiry of a completed record is its own field).
local v, state = read()
if state == 'C' then
  return { v, 0 }
end
local now_ms, now_us = clock()
local previous, created, watched, takeover = 0, now_ms, '\0', false
if state == 'P' then
  local expiry = expiry_of()
  local lifetime, gap = struct.unpack('>I8I8', v, 17)
  if now_ms < expiry - gap then
    return { v, expiry }
  end
  -- the lease has ended: take the key over, keeping the record's creation and its watchers
  created, watched, takeover = expiry - lifetime, string.sub(v, 7, 7), true
end
if state then
  previous = struct.unpack('>I8', v, 9)
end
-- A token greater than the previous one, and than any issued before it when the clocks agree.
local token = math.max(previous + 1, now_us)
local expiry = now_ms + tonumber(ARGV[2])
local record = header('P', watched, '-', struct.pack('>I8', token), expiry - created,
  expiry - now_ms - tonumber(ARGV[3])) .. string.sub(ARGV[1], HEADER + 1)
redis.call('SET', key, record, 'PXAT', int(expiry))
if takeover then
  return -token
end
return token
