//! Building a client, and what happens around every request: the API key, retries with backoff,
//! timeouts, bounded reads, tracing.
//!
//! # What the client does not trust
//!
//! Everything a server sends is checked before it is used:
//!
//! - **Redirects are never followed.** A 3xx answer is an error of kind
//!   [`ErrorKind::Redirect`] that names its `Location`. Following one would send the `X-API-Key`
//!   header (which, unlike `Authorization`, HTTP clients do not strip) and a POST's body (a portal
//!   password) to wherever the server points, possibly over plain http; and a 301/302/303 would
//!   turn a POST into a GET whose success looks like the POST's. Nectar's API does not redirect.
//! - **Bodies are read with a limit.** A success body is read as a stream and counted; past
//!   [`ClientBuilder::max_response_size`] reading stops and the operation fails with
//!   [`ErrorKind::ResponseTooLarge`], so memory stays near the limit. Error bodies are read up to
//!   64 KiB and kept (masked, at most 4 KiB) in the [`Error`].
//! - **Durations are clamped.** `Retry-After` (seconds or an HTTP date) is clamped to a day and
//!   never waited past the total timeout; all arithmetic on durations saturates.
//! - **Secrets stay out of errors and logs.** Fields the spec marks sensitive are masked in kept
//!   bodies; logs name the operation and its path template, never the URL and its query.

use std::{
    cell::RefCell,
    fmt,
    future::Future,
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Method, StatusCode, header::HeaderValue};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::{
    Client, DEFAULT_BASE_URL, ResponseValue, Secret,
    error::{self, Error, ErrorKind, Seen, location_of, retry_after_of},
    generated::operations,
    limiter::Limiter,
    types::ApiError,
};

/// The environment variable the builder reads the API key from when none is given.
pub const API_KEY_ENV: &str = "NECTAR_API_KEY";

/// The environment variable the builder reads the base URL from when none is given (for a
/// proxy, Nectar's sandbox at another address, or an emulator such as nectar-sandbox).
pub const BASE_URL_ENV: &str = "NECTAR_BASE_URL";

/// What [`ClientBuilder::configure_http`] was given.
type ConfigureHttp = Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// The most bytes of an error answer the client reads (the rest is discarded).
const MAX_BUFFERED_ERROR: usize = 64 * 1024;

/// The default [`ClientBuilder::max_response_size`]: 32 MiB. The largest pages Nectar serves
/// are far smaller (500 connections with their accounts are about 0.5 MiB; 100 documents with
/// line items and usage a few MiB), so a legitimate answer has ample room, and a hostile or
/// broken server cannot make the client hold more than this.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 32 * 1024 * 1024;

/// The default [`ClientBuilder::max_concurrency`]: Nectar asks integrations for at most 10
/// concurrent requests.
pub const DEFAULT_MAX_CONCURRENCY: usize = 10;

