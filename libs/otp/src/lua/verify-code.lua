-- Checks a code and, when it matches, burns it and stores the verification token in the same step,
-- so of N concurrent correct attempts exactly one gets a token. Wrong guesses also count against
-- the identifier across re-sends: at the hourly limit it is locked for a cool-off (NIST SP 800-63B
-- §5.2.2 asks for a limit on failed attempts).
-- KEYS[1] otp:PURPOSE:{identifier}      hash {h, a}
-- KEYS[2] vtoken:{identifier}:SHA256(token)  the verification token to create on success
-- KEYS[3] otp:failures:{identifier}    wrong guesses in the hour since the first one
-- KEYS[4] otp:lock:{identifier}        present while the identifier is locked
-- ARGV[1] HMAC of the candidate, ARGV[2] max wrong attempts per code, ARGV[3] token TTL s,
-- ARGV[4] token payload, ARGV[5] wrong guesses per hour before a lock, ARGV[6] lock s
-- Returns {0, 0} verified | {1, attempts left} wrong | {2, 0} no active code
--       | {3, 0} wrong and this code is now burned | {4, seconds} identifier already locked
--       | {5, seconds} this guess locked the identifier
-- Comparing HMACs with == leaks nothing useful: the attacker cannot choose what the HMAC of a guess is.
local locked = redis.call('TTL', KEYS[4])
if locked > 0 then return {4, locked} end
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return {2, 0} end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])
  return {0, 0}
end
local failures = redis.call('INCR', KEYS[3])
if failures == 1 then redis.call('EXPIRE', KEYS[3], 3600) end
if failures >= tonumber(ARGV[5]) then
  -- The failure count stays until its hour is over, so after the lock one more wrong guess re-locks.
  redis.call('SET', KEYS[4], 1, 'EX', ARGV[6])
  redis.call('DEL', KEYS[1])
  return {5, tonumber(ARGV[6])}
end
local left = tonumber(ARGV[2]) - redis.call('HINCRBY', KEYS[1], 'a', 1)
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return {3, 0}
end
return {1, left}
