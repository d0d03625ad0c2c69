-- complete(KEYS[1]; ARGV: token (8 bytes), ttl_ms, outcome kind (1 byte), outcome, channel)
-- Returns 1 when the in-progress record held with the token was completed, else 0. Publishes
-- the key on the channel only when a waiter watches the record.
local v, state = read()
if state ~= 'P' or string.sub(v, 9, 16) ~= ARGV[1] then
  return 0
end
local now_ms = clock()
local created = expiry_of() - struct.unpack('>I8', v, 17)
local expiry = now_ms + tonumber(ARGV[2])
redis.call('SET', key,
  header('C', '\0', ARGV[3], ARGV[1], created, expiry) .. string.sub(v, HEADER + 1) .. ARGV[4],
  'PXAT', int(expiry))
if string.byte(v, 7) == 1 then
  redis.call('PUBLISH', ARGV[5], key)
end
return 1
