-- Takes up to ARGV[1] due messages for one worker: each is leased (not due again for ARGV[2] ms, after
-- which another worker may take it: a worker that died mid-send loses nothing) and its attempt counted.
-- KEYS[1] <prefix>:messages:due, KEYS[2] <prefix>:messages:jobs
-- KEYS[3] <prefix>:messages:attempts   hash: message id -> attempts started
-- Returns {id, data, attempt, id, data, attempt, ...}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local taken = {}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    taken[#taken + 1] = id
    taken[#taken + 1] = data
    taken[#taken + 1] = redis.call('HINCRBY', KEYS[3], id, 1)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return taken
