//! The limit on the requests a client (and every clone of it) has in flight: the [`Limit`]
//! trait, and the default, [`LocalLimit`].
//!
//! One limit on the requests a client (and every clone of it) has in flight: Nectar asks
//! integrations for at most 10 concurrent requests. Adaptive by default: a `429` halves the
//! limit (once per window of requests sent under the old limit), every success raises it by
//! `1/limit` (about one per window), up to the configured maximum: additive increase,
//! multiplicative decrease, as TCP does. Near the limit where the last `429` came, it climbs
//! eight times slower, so it does not keep probing a ceiling it has just met (each probe that
//! fails costs a `Retry-After` wait). A second `429` at that same ceiling confirms it: the limit
//! settles one below it instead of halving, and climbs back sixty-four times slower.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tokio::sync::Notify;

#[cfg(feature = "redis")]
mod redis_limit;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_limit::{RedisLimit, RedisLimitBuilder, RedisLimitError};

/// Where a client's limit on requests in flight lives, and how it adapts. Every clone of a
/// client, and every `with_options` client made from it, shares its limit.
///
/// The default is [`LocalLimit`]: in this process, adaptive (AIMD). A fleet of processes on one
/// API key shares one budget through a limit kept outside the process (the `redis` feature's
/// `RedisLimit`). Set one with [`ClientBuilder::limit`](crate::ClientBuilder::limit).
pub trait Limit: Send + Sync + fmt::Debug + 'static {
    /// Waits for a slot; it is held until the returned [`Slot`] is dropped.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>>;
    /// The request sent under `slot` was answered `429` (with its `Retry-After`, if it had one)
    /// or ran out of time: the server is saturated.
    fn throttled(&self, slot: &Slot, retry_after: Option<Duration>);
    /// The request sent under `slot` was answered, not throttled.
    fn succeeded(&self, slot: &Slot);
    /// How many requests may be in flight now, under this limit as a whole.
    fn current(&self) -> usize;
}

/// A slot under a [`Limit`]: one request in flight. Dropping it frees the slot.
pub struct Slot {
    epoch: u64,
    release: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Slot {
    /// A slot taken when the limit was at `epoch` (a limit counts its decreases, so a burst of
    /// `429`s answering one window lowers it once); `release` runs when the slot is dropped.
    pub fn new(epoch: u64, release: impl FnOnce() + Send + Sync + 'static) -> Self {
        Self {
            epoch,
            release: Some(Box::new(release)),
        }
    }

    /// The limit's epoch when the slot was taken.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").field("epoch", &self.epoch).finish()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// The default [`Limit`]: in this process, shared by the clones of one client. Adaptive unless
/// built fixed; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct LocalLimit(Arc<Limiter>);

impl LocalLimit {
    /// At most `max` (at least 1) requests in flight; `adaptive`: start at half and adapt to
    /// `429`s and timeouts, else keep `max`.
    pub fn new(max: usize, adaptive: bool) -> Self {
        Self(Arc::new(Limiter::new(max, adaptive)))
    }
}

impl Limit for LocalLimit {
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Slot> + Send + '_>> {
        Box::pin(async move {
            let permit = self.0.acquire().await;
            let epoch = permit.epoch;
            Slot::new(epoch, move || drop(permit))
        })
    }

    fn throttled(&self, slot: &Slot, _retry_after: Option<Duration>) {
        self.0.throttled_at(slot.epoch);
    }

    fn succeeded(&self, _slot: &Slot) {
        self.0.succeeded();
    }

    fn current(&self) -> usize {
        self.0.current()
    }
}

/// The client-wide limit; shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    released: Notify,
    max: usize,
    adaptive: bool,
}

#[derive(Debug)]
struct State {
    /// The current limit; its floor is how many requests may be in flight.
    limit: f64,
    in_flight: usize,
    /// Counts decreases: a 429 lowers the limit only if its request was sent under the current
    /// one, so a burst of 429s answering one window halves the limit once, not once each.
    epoch: u64,
    /// The limit at which the last 429 came (the maximum before any).
    ceiling: f64,
    /// Whether `ceiling` is where a 429 came (not only the maximum).
    hit: bool,
    /// Whether two 429s in a row came at `ceiling`.
    confirmed: bool,
}

/// A slot for one attempt; freed when dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    /// Owned, so a permit can outlive the call that took it (a timed-out attempt's answer still
    /// coming keeps its slot).
    limiter: Arc<Limiter>,
    epoch: u64,
}

impl Limiter {
    /// At most `max` (at least 1) in flight; adaptive or fixed.
    pub(crate) fn new(max: usize, adaptive: bool) -> Self {
        let max = max.max(1);
        Self {
            state: Mutex::new(State {
                // A careful start: half the maximum (all of it when fixed), climbing by about one
                // a window while answers come; a burst of the whole maximum at once is what a
                // throttling server answers with a burst of 429s, each costing a Retry-After.
                limit: if adaptive {
                    (max as f64 / 2.0).max(1.0)
                } else {
                    max as f64
                },
                in_flight: 0,
                epoch: 0,
                ceiling: max as f64,
                hit: false,
                confirmed: false,
            }),
            released: Notify::new(),
            max,
            adaptive,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain numbers: usable even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many requests may be in flight now.
    pub(crate) fn current(&self) -> usize {
        allowed(self.state().limit)
    }

    /// Waits for a slot.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let released = self.released.notified();
            let mut released = std::pin::pin!(released);
            // Registered before the check, so a release between check and wait is not missed.
            released.as_mut().enable();
            {
                let mut state = self.state();
                if state.in_flight < allowed(state.limit) {
                    state.in_flight += 1;
                    return Permit {
                        limiter: Arc::clone(self),
                        epoch: state.epoch,
                    };
                }
            }
            released.await;
        }
    }