/// The longest timeout the builder keeps; longer ones (up to `Duration::MAX`, "no limit") are
/// clamped to it.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// When and how often a failed request is sent again.
///
/// GET, HEAD, PUT and DELETE are retried on 408, 429, 5xx and transport failures. POST and
/// PATCH are retried only when they cannot have been applied: on 429 and when the connection
/// could not be made. Waits grow exponentially with full jitter (a random wait between zero and
/// the exponential bound) and honour `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub max_attempts: u32,
    /// Upper bound of the first wait.
    pub initial_backoff: Duration,
    /// Upper bound of any wait (a longer `Retry-After` is still honoured, within the total
    /// timeout).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The exponential bound for the wait after attempt `attempt` (from 1).
    fn bound(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The client's own state, read by the hooks on every request. Crate-private: a [`Client`] is
/// made by [`ClientBuilder::build`] only.
#[derive(Clone)]
pub(crate) struct Inner {
    api_key: HeaderValue,
    /// The same key, to mask it in anything a server echoes back.
    key: Secret,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    total_timeout: Duration,
    max_response_size: u64,
    /// Requests in flight, for this client and all its clones.
    limiter: Arc<Limiter>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("api_key", &"***")
            .field("retry", &self.retry)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("concurrency", &self.limiter.current())
            .finish()
    }
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use nectar_api::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .api_key("my-key")
///     .base_url("https://external.nectarclimate.com/v2.2/")
///     .total_timeout(Duration::from_secs(60))
///     .retry_policy(RetryPolicy { max_attempts: 6, ..RetryPolicy::default() })
///     .build()
///     .expect("a valid configuration");
/// assert_eq!(client.base_url(), "https://external.nectarclimate.com/v2.2");
/// assert!(!format!("{client:?}").contains("my-key"));
/// ```
///
/// The builder is the only way to a [`Client`]: there is no constructor that takes a
/// `reqwest::Client` of your own, because one could follow redirects and carry the key to another
/// host. For your own HTTP settings, see [`configure_http`](Self::configure_http).
///
/// ```compile_fail
/// // progenitor's constructors are not public.
/// let client = nectar_api::Client::new_with_client("https://example.com", reqwest::Client::new(), todo!());
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<Secret>,
    /// `None`: [`BASE_URL_ENV`], else [`DEFAULT_BASE_URL`].
    base_url: Option<String>,
    configure_http: Option<ConfigureHttp>,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    total_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    allow_insecure_http: bool,
    max_response_size: u64,
    root_certificates: Vec<Vec<u8>>,
    max_concurrency: usize,
    adaptive_concurrency: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_size", &self.max_response_size)
            .field("root_certificates", &self.root_certificates.len())
            .field("max_concurrency", &self.max_concurrency)
            .field("adaptive_concurrency", &self.adaptive_concurrency)
            .field(
                "configure_http",
                &self.configure_http.as_ref().map(|_| "set"),
            )
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            configure_http: None,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            user_agent: concat!("nectar-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_insecure_http: false,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            root_certificates: Vec::new(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            adaptive_concurrency: true,
        }
    }
}

