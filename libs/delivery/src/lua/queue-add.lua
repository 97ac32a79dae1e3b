-- Queues one message, due at once.
-- KEYS[1] <prefix>:messages:due    sorted set: message id -> when it may next be taken (ms, Redis's clock)
-- KEYS[2] <prefix>:messages:jobs   hash: message id -> its data (JSON: the sealed message, purpose, masked recipient)
-- ARGV[1] message id, ARGV[2] data
-- Redis's own clock throughout the queue's scripts, so workers and APIs on skewed hosts agree on what is due.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then redis.call('ZADD', KEYS[1], now, ARGV[1]) end
return 1
