-- Records how one attempt ended, if it is still the message's latest attempt (a worker whose lease ran
-- out, and whose message another worker took, changes nothing).
-- KEYS[1] due, KEYS[2] jobs, KEYS[3] attempts, KEYS[4] <prefix>:messages:failed (sorted set: id -> when
-- dead-lettered), KEYS[5] <prefix>:messages:dead (hash: id -> the dead letter, JSON),
-- KEYS[6] <prefix>:messages:delivered (a counter)
-- ARGV[1] message id, ARGV[2] the attempt, ARGV[3] 'delivered' | 'retry' | 'dead'
-- ARGV[4] retry: the wait in ms; dead: the dead letter; ARGV[5] dead letters' lifetime ms, ARGV[6] most kept
-- Returns 1, or 0 when the attempt was not the latest.
local id = ARGV[1]
if redis.call('HGET', KEYS[3], id) ~= ARGV[2] then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[3] == 'retry' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), id)
  return 1
end
redis.call('ZREM', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
if ARGV[3] == 'delivered' then
  redis.call('INCR', KEYS[6])
  return 1
end
-- Scored to the microsecond: two letters within one millisecond still list newest first.
redis.call('ZADD', KEYS[4], tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000, id)
redis.call('HSET', KEYS[5], id, ARGV[4])
-- Kept for a while and up to a number, oldest dropped first: a flood of refused addresses cannot fill Redis.
local cutoff = now - tonumber(ARGV[5])
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff)) do redis.call('HDEL', KEYS[5], old) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
local excess = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[6])
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do redis.call('HDEL', KEYS[5], old) end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, excess - 1)
end
return 1
