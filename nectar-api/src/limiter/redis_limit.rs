//! [`RedisLimit`]: one limit on requests in flight for every process on an API key, kept in
//! Redis.
//!
//! - **Slots are leases.** Each request in flight holds a member of a sorted set, scored by when
//!   its lease ends; a held slot renews its lease every third of [`RedisLimitBuilder::lease`]. A process
//!   killed with its slots taken gives them back when their leases end: within one lease
//!   (default 10 s).
//! - **The limit adapts for the whole fleet**, as [`LocalLimit`](super::LocalLimit) does in one
//!   process (half on a `429` once per window, `1/limit` up per answer), with its state in a Redis
//!   hash: a `429` or a timeout seen by one process lowers the limit for all, and a
//!   `Retry-After` pauses all of them.
//! - **Time is Redis's** (`TIME`), so the processes' clocks need not agree.
//! - **The key's name** is `nectar:limit:<first 16 hex digits of SHA-256 of the API key>`, never
//!   the key.
//! - **When Redis is slow or cannot be reached** (from the start, or later: a call takes longer than
//!   [`RedisLimitBuilder::timeout`], 250 ms by default, or fails), the process falls back to a local
//!   limit of its share ([`RedisLimitBuilder::fallback_share`], by default a quarter of the maximum,
//!   at least 1), says so in one `tracing` warning, and tries Redis again a second later. No
//!   request fails for Redis's sake. When Redis restarts empty, the leases and the limit start
//!   over: at most the maximum is in flight again within one round of acquisitions.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use ::redis::{Script, aio::ConnectionManager};
use sha2::{Digest, Sha256};

use super::{Limit, LocalLimit, Slot};

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

/// Renews a held slot's lease (if it is still held).
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
return 1
";

/// A 429 or a timeout at `epoch`: halve the limit once per epoch; pause everyone for
/// `Retry-After` milliseconds (0: none).
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
  redis.call('HSET', KEYS[1], 'limit', math.max(1, limit / 2), 'epoch', epoch + 1)
end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
";

/// An answer: raise the limit by `1/limit`, up to the maximum.
const SUCCEEDED: &str = r"
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit') or ARGV[2])
local max = tonumber(ARGV[1])
if limit < max then
  redis.call('HSET', KEYS[1], 'limit', math.min(max, limit + 1 / limit))
end
return 1
";

/// The longest wait between two tries for a slot when none is free.
const MAX_POLL: Duration = Duration::from_millis(10);

/// A [`Limit`] shared through Redis by every process using the same API key.
///
/// - **Slots are leases.** Each request in flight holds a member of a sorted set, scored by when
///   its lease ends; a held slot renews its lease every third of [`RedisLimitBuilder::lease`]. A process
///   killed with its slots taken gives them back when their leases end: within one lease
///   (default 10 s).
/// - **The limit adapts for the whole fleet**, as [`LocalLimit`](super::LocalLimit) does in one
///   process (half on a `429` once per window, `1/limit` up per answer), with its state in a Redis
///   hash: a `429` or a timeout seen by one process lowers the limit for all, and a
///   `Retry-After` pauses all of them.
/// - **Time is Redis's** (`TIME`), so the processes' clocks need not agree.
/// - **The key's name** is `nectar:limit:<first 16 hex digits of SHA-256 of the API key>`, never
///   the key.
/// - **When Redis is slow or cannot be reached** (from the start, or later: a call takes longer than
///   [`RedisLimitBuilder::timeout`], 250 ms by default, or fails), the process falls back to a local
///   limit of its share ([`RedisLimitBuilder::fallback_share`], by default a quarter of the maximum,
///   at least 1), says so in one `tracing` warning, and tries Redis again a second later. No
///   request fails for Redis's sake. When Redis restarts empty, the leases and the limit start
///   over: at most the maximum is in flight again within one round of acquisitions.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use nectar_api::{Client, limiter::RedisLimit};
///
/// let key = std::env::var("NECTAR_API_KEY")?;
/// let limit = RedisLimit::connect("redis://127.0.0.1:6379/", &key, 10).await?;
/// // Every process on the key builds its client with the same limit.
/// let client = Client::builder().api_key(key).limit(limit).build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisLimit {
    shared: Arc<Shared>,
}

struct Shared {
    client: ::redis::Client,
    /// The connection, once made; made again (at most once a second) while Redis is down.
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    slots: String,
    state: String,
    max: usize,
    lease: Duration,
    timeout: Duration,
    fallback: LocalLimit,
    /// When Redis last failed (the fallback is used until a second has passed).
    down_since: Mutex<Option<Instant>>,
    /// The last limit Redis reported (for [`Limit::current`]).
    allowed: AtomicUsize,
    next_lease: AtomicU64,
    process: u64,
}

impl fmt::Debug for RedisLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimit")
            .field("key", &self.shared.slots)
            .field("max", &self.shared.max)
            .field("lease", &self.shared.lease)
            .finish_non_exhaustive()
    }
}

/// Why [`RedisLimit::connect`] failed.
#[derive(Debug)]
pub struct RedisLimitError(String);

