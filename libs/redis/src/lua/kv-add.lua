-- Adds to a counter whose window starts with its first count, in one step: no counter is ever
-- left without its expiry. A negative amount (an attempt given back) never starts a window.
-- KEYS[1] the counter   ARGV[1] amount   ARGV[2] window length in ms
-- Returns {count after the addition, ms until the window ends}
local amount = tonumber(ARGV[1])
if amount < 0 and redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local count = redis.call('INCRBY', KEYS[1], amount)
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}
