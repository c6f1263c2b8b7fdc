//! [`RedisLimit`]: one limit on requests in flight for every process on an API key, kept in
//! Redis.
//!
//! How it shares, adapts and falls back is on [`RedisLimit`].

use std::{
    collections::HashSet,
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use ::redis::{Script, aio::ConnectionManager};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, mpsc};

mod background;
mod scripts;

use background::{Signals, keep, listen};
use scripts::scripts;

use super::{Limit, LocalLimit, Slot};

/// The longest wait between two tries for a slot while no message tells of freed slots (the
/// subscription is down): tries start 1 ms apart and double up to this.
const MAX_POLL: Duration = Duration::from_millis(10);

/// With the subscription up, a waiter still tries again after this long without a message: a
/// slot also comes free when a dead process's lease ends, which nobody announces.
const QUIET_POLL: Duration = Duration::from_millis(50);

/// At most this many slot ids given back in one call to Redis.
const RELEASE_BATCH: usize = 64;

/// A slot freed while a request of the same process waits is handed to it directly, without a
/// round trip to Redis, at most this many times in a row; then it goes back to Redis, where
/// every process's waiters compete for it (so no process keeps slots from the others).
const MAX_HANDOFFS: u32 = 3;

/// A [`Limit`] shared through Redis by every process using the same API key.
///
/// - **Slots are leases.** Each request in flight holds a member of a sorted set, scored by when
///   its lease ends; a process renews the leases it holds together, every third of
///   [`RedisLimitBuilder::lease`]. A process killed with its slots taken gives them back when
///   their leases end: within one lease (default 10 s).
/// - **Slots are given back in the background** (a request's end cannot wait for Redis), in one
///   call with the answers counted since the last one. A process about to exit calls
///   [`RedisLimit::flush`] so its last slots come back now, not when their leases end.
/// - **Waiting is told, not polled**: every release publishes how many slots it freed, and each
///   process wakes that many of its waiters. While that subscription is down, waiters try again
///   1 to 10 ms apart; with it up, every 50 ms at most (a dead process's lease ends unannounced).
/// - **A freed slot goes first to a request of the same process that waits**, without a round
///   trip to Redis, but at most three times in a row and never after a `429` or a
///   `Retry-After` the process has heard of since the slot was taken; then it goes back to Redis,
///   where every process's waiters compete for it. A busy process cannot starve the others.
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
    /// The channel on which every release tells how many slots it freed.
    channel: String,
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
    /// The slots this process holds in Redis, renewed together every third of the lease.
    held: Mutex<HashSet<String>>,
    /// Slots given back, for the keeper task to remove in Redis (a drop cannot wait for Redis).
    releases: mpsc::UnboundedSender<String>,
    /// Slots given back and not yet removed in Redis (see [`RedisLimit::flush`]).
    unsent: AtomicUsize,
    /// Told when `unsent` reaches zero.
    sent: Notify,
    /// Answers (not throttled) since the keeper last told Redis: they raise the shared limit.
    answers: AtomicU64,
    /// What the messages on the channel tell (slots freed, limit lowered, pause).
    signals: Arc<Signals>,
    /// Requests of this process waiting for a slot now.
    waiting: AtomicUsize,
    /// Slots freed here while requests here waited: `(id, times handed on, epoch)`.
    handoff: Mutex<Vec<(String, u32, u64)>>,
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

    /// Waits until the slots this process has given back are free in Redis too (at most four
    /// times [`RedisLimitBuilder::timeout`]). Slots are given back in the background, as their
    /// requests end; a process about to exit calls this last, so the fleet gets its slots back
    /// now rather than when their leases end.
    ///
    /// ```no_run
    /// # async fn run(limit: nectar_api::limiter::RedisLimit) {
    /// // ... the last request is answered ...
    /// limit.flush().await;
    /// # }
    /// ```
    pub async fn flush(&self) {
        let shared = &self.shared;
        let _ = tokio::time::timeout(shared.timeout * 4, async {
            loop {
                let sent = shared.sent.notified();
                if shared.unsent.load(Ordering::Acquire) == 0 {
                    return;
                }
                sent.await;
            }
        })
        .await;
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

    /// Connects, and starts the two tasks that keep the limit (on the current Tokio runtime):
    /// one gives slots back and renews leases, one listens for slots freed by any process. Only
    /// a URL that is not one fails; Redis being unreachable, now or later, makes the limit fall
    /// back to the local share (with a warning) until it is back, never a request fail. The
    /// error does not show the URL (it may carry a password).
    pub async fn connect(self) -> Result<RedisLimit, RedisLimitError> {
        let client = ::redis::Client::open(self.url.as_str())
            .map_err(|e| RedisLimitError(format!("not a Redis URL ({})", e.category())))?;
        let key = &self.key;
        let (releases, released) = mpsc::unbounded_channel();
        let limit = RedisLimit {
            shared: Arc::new(Shared {
                client,
                connection: tokio::sync::Mutex::new(None),
                slots: format!("nectar:limit:{key}:slots"),
                state: format!("nectar:limit:{key}:state"),
                channel: format!("nectar:limit:{key}:freed"),
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
                held: Mutex::new(HashSet::new()),
                releases,
                unsent: AtomicUsize::new(0),
                sent: Notify::new(),
                answers: AtomicU64::new(0),
                signals: Arc::new(Signals {
                    freed: Notify::new(),
                    listening: AtomicBool::new(false),
                    epoch: AtomicU64::new(0),
                    paused_until: AtomicU64::new(0),
                    base: Instant::now(),
                }),
                waiting: AtomicUsize::new(0),
                handoff: Mutex::new(Vec::new()),
            }),
        };
        let shared = &limit.shared;
        spawn(keep(Arc::downgrade(shared), released));
        spawn(listen(
            Arc::downgrade(shared),
            shared.client.clone(),
            shared.channel.clone(),
            Arc::clone(&shared.signals),
            shared.timeout,
        ));
        // Connect now, so the first request does not wait for it; a failure is the fallback.
        let _ = shared.connection().await;
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
    /// The shared limit before any `429` or answer has moved it: half the maximum.
    fn initial_limit(&self) -> String {
        (self.max as f64 / 2.0).max(1.0).to_string()
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

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

    /// A slot held in Redis under `id` (taken at `epoch`, handed on `handoffs` times): renewed
    /// until dropped, then handed to a request of this process that waits (see
    /// [`MAX_HANDOFFS`]) or given back.
    fn slot(self: &Arc<Self>, id: String, epoch: u64, handoffs: u32) -> Slot {
        self.held().insert(id.clone());
        let shared = Arc::clone(self);
        Slot::new(epoch, move || {
            if handoffs < MAX_HANDOFFS
                && shared.waiting.load(Ordering::Acquire) > 0
                && shared.signals.current(epoch)
            {
                shared.handoffs().push((id, handoffs + 1, epoch));
                shared.signals.freed.notify_one();
                // The waiters may all have left meanwhile: then it goes back now.
                if shared.waiting.load(Ordering::Acquire) == 0 {
                    shared.release_handoffs();
                }
            } else {
                shared.release(id);
            }
        })
    }

    fn handoffs(&self) -> std::sync::MutexGuard<'_, Vec<(String, u32, u64)>> {
        self.handoff.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives a slot back (through the keeper task: a drop cannot wait for Redis).
    fn release(&self, id: String) {
        self.held().remove(&id);
        self.unsent.fetch_add(1, Ordering::AcqRel);
        if self.releases.send(id).is_err() {
            // The keeper is gone (its runtime ended): the lease ends on its own.
            self.unsent.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Gives back the slots waiting to be handed on (nobody here waits for them any more).
    fn release_handoffs(&self) {
        let stranded = std::mem::take(&mut *self.handoffs());
        for (id, _, _) in stranded {
            self.release(id);
        }
    }
}

/// Counts a request waiting for a slot while it waits (also when its future is dropped).
struct Waiting<'a>(&'a Arc<Shared>);

impl<'a> Waiting<'a> {
    fn new(shared: &'a Arc<Shared>) -> Self {
        shared.waiting.fetch_add(1, Ordering::AcqRel);
        Self(shared)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.release_handoffs();
        }
    }
}

impl Limit for RedisLimit {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>> {
        Box::pin(async move {
            let shared = &self.shared;
            let _waiting = Waiting::new(shared);
            let mut wait = Duration::from_millis(1);
            loop {
                if shared.is_down() {
                    let local = shared.fallback.acquire().await;
                    // A slot of the local fallback (epoch MAX: the shared limit is not told).
                    return Slot::new(u64::MAX, move || drop(local));
                }
                // Listening before asking, so a slot freed in between is not missed.
                let freed = shared.signals.freed.notified();
                let mut freed = std::pin::pin!(freed);
                freed.as_mut().enable();
                let handed = shared.handoffs().pop();
                if let Some((id, handoffs, epoch)) = handed {
                    if shared.signals.current(epoch) {
                        return shared.slot(id, epoch, handoffs);
                    }
                    shared.release(id);
                }
                let id = format!(
                    "{:x}-{}",
                    shared.process,
                    shared.next_lease.fetch_add(1, Ordering::Relaxed)
                );
                let reply: Option<(u8, u64, u64, usize)> = shared
                    .run(
                        &scripts().acquire,
                        &[&shared.slots, &shared.state],
                        &[
                            id.clone(),
                            duration_ms(shared.lease).to_string(),
                            shared.initial_limit(),
                        ],
                    )
                    .await;
                let Some((granted, wait_ms, epoch, allowed)) = reply else {
                    continue;
                };
                shared.signals.epoch.fetch_max(epoch, Ordering::AcqRel);
                shared
                    .allowed
                    .store(allowed.min(shared.max), Ordering::Relaxed);
                if granted == 1 {
                    return shared.slot(id, epoch, 0);
                }
                let pause = Duration::from_millis(wait_ms);
                if !pause.is_zero() {
                    shared.signals.pause(pause);
                    tokio::time::sleep(pause.min(Duration::from_secs(60))).await;
                } else if shared.signals.listening.load(Ordering::Acquire) {
                    let _ = tokio::time::timeout(QUIET_POLL, freed).await;
                } else {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_POLL);
                }
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
        // This process stops handing its slots on at once; the others when told.
        shared.signals.epoch.fetch_max(epoch + 1, Ordering::AcqRel);
        if let Some(pause) = retry_after {
            shared.signals.pause(pause);
        }
        spawn(async move {
            let _: Option<u8> = shared
                .run(
                    &scripts().throttled,
                    &[&shared.state],
                    &[
                        epoch.to_string(),
                        retry_ms.to_string(),
                        shared.initial_limit(),
                        shared.channel.clone(),
                    ],
                )
                .await;
        });
    }

    fn succeeded(&self, slot: &Slot) {
        if slot.epoch() != u64::MAX {
            // Told to Redis with the slot's release, in the same call.
            self.shared.answers.fetch_add(1, Ordering::Relaxed);
        }
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