impl fmt::Display for RedisLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Redis limit could not start: {}", self.0)
    }
}

impl std::error::Error for RedisLimitError {}

impl RedisLimit {
    /// A limit of `max` requests in flight (at least 1) for `api_key`, in the Redis at `url`
    /// (`redis://host:port/db`), with the default lease, timeout and fallback share; see
    /// [`RedisLimit::builder`] for those.
    pub async fn connect(url: &str, api_key: &str, max: usize) -> Result<Self, RedisLimitError> {
        Self::builder(url, api_key).max(max).connect().await
    }

    /// Configures a limit for `api_key` in the Redis at `url`.
    pub fn builder(url: impl Into<String>, api_key: &str) -> RedisLimitBuilder {
        let digest = Sha256::digest(api_key.as_bytes());
        RedisLimitBuilder {
            url: url.into(),
            key: digest.iter().take(8).map(|b| format!("{b:02x}")).collect(),
            max: crate::client::DEFAULT_MAX_CONCURRENCY,
            lease: Duration::from_secs(10),
            timeout: Duration::from_millis(250),
            fallback_share: None,
        }
    }
}

/// Configures a [`RedisLimit`]; [`connect`](Self::connect) makes it.
#[derive(Clone)]
pub struct RedisLimitBuilder {
    url: String,
    /// The hash of the API key naming the Redis keys (never the key).
    key: String,
    max: usize,
    lease: Duration,
    timeout: Duration,
    fallback_share: Option<usize>,
}

impl fmt::Debug for RedisLimitBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry Redis's password: not shown.
        f.debug_struct("RedisLimitBuilder")
            .field("key", &self.key)
            .field("max", &self.max)
            .field("lease", &self.lease)
            .field("timeout", &self.timeout)
            .field("fallback_share", &self.fallback_share)
            .finish_non_exhaustive()
    }
}

impl RedisLimitBuilder {
    /// The most requests in flight for the whole fleet (default 10, as Nectar asks; at least 1).
    pub fn max(mut self, requests: usize) -> Self {
        self.max = requests.max(1);
        self
    }

    /// How long a slot's lease lasts without renewal (default 10 s; at least 1 s): a process
    /// killed while holding slots gives them back within this time.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// The longest a call to Redis may take before the local fallback is used (default
    /// 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// This process's limit while Redis cannot be reached (default: a quarter of the maximum,
    /// at least 1): size it as the maximum divided by the number of processes.
    pub fn fallback_share(mut self, requests: usize) -> Self {
        self.fallback_share = Some(requests.max(1));
        self
    }

    /// Connects. Only a URL that is not one fails; Redis being unreachable, now or later, makes
    /// the limit fall back to the local share (with a warning) until it is back, never a
    /// request fail. The error does not show the URL (it may carry a password).
    pub async fn connect(self) -> Result<RedisLimit, RedisLimitError> {
        let client = ::redis::Client::open(self.url.as_str())
            .map_err(|e| RedisLimitError(format!("not a Redis URL ({})", e.category())))?;
        let key = &self.key;
        let limit = RedisLimit {
            shared: Arc::new(Shared {
                client,
                connection: tokio::sync::Mutex::new(None),
                slots: format!("nectar:limit:{key}:slots"),
                state: format!("nectar:limit:{key}:state"),
                max: self.max,
                lease: self.lease,
                timeout: self.timeout,
                fallback: LocalLimit::new(
                    self.fallback_share.unwrap_or_else(|| self.max.div_ceil(4)),
                    false,
                ),
                down_since: Mutex::new(None),
                allowed: AtomicUsize::new((self.max / 2).max(1)),
                next_lease: AtomicU64::new(0),
                process: (u64::from(std::process::id()) << 32) ^ u64::from(getrandom_u32()),
            }),
        };
        // Connect now, so the first request does not wait for it; a failure is the fallback.
        let _ = limit.shared.connection().await;
        Ok(limit)
    }
}

fn getrandom_u32() -> u32 {
    let mut bytes = [0_u8; 4];
    // Only to tell processes' lease ids apart; a failure leaves zeros and the pid still differs.
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

impl Shared {
    /// Whether Redis is to be avoided now (it failed less than a second ago).
    fn is_down(&self) -> bool {
        let down = self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        down.is_some_and(|since| since.elapsed() < Duration::from_secs(1))
    }

    fn failed(&self, why: &str) {
        let mut down = self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down.is_none() {
            tracing::warn!(
                reason = why,
                share = self.fallback.current(),
                "Redis cannot be reached for the shared limit: this process keeps to its local share until it is back"
            );
        }
        *down = Some(Instant::now());
    }

    fn recovered(&self) {
        let mut down = self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down.take().is_some() {
            tracing::warn!("Redis is back: the shared limit applies again");
        }
    }

    /// The connection, made if there is none yet (within the timeout); `None` (and the fallback
    /// from now) when Redis cannot be reached.
    async fn connection(&self) -> Option<ConnectionManager> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        match tokio::time::timeout(
            self.timeout * 4,
            ConnectionManager::new(self.client.clone()),
        )
        .await
        {
            Ok(Ok(connection)) => {
                *slot = Some(connection.clone());
                Some(connection)
            }
            Ok(Err(error)) => {
                self.failed(error.category());
                None
            }
            Err(_) => {
                self.failed("connecting timed out");
                None
            }
        }
    }

    /// Runs `script` within the timeout; `None` (and the fallback from now) when it fails.
    async fn run<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[String],
    ) -> Option<T> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(arg.as_str());
        }
        let mut connection = self.connection().await?;
        match tokio::time::timeout(self.timeout, invocation.invoke_async::<T>(&mut connection))
            .await
        {
            Ok(Ok(value)) => {
                self.recovered();
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(error.category());
                None
            }
            Err(_) => {
                self.failed("timed out");
                None
            }
        }
    }
}