impl ClientBuilder {
    /// The API key (default: the `NECTAR_API_KEY` environment variable).
    pub fn api_key(mut self, key: impl Into<Secret>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL (default: the `NECTAR_BASE_URL` environment variable when it is set and not
    /// empty, else [`DEFAULT_BASE_URL`], `https://external.nectarclimate.com/v2.2`). A trailing
    /// `/` is removed. Plain `http://` is refused unless the host is loopback or
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Your own settings for the underlying `reqwest` client: a proxy, a local address, TLS
    /// options, HTTP/2 settings. `configure` is given the builder before the client's own rules
    /// are applied, and those rules win: redirects are never followed (whatever `configure` set),
    /// the `User-Agent` and connect timeout are the client builder's, and the API key, retries,
    /// timeouts, size limits and concurrency limit are applied around every request regardless.
    ///
    /// ```
    /// let client = nectar_api::Client::builder()
    ///     .api_key("my-key")
    ///     .configure_http(|http| {
    ///         http.local_address(std::net::IpAddr::from([127, 0, 0, 1]))
    ///             .tcp_nodelay(true)
    ///     })
    ///     .build()
    ///     .expect("a valid configuration");
    /// # let _ = client;
    /// ```
    pub fn configure_http(
        mut self,
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure_http = Some(Arc::new(configure));
        self
    }

    /// How long to wait for a connection (default 10 s; at most [`MAX_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, the whole answer included (default 30 s; at most
    /// [`MAX_TIMEOUT`]). A body that arrives too slowly fails the attempt with
    /// [`ErrorKind::Timeout`]; GET, HEAD, PUT and DELETE are then retried.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// How long a request may take over all its attempts and waits (default 120 s; at most
    /// [`MAX_TIMEOUT`]).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` (default `nectar-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Allows a plain `http://` base URL on a host that is not loopback (the key would travel
    /// unencrypted).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The most bytes of a success answer's body the client reads (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`], 32 MiB). A larger body fails the operation with
    /// [`ErrorKind::ResponseTooLarge`] without being read further.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The most requests this client, and every clone of it, has in flight at once (default
    /// [`DEFAULT_MAX_CONCURRENCY`], 10, as Nectar asks; 0 counts as 1). Pagers and calls share
    /// it; a retry's wait holds no slot.
    pub fn max_concurrency(mut self, requests: usize) -> Self {
        self.max_concurrency = requests.max(1);
        self
    }

    /// Whether the concurrency limit adapts (default `true`): a `429` halves it (once per window
    /// of requests), each answer raises it by a fraction until it is back at
    /// [`max_concurrency`](Self::max_concurrency) (additive increase, multiplicative decrease).
    /// With `false` the limit stays at the maximum.
    pub fn adaptive_concurrency(mut self, adaptive: bool) -> Self {
        self.adaptive_concurrency = adaptive;
        self
    }

    /// Also trusts these certificate authorities (PEM, one or a bundle), besides the system's
    /// roots: for a proxy that intercepts TLS, or a test server. May be called several times;
    /// [`build`](Self::build) refuses text without a certificate.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let config = |message: String| Error::new(ErrorKind::Config, message);
        let key = match self.api_key {
            Some(key) => key,
            None => Secret::new(std::env::var(API_KEY_ENV).map_err(|_| {
                config(format!(
                    "no API key: call .api_key(..) or set {API_KEY_ENV}"
                ))
            })?),
        };
        if key.expose_secret().trim().is_empty() {
            return Err(config("the API key is empty".to_owned()));
        }
        let mut api_key = HeaderValue::from_str(key.expose_secret())
            .map_err(|_| config("the API key has characters a header cannot carry".to_owned()))?;
        api_key.set_sensitive(true);

        let (base_url, from) = match self.base_url {
            Some(url) => (url, String::new()),
            None => match std::env::var(BASE_URL_ENV)
                .ok()
                .filter(|u| !u.trim().is_empty())
            {
                Some(url) => (url.trim().to_owned(), format!(" (from {BASE_URL_ENV})")),
                None => (DEFAULT_BASE_URL.to_owned(), String::new()),
            },
        };
        let base_url = base_url.trim_end_matches('/').to_owned();
        // A refused base URL is named, with where it came from when not from code.
        let refused = |problem: String| config(format!("base URL {base_url:?}{from} {problem}"));
        let url =
            reqwest::Url::parse(&base_url).map_err(|e| refused(format!("is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(refused(
                    "is plain http on a host that is not loopback; the API key would travel \
                     unencrypted (use https, or .allow_insecure_http(true))"
                        .to_owned(),
                ));
            }
            other => return Err(refused(format!("has scheme {other:?}, not http(s)"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refused("must not have a query or fragment".to_owned()));
        }
        for (name, value) in [
            ("connect timeout", self.connect_timeout),
            ("attempt timeout", self.attempt_timeout),
            ("total timeout", self.total_timeout),
        ] {
            if value.is_zero() {
                return Err(config(format!("the {name} is zero")));
            }
        }
        if self.retry.max_attempts == 0 {
            return Err(config(
                "retry policy: max_attempts is 0 (1 means no retries)".to_owned(),
            ));
        }
        if self.max_response_size == 0 {
            return Err(config("max_response_size is 0".to_owned()));
        }

        let mut http = reqwest::Client::builder();
        if let Some(configure) = &self.configure_http {
            http = configure(http);
        }
        for (index, pem) in self.root_certificates.iter().enumerate() {
            let refused = || {
                config(format!(
                    "root certificate {} is not a PEM certificate (-----BEGIN CERTIFICATE-----)",
                    index + 1
                ))
            };
            let certificates =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| refused().with_source(e))?;
            if certificates.is_empty() {
                return Err(refused());
            }
            for certificate in certificates {
                http = http.add_root_certificate(certificate);
            }
        }
        let http = http
            .connect_timeout(self.connect_timeout.min(MAX_TIMEOUT))
            .user_agent(self.user_agent)
            // See the module documentation: a redirect is an error, never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| config("the HTTP client could not be built".to_owned()).with_source(e))?;
        let inner = Inner {
            api_key,
            key,
            retry: self.retry,
            attempt_timeout: self.attempt_timeout.min(MAX_TIMEOUT),
            total_timeout: self.total_timeout.min(MAX_TIMEOUT),
            max_response_size: self.max_response_size,
            limiter: Arc::new(Limiter::new(
                self.max_concurrency,
                self.adaptive_concurrency,
            )),
        };
        Ok(Client::new_with_client(&base_url, http, inner))
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    /// Configure a client; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL every request goes to, without a trailing `/`
    /// (`https://external.nectarclimate.com/v2.2` unless configured otherwise).
    pub fn base_url(&self) -> &str {
        self.baseurl()
    }

    /// How many requests this client (with its clones) lets be in flight now: the configured
    /// maximum, or less after `429` answers while the adaptive limit recovers.
    pub fn concurrency_limit(&self) -> usize {
        self.inner().limiter.current()
    }
}

/// Why the retry loop would send a request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    No,
    Yes { after: Option<Duration> },
}

/// GET, HEAD, PUT, DELETE, OPTIONS: sending them twice does no harm.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

fn classify(method: &Method, outcome: &reqwest::Result<reqwest::Response>) -> Retry {
    let idempotent = is_idempotent(method);
    match outcome {
        Ok(response) => {
            let status = response.status();
            let after = retry_after_of(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Throttled: the request was not applied, whatever its method.
                Retry::Yes { after }
            } else if idempotent
                && (status == StatusCode::REQUEST_TIMEOUT || status.is_server_error())
            {
                Retry::Yes { after }
            } else {
                Retry::No
            }
        }
        // No connection was made, so nothing was sent.
        Err(error) if error.is_connect() => Retry::Yes { after: None },
        Err(_) if idempotent => Retry::Yes { after: None },
        Err(_) => Retry::No,
    }
}

/// A random number for jitter, from the operating system's random source (or, should that
/// fail, the standard library's per-process random keys).
fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    })
}

