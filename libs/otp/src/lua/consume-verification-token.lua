-- Single use: deletes the verification token only if it was issued for this identifier and purpose.
-- KEYS[1] vtoken:{identifier}:SHA256(token)  ARGV[1] the expected payload "PURPOSE:identifier"
-- Returns the ms it had left (> 0) when consumed | 0 unknown, expired, already used, or issued for
-- something else. The ms left is what a restore may give back, so a restore never extends a token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local left = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
if left < 1 then return 1 end
return left