impl Limit for RedisLimit {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>> {
        Box::pin(async move {
            let shared = &self.shared;
            let scripts = scripts();
            let mut wait = Duration::from_millis(1);
            loop {
                if shared.is_down() {
                    let local = shared.fallback.acquire().await;
                    // A slot of the local fallback (epoch MAX: the shared limit is not told).
                    return Slot::new(u64::MAX, move || drop(local));
                }
                let id = format!(
                    "{:x}-{}",
                    shared.process,
                    shared.next_lease.fetch_add(1, Ordering::Relaxed)
                );
                let lease_ms = duration_ms(shared.lease);
                let reply: Option<(u8, u64, u64, usize)> = shared
                    .run(
                        &scripts.acquire,
                        &[&shared.slots, &shared.state],
                        &[
                            id.clone(),
                            lease_ms.to_string(),
                            (shared.max as f64 / 2.0).max(1.0).to_string(),
                        ],
                    )
                    .await;
                let Some((granted, wait_ms, epoch, allowed)) = reply else {
                    continue;
                };
                shared
                    .allowed
                    .store(allowed.min(shared.max), Ordering::Relaxed);
                if granted == 1 {
                    let renewer = Arc::clone(shared);
                    let lease_id = id.clone();
                    let renew = tokio::spawn(async move {
                        let every = renewer.lease / 3;
                        loop {
                            tokio::time::sleep(every).await;
                            let _: Option<u8> = renewer
                                .run(
                                    &scripts.renew,
                                    &[&renewer.slots],
                                    &[lease_id.clone(), duration_ms(renewer.lease).to_string()],
                                )
                                .await;
                        }
                    });
                    let releaser = Arc::clone(shared);
                    return Slot::new(epoch, move || {
                        renew.abort();
                        // Freed in the background: a drop cannot wait for Redis. Should it fail,
                        // the lease ends on its own.
                        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                            runtime.spawn(async move {
                                let Some(mut connection) = releaser.connection().await else {
                                    return;
                                };
                                let _ = tokio::time::timeout(
                                    releaser.timeout,
                                    ::redis::cmd("ZREM")
                                        .arg(&releaser.slots)
                                        .arg(&id)
                                        .query_async::<i64>(&mut connection),
                                )
                                .await;
                            });
                        }
                    });
                }
                let pause = Duration::from_millis(wait_ms);
                if !pause.is_zero() {
                    tokio::time::sleep(pause.min(Duration::from_secs(60))).await;
                    continue;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_POLL);
            }
        })
    }

    fn throttled(&self, slot: &Slot, retry_after: Option<Duration>) {
        let shared = Arc::clone(&self.shared);
        let epoch = slot.epoch();
        if epoch == u64::MAX {
            return;
        }
        let retry_ms = retry_after.map_or(0, duration_ms);
        spawn(async move {
            let _: Option<u8> = shared
                .run(
                    &scripts().throttled,
                    &[&shared.state],
                    &[
                        epoch.to_string(),
                        retry_ms.to_string(),
                        (shared.max as f64 / 2.0).max(1.0).to_string(),
                    ],
                )
                .await;
        });
    }

    fn succeeded(&self, slot: &Slot) {
        if slot.epoch() == u64::MAX {
            return;
        }
        let shared = Arc::clone(&self.shared);
        spawn(async move {
            let _: Option<u8> = shared
                .run(
                    &scripts().succeeded,
                    &[&shared.state],
                    &[
                        shared.max.to_string(),
                        (shared.max as f64 / 2.0).max(1.0).to_string(),
                    ],
                )
                .await;
        });
    }

    fn current(&self) -> usize {
        if self.shared.is_down() {
            self.shared.fallback.current()
        } else {
            self.shared.allowed.load(Ordering::Relaxed).max(1)
        }
    }
}

fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

struct Scripts {
    acquire: Script,
    renew: Script,
    throttled: Script,
    succeeded: Script,
}

/// The Lua scripts, loaded once per process.
fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        acquire: Script::new(ACQUIRE),
        renew: Script::new(RENEW),
        throttled: Script::new(THROTTLED),
        succeeded: Script::new(SUCCEEDED),
    })
}