    /// The attempt under `permit` was throttled (429): halve the limit, once per window.
    #[cfg(test)]
    pub(crate) fn throttled(&self, permit: &Permit) {
        self.throttled_at(permit.epoch);
    }

    /// An attempt sent at `epoch` was throttled (429): halve the limit, once per window.
    pub(crate) fn throttled_at(&self, epoch: u64) {
        if !self.adaptive {
            return;
        }
        let mut state = self.state();
        if epoch == state.epoch {
            let at = state.limit;
            if state.hit && at + 1.0 >= state.ceiling {
                // The same ceiling again: it is the server's. Settle just under it.
                state.confirmed = true;
                state.limit = (at - 1.0).max(1.0);
            } else {
                state.confirmed = false;
                state.limit = (at / 2.0).max(1.0);
            }
            state.ceiling = at;
            state.hit = true;
            state.epoch = state.epoch.wrapping_add(1);
            tracing::debug!(
                limit = allowed(state.limit),
                "throttled: concurrency lowered"
            );
        }
    }

    /// The attempt was answered (not throttled): raise the limit by `1/limit`.
    pub(crate) fn succeeded(&self) {
        if !self.adaptive {
            return;
        }
        let raised = {
            let mut state = self.state();
            let before = allowed(state.limit);
            // Within one request of the last ceiling, probe eight times slower; sixty-four
            // times once that ceiling was met twice.
            let step = if state.limit + 1.0 >= state.ceiling {
                let slower = if state.confirmed { 64.0 } else { 8.0 };
                1.0 / (slower * state.limit)
            } else {
                1.0 / state.limit
            };
            state.limit = (state.limit + step).min(self.max as f64);
            allowed(state.limit) > before
        };
        if raised {
            self.released.notify_waiters();
        }
    }
}

/// Requests allowed in flight under `limit`: its floor, at least 1.
fn allowed(limit: f64) -> usize {
    (limit.floor() as usize).max(1)
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut state = self.limiter.state();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.limiter.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ceiling_met_twice_is_kept_just_under() {
        let limiter = Arc::new(Limiter::new(10, true));
        for _ in 0..2000 {
            limiter.succeeded();
        }
        // The server takes 5: a 429 at 10 halves; a second at 6 halves again (not the same
        // ceiling); a third at 6 confirms it, and the limit settles at 5.
        let throttle = |limiter: &Arc<Limiter>| {
            let limiter = Arc::clone(limiter);
            async move {
                let permit = limiter.acquire().await;
                limiter.throttled(&permit);
            }
        };
        throttle(&limiter).await;
        assert_eq!(limiter.current(), 5);
        while limiter.current() < 6 {
            limiter.succeeded();
        }
        throttle(&limiter).await;
        assert_eq!(limiter.current(), 3);
        while limiter.current() < 6 {
            limiter.succeeded();
        }
        throttle(&limiter).await;
        assert_eq!(
            limiter.current(),
            5,
            "settled just under the confirmed ceiling"
        );
        let mut climbed = 0;
        while limiter.current() < 6 {
            limiter.succeeded();
            climbed += 1;
        }
        assert!(
            climbed > 300,
            "it probes the confirmed ceiling rarely: after {climbed} answers"
        );
    }

    #[tokio::test]
    async fn at_most_the_limit_is_in_flight_and_a_release_wakes_a_waiter() {
        let limiter = Arc::new(Limiter::new(2, false));
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let third = limiter.acquire();
        let mut third = std::pin::pin!(third);
        assert!(futures_util::poll!(third.as_mut()).is_pending());
        drop(a);
        let _c = third.await;
        assert_eq!(limiter.state().in_flight, 2);
    }

    #[tokio::test]
    async fn a_burst_of_429s_halves_once_and_successes_raise_it_again() {
        let limiter = Arc::new(Limiter::new(10, true));
        assert_eq!(limiter.current(), 5, "a careful start: half the maximum");
        for _ in 0..2000 {
            limiter.succeeded();
        }
        assert_eq!(limiter.current(), 10, "answers raise it to the maximum");
        let permits: Vec<Permit> =
            futures_util::future::join_all((0..10).map(|_| limiter.acquire())).await;
        for permit in &permits {
            limiter.throttled(permit);
        }
        assert_eq!(limiter.current(), 5, "one window, one halving");
        drop(permits);
        let permit = limiter.acquire().await;
        limiter.throttled(&permit);
        assert_eq!(limiter.current(), 2);
        drop(permit);
        // From 2 after throttling at 5: quickly to 4, then slowly past the last ceiling.
        for _ in 0..5 {
            limiter.succeeded();
        }
        assert_eq!(limiter.current(), 4);
        for _ in 0..20 {
            limiter.succeeded();
        }
        assert_eq!(
            limiter.current(),
            4,
            "slow near the ceiling where the 429 came"
        );
        for _ in 0..2000 {
            limiter.succeeded();
        }
        assert_eq!(limiter.current(), 10, "back to the maximum, not past it");
        assert_eq!(
            Limiter::new(10, false).current(),
            10,
            "a fixed limit starts at it"
        );
        let fixed = Arc::new(Limiter::new(3, false));
        let permit = fixed.acquire().await;
        fixed.throttled(&permit);
        assert_eq!(fixed.current(), 3, "a fixed limit does not move");
        assert_eq!(Limiter::new(0, true).current(), 1);
    }
}
