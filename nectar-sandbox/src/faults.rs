//! Fault injection: which request gets which fault, decided from a seed and the request's number,
//! so the same configuration gives the same faults on the same requests every run.

pub(crate) mod inject;

use std::{collections::BTreeMap, time::Duration};

use super::store::mix;

/// A fault the emulator can answer a request with instead of (or before) the real answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// `429 Too Many Requests`, with a `Retry-After` header when given.
    TooManyRequests(Option<RetryAfter>),
    /// `502 Bad Gateway` with an HTML body, as a gateway would send it. The request is not
    /// applied.
    BadGateway,
    /// `503 Service Unavailable` with a JSON `detail`. The request is not applied.
    ServiceUnavailable,
    /// Close the connection without answering. The request is not applied.
    Drop,
}

impl Fault {
    /// A short name for reports: `delay`, `429`, `502`, `503`, `drop`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Delay(_) => "delay",
            Fault::TooManyRequests(_) => "429",
            Fault::BadGateway => "502",
            Fault::ServiceUnavailable => "503",
            Fault::Drop => "drop",
        }
    }
}

/// The `Retry-After` header of a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP date>`, this far in the future (whole seconds).
    Date(Duration),
}

/// Which requests fail and how. Requests are numbered from 1 in the order the emulator receives
/// them.
///
/// ```
/// use std::time::Duration;
/// use nectar_sandbox::{Fault, Faults, RetryAfter};
///
/// let faults = Faults::seeded(7)
///     .rate(0.2, [Fault::TooManyRequests(Some(RetryAfter::Seconds(1))), Fault::BadGateway])
///     .on_request(1, Fault::ServiceUnavailable)
///     .latency(Duration::from_millis(25));
/// assert_eq!(faults.decide(1), Some(Fault::ServiceUnavailable));
/// assert_eq!(faults.decide(99), faults.decide(99), "deterministic");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    seed: u64,
    rate: f64,
    kinds: Vec<Fault>,
    on_request: BTreeMap<u64, Fault>,
    latency: Duration,
    throttle_above: Option<(usize, u64)>,
    added_fields: Vec<(String, serde_json::Value)>,
}

impl Faults {
    /// No faults yet; `seed` decides which requests the rate hits.
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Each request fails with probability `rate` (0 to 1), with one of `kinds` chosen evenly.
    pub fn rate(mut self, rate: f64, kinds: impl IntoIterator<Item = Fault>) -> Self {
        self.rate = rate;
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Request number `n` (from 1) fails with `fault`, whatever the rate says.
    pub fn on_request(mut self, n: u64, fault: Fault) -> Self {
        self.on_request.insert(n, fault);
        self
    }

    /// Every request waits this long before it is handled.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The added latency.
    pub fn added_latency(&self) -> Duration {
        self.latency
    }

    /// Answers `429` with `Retry-After: <retry_after_seconds>` to a request that arrives while
    /// more than `max_in_flight` others are being handled, as a rate-limited API would; the
    /// throttled request is not handled.
    pub fn throttle_above(mut self, max_in_flight: usize, retry_after_seconds: u64) -> Self {
        self.throttle_above = Some((max_in_flight, retry_after_seconds));
        self
    }

    /// Every JSON object of every successful answer (the answer itself, each element of a page,
    /// each nested object) gets the field `name` with `value` too, where it has no such field:
    /// as if Nectar had added a field the bindings do not know yet. To check that a client
    /// keeps working through such a change, and notices it (`nectar_api::drift`).
    ///
    /// ```
    /// use nectar_sandbox::Faults;
    ///
    /// let faults = Faults::seeded(1).add_field("carbonIntensity", serde_json::json!(0.4));
    /// assert_eq!(faults.added_fields().len(), 1);
    /// ```
    pub fn add_field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.added_fields.push((name.into(), value));
        self
    }

    /// The fields added to every object of every successful answer.
    pub fn added_fields(&self) -> &[(String, serde_json::Value)] {
        &self.added_fields
    }

    /// The throttling rule, if any: (requests allowed in flight, `Retry-After` seconds).
    pub fn throttling(&self) -> Option<(usize, u64)> {
        self.throttle_above
    }

    /// The fault for request `n`, if any.
    pub fn decide(&self, n: u64) -> Option<Fault> {
        if let Some(fault) = self.on_request.get(&n) {
            return Some(fault.clone());
        }
        if self.kinds.is_empty() || self.rate <= 0.0 {
            return None;
        }
        let roll = mix(self.seed ^ mix(n));
        // The top 53 bits as a uniform number in [0, 1).
        let unit = (roll >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.rate {
            return None;
        }
        let pick = mix(roll) % self.kinds.len() as u64;
        self.kinds.get(pick as usize).cloned()
    }

    /// Checks the configuration: the rate must be a probability and kinds must be given with it.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err(format!("faults: rate {} is not between 0 and 1", self.rate));
        }
        if self.rate > 0.0 && self.kinds.is_empty() {
            return Err(format!(
                "faults: rate {} given without any fault kind",
                self.rate
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_honoured_and_kinds_are_spread() {
        let faults = Faults::seeded(42).rate(0.2, [Fault::BadGateway, Fault::Drop]);
        let decided: Vec<_> = (1..=10_000).filter_map(|n| faults.decide(n)).collect();
        let share = decided.len() as f64 / 10_000.0;
        assert!((0.18..0.22).contains(&share), "{share}");
        let drops = decided.iter().filter(|f| **f == Fault::Drop).count();
        assert!((drops as f64 / decided.len() as f64 - 0.5).abs() < 0.05);
    }

    #[test]
    fn different_seeds_hit_different_requests() {
        let a = Faults::seeded(1).rate(0.5, [Fault::BadGateway]);
        let b = Faults::seeded(2).rate(0.5, [Fault::BadGateway]);
        let hits = |f: &Faults| (1..=64).map(|n| f.decide(n).is_some()).collect::<Vec<_>>();
        assert_ne!(hits(&a), hits(&b));
    }

    #[test]
    fn bad_configuration_is_named() {
        let error = Faults::seeded(1)
            .rate(1.5, [Fault::Drop])
            .validate()
            .unwrap_err();
        assert!(error.contains("rate 1.5"), "{error}");
        let error = Faults::seeded(1).rate(0.5, []).validate().unwrap_err();
        assert!(error.contains("without any fault kind"), "{error}");
    }
}
