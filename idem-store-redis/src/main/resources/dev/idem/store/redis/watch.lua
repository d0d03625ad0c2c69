-- watch(KEYS[1])
-- A waiter is about to wait for the record: marks an in-progress record as watched, so that its
-- completion or release is published, and returns 1; returns 0 when there is no in-progress
-- record (the waiter then looks again at once instead of waiting for a message).
local v, state = read()
if state ~= 'P' then
  return 0
end
if string.byte(v, 7) == 0 then
  redis.call('SETRANGE', key, 6, '\1')
end
return 1
