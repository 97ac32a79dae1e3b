-- Takes one SMS from the fleet-wide hourly budget, for all numbers and for one country, unless
-- either is spent. KEYS (one hash tag, one slot): [1] sent this hour, all numbers; [2] sent this hour
-- to the country; [3] and [4] "refusal already reported" markers for [1] and [2].
-- ARGV: [1] all-numbers limit (0: none), [2] per-country limit (0: none), [3] seconds left in the hour.
-- Returns {0, 0} when taken; {1 (all) or 2 (country), 1 if this is the window's first refusal of that scope, else 0}.
local maxTotal, maxCountry, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local total = tonumber(redis.call('GET', KEYS[1]) or '0')
local country = tonumber(redis.call('GET', KEYS[2]) or '0')
local scope = 0
if maxTotal > 0 and total >= maxTotal then
  scope = 1
elseif maxCountry > 0 and country >= maxCountry then
  scope = 2
end
if scope > 0 then
  local first = redis.call('SET', KEYS[2 + scope], '1', 'NX', 'EX', ttl)
  return { scope, first and 1 or 0 }
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ttl)
return { 0, 0 }
