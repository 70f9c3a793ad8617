/**
 * The Lua scripts behind RedisLink.hit and hitFixed: each is one atomic round trip, so every
 * gateway of a fleet counts into the same number with no lost or doubled hit. Sent as EVALSHA;
 * a server that does not know the script yet (restarted, flushed, a new cluster node) answers
 * NOSCRIPT and the link sends it once with EVAL, which also loads it.
 */
import { createHash } from 'node:crypto';

export interface LuaScript { source: string; sha: string }

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Sliding-window counter. KEYS[1]: this window's count, KEYS[2]: the previous window's.
 * ARGV[1]: window length (ms), ARGV[2]: ms elapsed in this window, ARGV[3]: the hit's weight
 * (increment-count, or a token count for the LLM token limits; 0 reads without counting).
 * Returns this window's count (this hit included) plus the previous window's count weighted by
 * the share of the previous window still inside the sliding window, rounded UP: across a window
 * boundary the estimate errs strict (never lets more through than the limit), so a burst of N
 * calls straddling the boundary cannot pass 2 × limit as fixed windows do.
 * Keys expire two windows after they start: each is read as "previous" for one more window.
 */
export const SLIDING_HIT = script(`
local window = tonumber(ARGV[1])
local amount = tonumber(ARGV[3] or '1')
local cur
if amount > 0 then
  cur = redis.call('INCRBY', KEYS[1], amount)
  if cur == amount then redis.call('PEXPIRE', KEYS[1], 2 * window) end
else
  cur = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = (window - tonumber(ARGV[2])) / window
return cur + math.ceil(prev * weight)
`);

/**
 * Fixed-window counter (quotas). KEYS[1]: the window's count. ARGV[1]: when the window ends
 * (unix ms; 0 = never, for quotas that never renew), ARGV[2]: the hit's weight (increment-count or tokens; 0 reads without
 * counting). Returns the count, this hit included.
 */
export const FIXED_HIT = script(`
local ends = tonumber(ARGV[1])
local amount = tonumber(ARGV[2] or '1')
if amount == 0 then return tonumber(redis.call('GET', KEYS[1]) or '0') end
local c = redis.call('INCRBY', KEYS[1], amount)
if c == amount and ends > 0 then redis.call('PEXPIREAT', KEYS[1], ends) end
return c
`);
