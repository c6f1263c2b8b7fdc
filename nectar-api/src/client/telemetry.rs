//! What the client reports about its requests: `tracing` spans named and shaped as
//! OpenTelemetry's HTTP client conventions say, and (feature `metrics`) metrics through the
//! `metrics` facade.
//!
//! Spans (exported as standard HTTP client spans by `tracing-opentelemetry`):
//!
//! - `nectar.request`, one per operation (`otel.name` the operation id): `nectar.operation`,
//!   `http.request.method`, `url.template`, `server.address`, `server.port`, and when it ends
//!   `http.response.status_code`, `nectar.attempts`, `error.type` and `otel.status_code` (`ERROR`)
//!   when it failed.
//! - `nectar.attempt`, one per attempt, inside it (`otel.kind` `client`, `otel.name`
//!   `{method} {url.template}`): the same request attributes, `http.request.resend_count` from the
//!   second attempt on, `http.response.status_code`, `nectar.request_id` (the answer's request
//!   id), and `error.type` (the status code from 400 on, `timeout`, `connect`, `transport`).
//!
//! Metrics (feature `metrics`; names as the conventions have them where they have one):
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `http.client.request.duration` (seconds) | histogram | `http.request.method`, `url.template`, `server.address`, `http.response.status_code`, `error.type` |
//! | `http.client.active_requests` | gauge | `http.request.method`, `url.template`, `server.address` |
//! | `nectar.client.concurrency_limit` | gauge | `server.address` |
//! | `nectar.client.retries` | counter | `url.template`, `error.type` (why) |
//! | `nectar.client.responses` | counter | `url.template`, `status_class` (`2xx`..`5xx`, `timeout`, `transport`) |
//!
//! Labels are templates and classes, never ids: their number is bounded by the spec's 35
//! operations. Numbers are recorded as `i64` (`tracing-opentelemetry` exports a `u64` as a
//! string).

use std::time::Duration;

use reqwest::Method;

/// What every span and metric of one request says about it.
pub(super) struct Request<'a> {
    pub(super) method: Method,
    pub(super) template: &'static str,
    pub(super) host: &'a str,
    pub(super) port: u16,
}

impl Request<'_> {
    /// The span of one operation.
    pub(super) fn operation_span(&self, operation: &'static str) -> tracing::Span {
        tracing::info_span!(
            "nectar.request",
            otel.name = operation,
            nectar.operation = operation,
            http.request.method = %self.method,
            url.template = self.template,
            server.address = self.host,
            server.port = i64::from(self.port),
            http.response.status_code = tracing::field::Empty,
            nectar.attempts = tracing::field::Empty,
            error.type = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        )
    }

    /// The span of one attempt (the `attempt`th, from 1).
    pub(super) fn attempt_span(&self, attempt: u32) -> tracing::Span {
        let span = tracing::info_span!(
            "nectar.attempt",
            otel.name = %format_args!("{} {}", self.method, self.template),
            otel.kind = "client",
            http.request.method = %self.method,
            url.template = self.template,
            server.address = self.host,
            server.port = i64::from(self.port),
            http.request.resend_count = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            nectar.request_id = tracing::field::Empty,
            error.type = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        if attempt > 1 {
            span.record("http.request.resend_count", i64::from(attempt - 1));
        }
        span
    }
}

/// How an attempt ended, as the spans and metrics say it.
pub(super) struct Outcome {
    /// The answer's status (none for a timeout or a transport failure).
    pub(super) status: Option<u16>,
    /// `error.type`: the status from 400 on, `timeout`, `connect`, `transport`; none on success.
    pub(super) error_type: Option<&'static str>,
}

impl Outcome {
    pub(super) fn of(outcome: &reqwest::Result<reqwest::Response>) -> Self {
        match outcome {
            Ok(_) if super::hooks::timed_out(outcome) => Self {
                status: None,
                error_type: Some("timeout"),
            },
            Ok(response) => {
                let status = response.status().as_u16();
                Self {
                    status: Some(status),
                    error_type: (status >= 400).then(|| status_text(status)),
                }
            }
            Err(error) => Self {
                status: None,
                error_type: Some(if error.is_timeout() {
                    "timeout"
                } else if error.is_connect() {
                    "connect"
                } else {
                    "transport"
                }),
            },
        }
    }

    /// Writes the outcome into `span` (an operation's or an attempt's).
    pub(super) fn record(&self, span: &tracing::Span) {
        if let Some(status) = self.status {
            span.record("http.response.status_code", i64::from(status));
        }
        if let Some(error_type) = self.error_type {
            span.record("error.type", error_type);
            span.record("otel.status_code", "ERROR");
        }
    }

    /// `2xx` .. `5xx`, `timeout` or `transport`.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn status_class(&self) -> &'static str {
        match (self.status, self.error_type) {
            (Some(100..=199), _) => "1xx",
            (Some(200..=299), _) => "2xx",
            (Some(300..=399), _) => "3xx",
            (Some(400..=499), _) => "4xx",
            (Some(_), _) => "5xx",
            (None, Some("timeout")) => "timeout",
            (None, _) => "transport",
        }
    }
}

/// A status as `error.type` wants it: its code as a string (`_OTHER` past 599).
fn status_text(status: u16) -> &'static str {
    static CODES: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..600).map(|code: u16| code.to_string()).collect());
    CODES
        .get(usize::from(status))
        .map_or("_OTHER", String::as_str)
}

/// Counts a request in flight while it lives (`http.client.active_requests`).
pub(super) struct InFlight {
    #[cfg(feature = "metrics")]
    gauge: metrics::Gauge,
}

impl InFlight {
    pub(super) fn start(request: &Request<'_>, limit: usize) -> Self {
        #[cfg(feature = "metrics")]
        {
            let gauge = metrics::gauge!(
                "http.client.active_requests",
                "http.request.method" => request.method.to_string(),
                "url.template" => request.template,
                "server.address" => request.host.to_owned(),
            );
            gauge.increment(1.0);
            metrics::gauge!("nectar.client.concurrency_limit", "server.address" => request.host.to_owned())
                .set(limit as f64);
            Self { gauge }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = (request, limit);
            Self {}
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        self.gauge.decrement(1.0);
    }
}

/// An attempt ended after `elapsed`: its duration and its answer's class.
pub(super) fn answered(request: &Request<'_>, outcome: &Outcome, elapsed: Duration) {
    #[cfg(feature = "metrics")]
    {
        let status = outcome.status.map(|s| s.to_string()).unwrap_or_default();
        let mut labels = vec![
            ("http.request.method", request.method.to_string()),
            ("url.template", request.template.to_owned()),
            ("server.address", request.host.to_owned()),
        ];
        if !status.is_empty() {
            labels.push(("http.response.status_code", status));
        }
        if let Some(error_type) = outcome.error_type {
            labels.push(("error.type", error_type.to_owned()));
        }
        metrics::histogram!("http.client.request.duration", &labels).record(elapsed.as_secs_f64());
        metrics::counter!(
            "nectar.client.responses",
            "url.template" => request.template,
            "status_class" => outcome.status_class(),
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (request, outcome, elapsed);
}

/// An attempt is retried, for `outcome`.
pub(super) fn retried(request: &Request<'_>, outcome: &Outcome) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "nectar.client.retries",
        "url.template" => request.template,
        "error.type" => outcome.error_type.unwrap_or("none"),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (request, outcome);
}