/// Full jitter: uniformly between zero and `bound`.
fn jitter(bound: Duration) -> Duration {
    let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % nanos.saturating_add(1))
}

tokio::task_local! {
    /// What the hooks saw of the current operation's last answer; set by [`finish`].
    static SEEN: RefCell<Seen>;
}

/// Records into the current operation's [`Seen`], when there is one.
fn see(record: impl FnOnce(&mut Seen)) {
    // Outside `finish` (no operation in scope) there is nothing to record into.
    let _ = SEEN.try_with(|seen| record(&mut seen.borrow_mut()));
}

/// Runs an operation's exchange (progenitor's generated request and decoding) and turns its
/// error into the one [`Error`]. Every generated `send()` ends here.
pub(crate) async fn finish<T, F>(
    client: &Client,
    operation: &'static str,
    exchange: F,
) -> Result<ResponseValue<T>, Error>
where
    T: DeserializeOwned,
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<ApiError>>>,
{
    let (result, seen) = SEEN
        .scope(RefCell::new(Seen::default()), async move {
            let result = exchange.await;
            let seen = SEEN.try_with(|seen| seen.take()).unwrap_or_default();
            (result, seen)
        })
        .await;
    result.map_err(|error| {
        Error::from_operation(
            operation,
            error,
            seen,
            client.inner().key.expose_secret(),
            decode_path::<T>,
        )
    })
}

/// Where `body` stops decoding as `T` (a path such as `connections[3].status`).
fn decode_path<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(deserializer)
        .err()
        .map(|error| error.path().to_string())
}

/// The error a body stream yields once the client stopped reading it at its limit; the
/// operation then fails with [`ErrorKind::ResponseTooLarge`].
#[derive(Debug)]
struct TooLarge;

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the body is larger than the client's limit")
    }
}

impl std::error::Error for TooLarge {}

