-- Single use: deletes the verification token only if it was issued for this identifier and purpose.
-- KEYS[1] vtoken:{identifier}:SHA256(token)  ARGV[1] the expected payload "PURPOSE:identifier"
-- Returns 1 consumed | 0 unknown, expired, already used, or issued for something else
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
