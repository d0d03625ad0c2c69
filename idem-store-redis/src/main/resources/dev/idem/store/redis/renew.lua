-- renew(KEYS[1]; ARGV: token (8 bytes), lease_ms)
-- Returns 1 when the lease of the in-progress record held with the token was set to end lease_ms
-- from now, else 0. The expiry moves to the lease end if that is later, never earlier; the
-- lifetime moves with it, so that the creation time stays.
local v, state = read()
if state ~= 'P' or string.sub(v, 9, 16) ~= ARGV[1] then
  return 0
end
local now_ms = clock()
local expiry = expiry_of()
local lifetime = struct.unpack('>I8', v, 17)
local lease_end = now_ms + tonumber(ARGV[2])
local renewed = math.max(expiry, lease_end)
redis.call('SET', key,
  string.sub(v, 1, 16) .. struct.pack('>I8I8', lifetime + renewed - expiry, renewed - lease_end)
    .. string.sub(v, HEADER + 1),
  'PXAT', int(renewed))
return 1