/// Reads the answer's body, bounded and counted, and hands back a response with the body in
/// memory: a success body up to `max_response_size` (past it, a body that fails to read, which
/// the operation reports as [`ErrorKind::ResponseTooLarge`]), an error body up to 64 KiB (the
/// rest is dropped). Reading within the hooks puts a slow body under the attempt's timeout and
/// the retry policy.
async fn read_bounded(
    mut response: reqwest::Response,
    max_response_size: u64,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let success = status.is_success();
    let limit = if success {
        max_response_size
    } else {
        MAX_BUFFERED_ERROR as u64
    };
    see(|seen| {
        *seen = Seen {
            status: Some(status),
            retry_after: retry_after_of(response.headers()),
            location: location_of(response.headers()),
            ..Seen::default()
        }
    });
    let declared = response.content_length();
    let mut too_large = success && declared.is_some_and(|length| length > limit);
    let capacity = declared.unwrap_or(0).min(limit).min(1 << 20);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while !too_large {
        let Some(chunk) = response.chunk().await? else {
            break;
        };
        let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
        let take = chunk.len().min(room);
        if body.capacity() - body.len() < take {
            // Grow by doubling, but never past the limit: the buffer holds at most `limit`.
            let want = body.capacity().saturating_mul(2).max(body.len() + take);
            body.reserve_exact(want.min(body.len().saturating_add(room)) - body.len());
        }
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            // An error body is kept cut; a success body cut would decode wrongly or not at all.
            too_large = success;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let mut rebuilt = http::Response::new(if too_large {
        see(|seen| seen.too_large = Some(limit));
        drop(body);
        reqwest::Body::wrap_stream(futures_util::stream::once(async {
            Err::<bytes::Bytes, _>(TooLarge)
        }))
    } else {
        let body = bytes::Bytes::from(body);
        if !success {
            see(|seen| seen.error_body = Some(body.clone()));
        }
        reqwest::Body::from(body)
    });
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    Ok(reqwest::Response::from(rebuilt))
}

/// Why an attempt failed, for the retry log line: a status or a kind of transport failure,
/// never a URL.
fn reason(outcome: &reqwest::Result<reqwest::Response>) -> String {
    match outcome {
        Ok(response) => response.status().to_string(),
        Err(error) => error::describe(error).1.to_owned(),
    }
}

impl Client {
    /// One attempt under the client-wide concurrency limit: wait for a slot, send, read the
    /// answer within the attempt's timeout, and tell the limiter how it went. `started` and
    /// `total` bound the attempt's timeout (the wait for a slot counts).
    async fn attempt(
        &self,
        mut request: reqwest::Request,
        started: Instant,
    ) -> reqwest::Result<reqwest::Response> {
        let inner = self.inner();
        let permit = inner.limiter.acquire().await;
        let remaining = inner.total_timeout.saturating_sub(started.elapsed());
        *request.timeout_mut() = Some(
            inner
                .attempt_timeout
                .min(remaining)
                .max(Duration::from_millis(1)),
        );
        let outcome = match self.client().execute(request).await {
            Ok(response) => read_bounded(response, inner.max_response_size).await,
            Err(error) => Err(error),
        };
        match &outcome {
            Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                inner.limiter.throttled(&permit);
            }
            Ok(_) => inner.limiter.succeeded(),
            Err(_) => {}
        }
        outcome
    }
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request
            .headers_mut()
            .insert("x-api-key", self.inner().api_key.clone());
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let inner = self.inner();
        let method = request.method().clone();
        let path = operations::operation(info.operation_id).map_or("", |op| op.path);
        let span = tracing::info_span!(
            "nectar.request",
            operation = info.operation_id,
            method = %method,
            path,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let mut attempt = 1_u32;
            let done = |attempt: u32, outcome: reqwest::Result<reqwest::Response>| {
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                if let Ok(response) = &outcome {
                    span.record("status", response.status().as_u16());
                }
                outcome
            };
            loop {
                let Some(this) = request.try_clone() else {
                    // A body that cannot be copied (a stream) is sent once, without retries.
                    return done(attempt, self.attempt(request, started).await);
                };
                let outcome = self.attempt(this, started).await;
                let Retry::Yes { after } = classify(&method, &outcome) else {
                    return done(attempt, outcome);
                };
                if attempt >= inner.retry.max_attempts {
                    return done(attempt, outcome);
                }
                let wait = after.unwrap_or_else(|| jitter(inner.retry.bound(attempt)));
                if started.elapsed().saturating_add(wait) >= inner.total_timeout {
                    return done(attempt, outcome);
                }
                tracing::warn!(
                    attempt,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    retry_after = after.is_some(),
                    reason = %reason(&outcome),
                    "retrying"
                );
                drop(outcome);
                tokio::time::sleep(wait).await;
                attempt = attempt.saturating_add(1);
            }
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(url: &str) -> Result<Client, Error> {
        Client::builder().api_key("k").base_url(url).build()
    }

    #[test]
    fn base_urls_are_checked_and_trailing_slashes_dropped() {
        assert_eq!(
            build("https://example.com/v2.2/").unwrap().baseurl(),
            "https://example.com/v2.2"
        );
        for ok in [
            "http://127.0.0.1:8080/v2.2",
            "http://localhost:1",
            "http://[::1]:9/x",
        ] {
            assert!(build(ok).is_ok(), "{ok}");
        }
        let error = build("http://nectar.example.com/v2.2")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("plain http") && error.contains("nectar.example.com"),
            "{error}"
        );
        assert!(
            Client::builder()
                .api_key("k")
                .base_url("http://10.0.0.1")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
        let error = build("ftp://example.com").unwrap_err().to_string();
        assert!(error.contains("scheme \"ftp\""), "{error}");
        let error = build("not a url").unwrap_err().to_string();
        assert!(error.contains("\"not a url\" is not a URL"), "{error}");
    }

    #[test]
    fn the_key_is_required_sensitive_and_never_printed() {
        let error = Client::builder()
            .api_key("  ")
            .build()
            .unwrap_err()
            .to_string();
        assert!(error.contains("API key is empty"), "{error}");
        let client = Client::builder()
            .api_key("super-secret-key")
            .build()
            .unwrap();
        assert!(client.inner().api_key.is_sensitive());
        let debug = format!(
            "{client:?} {:?}",
            Client::builder().api_key("super-secret-key")
        );
        assert!(!debug.contains("super-secret-key"), "{debug}");
    }

    #[test]
    fn post_is_retried_only_when_it_cannot_have_been_applied() {
        let answer = |status: u16| {
            Ok(reqwest::Response::from(
                http::Response::builder()
                    .status(status)
                    .body(reqwest::Body::from(""))
                    .unwrap(),
            ))
        };
        let yes = |d: Retry| matches!(d, Retry::Yes { .. });
        assert!(yes(classify(&Method::GET, &answer(503))));
        assert!(yes(classify(&Method::DELETE, &answer(502))));
        assert!(yes(classify(&Method::POST, &answer(429))));
        assert!(yes(classify(&Method::PATCH, &answer(429))));
        assert!(!yes(classify(&Method::POST, &answer(502))));
        assert!(!yes(classify(&Method::PATCH, &answer(503))));
        assert!(!yes(classify(&Method::GET, &answer(404))));
        assert!(!yes(classify(&Method::GET, &answer(200))));
    }

    #[test]
    fn backoff_grows_exponentially_under_the_cap_with_full_jitter() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        assert_eq!(policy.bound(1), Duration::from_millis(100));
        assert_eq!(policy.bound(3), Duration::from_millis(400));
        assert_eq!(policy.bound(9), Duration::from_secs(1));
        let waits: Vec<Duration> = (0..200)
            .map(|_| jitter(Duration::from_millis(100)))
            .collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(100)));
        assert!(
            waits.iter().any(|w| *w < Duration::from_millis(50))
                && waits.iter().any(|w| *w > Duration::from_millis(50))
        );
    }
}
