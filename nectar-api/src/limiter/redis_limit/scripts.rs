//! The Lua scripts of [`RedisLimit`](super::RedisLimit): each runs atomically in Redis, with
//! Redis's clock (`TIME`).

use redis::Script;

/// Takes a slot if one is free: `{granted, wait_ms, epoch, allowed}`.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[3])
local epoch = tonumber(redis.call('HGET', KEYS[2], 'epoch') or 0)
local pause = tonumber(redis.call('HGET', KEYS[2], 'pause_until') or 0)
local allowed = math.max(1, math.floor(limit))
if pause > now then
  return {0, pause - now, epoch, allowed}
end
if redis.call('ZCARD', KEYS[1]) < allowed then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 4)
  redis.call('PEXPIRE', KEYS[2], 86400000)
  return {1, 0, epoch, allowed}
end
return {0, 0, epoch, allowed}
";

/// Renews the leases of the slots held (those still held): `ARGV[1]` the lease, then the ids.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease * 4)
return 1
";

/// Gives slots back and counts the answers since the last call, in one round trip: removes the
/// ids (`ARGV[5..]`), raises the limit by `1/limit` per answer (`ARGV[2]` of them) up to the
/// maximum (`ARGV[3]`; `ARGV[4]` the limit when none is kept), and tells the processes waiting
/// (a message on the channel `ARGV[1]`: how many slots were freed).
const RELEASE: &str = r"
local freed = 0
for i = 5, #ARGV do
  freed = freed + redis.call('ZREM', KEYS[1], ARGV[i])
end
local answers = math.min(tonumber(ARGV[2]), 1000)
if answers > 0 then
  local max = tonumber(ARGV[3])
  local limit = tonumber(redis.call('HGET', KEYS[2], 'limit') or ARGV[4])
  local raised = limit
  for i = 1, answers do
    if raised >= max then break end
    raised = math.min(max, raised + 1 / raised)
  end
  if raised ~= limit then redis.call('HSET', KEYS[2], 'limit', raised) end
end
if freed > 0 then redis.call('PUBLISH', ARGV[1], freed) end
return freed
";

/// A 429 or a timeout at `epoch`: halve the limit once per epoch; pause everyone for
/// `Retry-After` milliseconds (0: none); tell every process (`throttled <epoch> <pause ms>` on
/// the channel `ARGV[4]`), so none keeps handing its slots on.
const THROTTLED: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = tonumber(redis.call('HGET', KEYS[1], 'epoch') or 0)
local retry = tonumber(ARGV[2])
if retry > 0 then
  local pause = tonumber(redis.call('HGET', KEYS[1], 'pause_until') or 0)
  if now + retry > pause then redis.call('HSET', KEYS[1], 'pause_until', now + retry) end
end
if tonumber(ARGV[1]) == epoch then
  local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[3])
  epoch = epoch + 1
  redis.call('HSET', KEYS[1], 'limit', math.max(1, limit / 2), 'epoch', epoch)
end
redis.call('PEXPIRE', KEYS[1], 86400000)
redis.call('PUBLISH', ARGV[4], 'throttled ' .. epoch .. ' ' .. retry)
return 1
";

/// The scripts, each loaded once per process.
pub(super) struct Scripts {
    pub(super) acquire: Script,
    pub(super) renew: Script,
    pub(super) release: Script,
    pub(super) throttled: Script,
}

/// The Lua scripts, loaded once per process.
pub(super) fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        acquire: Script::new(ACQUIRE),
        renew: Script::new(RENEW),
        release: Script::new(RELEASE),
        throttled: Script::new(THROTTLED),
    })
}
