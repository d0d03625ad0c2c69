-- watch(KEYS[1])
-- A duplicate is about to wait for the record: marks an IN_PROGRESS record so that its
-- completion or release is published, and returns 1; returns 0 for any other record (or
-- none), which the waiter then reads again at once instead of waiting for a message.
local f = redis.call('HMGET', key, 'state', 'token', 'expires_at', 'lease_until')
check(f[1], f[2], f[4], f[3])
if f[1] ~= 'IN_PROGRESS' then
  return 0
end
redis.call('HSET', key, 'waiters', '1')
return 1
