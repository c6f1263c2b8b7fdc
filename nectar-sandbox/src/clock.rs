//! The emulator's one clock: every "now" and "today" it uses (bills and their stamps, a
//! company's default data-collection start, invitation expiry, jobs, connection stamps, webhook
//! timestamps, `Retry-After` dates) is read here.
//!
//! A clock starts at a time (the wall clock's, read once, or one a test pins) and then moves with
//! the monotonic time elapsed since, plus whatever [`Clock::advance`] added. So a test that pins
//! the start gets the same dates on every day it runs, and a run under a faked wall clock (with
//! the monotonic clock left alone) sees time pass as usual.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, NaiveDate, Utc};

/// The emulator's clock. Clones share one clock: advancing one advances all.
#[derive(Debug, Clone)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// What the clock read when it was made.
    start: DateTime<Utc>,
    /// When it was made, on the monotonic clock.
    started: Instant,
    /// How far [`Clock::advance`] has moved it.
    advanced: Mutex<Duration>,
}

impl Clock {
    /// A clock that starts at the wall clock's time now (read once) and moves with elapsed time.
    pub fn system() -> Self {
        Self::starting_at(Utc::now())
    }

    /// A clock pinned to start at `start`, then moving with elapsed time.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Inner {
            start,
            started: Instant::now(),
            advanced: Mutex::new(Duration::ZERO),
        }))
    }

    /// The time now: the start, plus the time elapsed since, plus what was advanced. Saturates
    /// at the largest time chrono can hold instead of overflowing.
    pub fn now(&self) -> DateTime<Utc> {
        let advanced = *self
            .0
            .advanced
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let moved = self.0.started.elapsed().saturating_add(advanced);
        chrono::Duration::from_std(moved)
            .ok()
            .and_then(|moved| self.0.start.checked_add_signed(moved))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The UTC day of [`Clock::now`].
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves the clock forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let mut advanced = self
            .0
            .advanced
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *advanced = advanced.saturating_add(by);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_clock_starts_where_it_is_pinned_and_advances() {
        let start = DateTime::parse_from_rfc3339("2028-02-29T23:59:40Z")
            .unwrap()
            .to_utc();
        let clock = Clock::starting_at(start);
        let now = clock.now();
        assert!(now >= start && now - start < chrono::Duration::seconds(5));
        clock.clone().advance(Duration::from_secs(30));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2028, 3, 1).unwrap());
    }

    #[test]
    fn advancing_past_the_end_of_time_saturates() {
        let clock = Clock::starting_at(DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1));
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
    }
}
