-- The queue's counts and its newest dead letters; dead letters past their lifetime (dropped at the next
-- dead-lettering) are not counted.
-- KEYS[1] due, KEYS[2] failed, KEYS[3] dead, KEYS[4] delivered
-- ARGV[1] dead letters' lifetime ms, ARGV[2] the recent window ms, ARGV[3] how many dead letters to return
-- Returns {queued, delivered, dead-lettered, dead-lettered within the window, failed at, dead letter, ...}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cutoff = '(' .. (now - tonumber(ARGV[1]))
local result = {
  redis.call('ZCARD', KEYS[1]),
  tonumber(redis.call('GET', KEYS[4]) or '0'),
  redis.call('ZCOUNT', KEYS[2], cutoff, '+inf'),
  redis.call('ZCOUNT', KEYS[2], now - tonumber(ARGV[2]), '+inf'),
}
local letters = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', cutoff, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #letters, 2 do
  result[#result + 1] = letters[i + 1]
  result[#result + 1] = redis.call('HGET', KEYS[3], letters[i]) or '{}'
end
return result
