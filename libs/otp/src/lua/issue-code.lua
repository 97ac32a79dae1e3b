-- Stores a new code for one (purpose, identifier), unless the identifier is locked, the resend
-- cooldown is running, or the hourly cap is reached.
-- KEYS[1] otp:PURPOSE:{identifier}      hash {h = HMAC of the code, a = wrong attempts so far}
-- KEYS[2] otp:cooldown:PURPOSE:{identifier}   present while a resend is refused
-- KEYS[3] otp:hourly:{identifier}      codes sent in the current hour window
-- KEYS[4] otp:lock:{identifier}        present while the identifier is locked (see verify-code.lua)
-- ARGV[1] code HMAC, ARGV[2] code TTL s, ARGV[3] cooldown s, ARGV[4] hourly cap
-- Returns {0, 0} issued | {1, seconds left} cooldown | {2, seconds left} hourly cap reached
--       | {3, seconds left} identifier locked
local locked = redis.call('TTL', KEYS[4])
if locked > 0 then return {3, locked} end
local cooldown = redis.call('TTL', KEYS[2])
if cooldown > 0 then return {1, cooldown} end
local sent = tonumber(redis.call('GET', KEYS[3]) or '0')
if sent >= tonumber(ARGV[4]) then
  local left = redis.call('TTL', KEYS[3])
  if left < 1 then left = 3600 end
  return {2, left}
end
if sent == 0 then redis.call('SET', KEYS[3], 1, 'EX', 3600) else redis.call('INCR', KEYS[3]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'a', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], 1, 'EX', ARGV[3]) end
return {0, 0}
