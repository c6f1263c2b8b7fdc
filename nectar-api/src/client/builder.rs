//! Configuration: [`ClientBuilder`], its defaults and limits, the checks `build` makes, and the
//! client's own state (`Inner`) that the hooks read on every request.

use std::{fmt, net::IpAddr, sync::Arc, time::Duration};

use progenitor_client::ClientInfo;
use reqwest::header::HeaderValue;

use super::retry::RetryPolicy;
use crate::{
    Client, DEFAULT_BASE_URL, Secret,
    drift::{Drift, DriftLog, OnDrift},
    error::{Error, ErrorKind},
    limiter::{Limit, LocalLimit},
};

/// The environment variable the builder reads the API key from when none is given.
pub const API_KEY_ENV: &str = "NECTAR_API_KEY";

/// The environment variable the builder reads the base URL from when none is given (for a
/// proxy, Nectar's sandbox at another address, or an emulator such as nectar-sandbox).
pub const BASE_URL_ENV: &str = "NECTAR_BASE_URL";

/// What [`ClientBuilder::configure_http`] was given.
pub(super) type ConfigureHttp =
    Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

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

/// The client's own state, read by the hooks on every request. Crate-private: a [`Client`] is
/// made by [`ClientBuilder::build`] only.
#[derive(Clone)]
pub(crate) struct Inner {
    pub(super) api_key: HeaderValue,
    /// The same key, to mask it in anything a server echoes back.
    pub(super) key: Secret,
    pub(super) retry: RetryPolicy,
    pub(super) attempt_timeout: Duration,
    pub(super) total_timeout: Duration,
    /// Where the attempt and total timeouts were set, for the message of a timeout.
    pub(super) timeouts_from: TimeoutsFrom,
    pub(super) max_response_size: u64,
    /// Requests in flight, for this client and all its clones.
    pub(super) limiter: Arc<dyn Limit>,
    /// What answers had that the bindings do not know (see [`crate::drift`]).
    pub(crate) drift: Arc<DriftLog>,
    /// The base URL's host and port, for the spans (`server.address`, `server.port`).
    pub(super) server: (String, u16),
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

/// Where a client's attempt and total timeouts were set: the setting a timeout error names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimeoutsFrom {
    pub(crate) attempt: &'static str,
    pub(crate) total: &'static str,
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
    timeouts_from: TimeoutsFrom,
    retry: RetryPolicy,
    user_agent: String,
    allow_insecure_http: bool,
    max_response_size: u64,
    root_certificates: Vec<Vec<u8>>,
    max_concurrency: usize,
    adaptive_concurrency: bool,
    /// A limit of the user's (`None`: a [`LocalLimit`] of `max_concurrency`).
    limit: Option<Arc<dyn Limit>>,
    on_drift: Option<OnDrift>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url.as_deref().map(without_userinfo))
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
            .field("limit", &self.limit)
            .field("on_drift", &self.on_drift.as_ref().map(|_| "set"))
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
            timeouts_from: TimeoutsFrom {
                attempt: "the default of ClientBuilder::attempt_timeout",
                total: "the default of ClientBuilder::total_timeout",
            },
            retry: RetryPolicy::default(),
            user_agent: concat!("nectar-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            allow_insecure_http: false,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            root_certificates: Vec::new(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            adaptive_concurrency: true,
            limit: None,
            on_drift: None,
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
        self.timeouts_from.attempt = "ClientBuilder::attempt_timeout";
        self
    }

    /// How long a request may take over all its attempts and waits (default 120 s; at most
    /// [`MAX_TIMEOUT`]).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self.timeouts_from.total = "ClientBuilder::total_timeout";
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

    /// Whether the concurrency limit adapts (default `true`): it starts at half of
    /// [`max_concurrency`](Self::max_concurrency) and each answer raises it by a fraction up to
    /// the maximum; a `429` halves it (once per window of requests), and a second `429` at the
    /// same level settles it just under that level (additive increase, multiplicative
    /// decrease). With `false` the limit is the maximum from the start and stays there.
    pub fn adaptive_concurrency(mut self, adaptive: bool) -> Self {
        self.adaptive_concurrency = adaptive;
        self
    }

    /// Where the limit on requests in flight lives (default: in this process, a
    /// [`LocalLimit`](crate::limiter::LocalLimit) of [`max_concurrency`](Self::max_concurrency),
    /// adaptive as [`adaptive_concurrency`](Self::adaptive_concurrency) says). A limit shared by
    /// several processes on one key (the `redis` feature's `RedisLimit`) replaces both settings.
    pub fn limit(mut self, limit: impl Limit) -> Self {
        self.limit = Some(Arc::new(limit));
        self
    }

    /// Calls `hook` the first time this client (or a clone) decodes an answer with a field its
    /// schema does not have or an enum value it does not know: hand it to your own alerting
    /// (a metric, a message to the team). It gets names and counts, never a field's value; it
    /// runs on the task that decoded the answer, so it should be quick (send it on, do not wait
    /// on it). [`Client::drift`] gives everything seen so far; see [`crate::drift`].
    ///
    /// ```
    /// let client = nectar_api::Client::builder()
    ///     .api_key("key")
    ///     .on_drift(|drift| eprintln!("Nectar changed: {drift}"))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), nectar_api::Error>(())
    /// ```
    pub fn on_drift(mut self, hook: impl Fn(&Drift) + Send + Sync + 'static) -> Self {
        self.on_drift = Some(Arc::new(hook));
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
        // A refused base URL is named (never its credentials), with where it came from when not
        // from code.
        let refused = |problem: String| {
            let shown = without_userinfo(&base_url);
            config(format!("base URL {shown:?}{from} {problem}"))
        };
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
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(
                "has credentials in it (user:password@); Nectar authenticates with the API key \
                 alone, and the client would send them beside it: remove them"
                    .to_owned(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refused("must not have a query or fragment".to_owned()));
        }
        if self.connect_timeout.is_zero() {
            return Err(config("the connect timeout is zero".to_owned()));
        }
        check_call_settings(
            self.attempt_timeout,
            self.total_timeout,
            &self.retry,
            self.max_response_size,
        )
        .map_err(config)?;

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
            timeouts_from: self.timeouts_from,
            max_response_size: self.max_response_size,
            limiter: self.limit.unwrap_or_else(|| {
                Arc::new(LocalLimit::new(
                    self.max_concurrency,
                    self.adaptive_concurrency,
                ))
            }),
            drift: Arc::new(DriftLog::new(self.on_drift)),
            server: (
                url.host_str().unwrap_or_default().to_owned(),
                url.port_or_known_default().unwrap_or(443),
            ),
        };
        Ok(Client::new_with_client(&base_url, http, inner))
    }
}

/// Checks the settings a call runs with, as [`ClientBuilder::build`] and
/// [`Client::with_options`] take them: a zero timeout, a retry policy of zero attempts or a zero
/// response-size limit is refused, the reason naming the setting.
pub(super) fn check_call_settings(
    attempt_timeout: Duration,
    total_timeout: Duration,
    retry: &RetryPolicy,
    max_response_size: u64,
) -> Result<(), String> {
    for (name, value) in [
        ("attempt timeout", attempt_timeout),
        ("total timeout", total_timeout),
    ] {
        if value.is_zero() {
            return Err(format!("the {name} is zero"));
        }
    }
    if retry.max_attempts == 0 {
        return Err("retry policy: max_attempts is 0 (1 means no retries)".to_owned());
    }
    if max_response_size == 0 {
        return Err("max_response_size is 0".to_owned());
    }
    Ok(())
}

/// `url` with whatever stands before an `@` in its authority (a user name, a password) replaced
/// by `***`, for messages and `Debug`; read as text, so a URL that does not parse is shown safely
/// too.
pub(super) fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '\\', '?', '#'])
        .map_or(url.len(), |at| start + at);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

pub(super) fn is_loopback(url: &reqwest::Url) -> bool {
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
    /// maximum, or less while the adaptive limit climbs (from half the maximum at the start, or
    /// after `429` answers).
    pub fn concurrency_limit(&self) -> usize {
        self.inner().limiter.current()
    }

    /// What answers this client (with its clones) decoded had that these bindings do not know,
    /// the first seen first: fields their schemas do not have (by schema and path) and enum
    /// values they do not know, each with the number of answers it came in, the operation it
    /// first came in and when. Names and counts only; see [`crate::drift`].
    ///
    /// ```no_run
    /// # async fn run(client: nectar_api::Client) {
    /// for drift in client.drift() {
    ///     println!("{drift}"); // field DocumentPage.documents[].tax (schema Document) in 3 answer(s), first in list_documents
    /// }
    /// # }
    /// ```
    pub fn drift(&self) -> Vec<Drift> {
        self.inner().drift.snapshot()
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
    fn a_base_url_with_credentials_is_refused_without_echoing_them() {
        for url in [
            "http://user:hunter2-pass@127.0.0.1:9/v2.2",
            "https://hunter2-pass@example.com/v2.2",
            "https://user:hunter2-pass@example.com:notaport/v2.2",
            "http://user:hunter2-pass@nectar.example.com/v2.2",
        ] {
            let builder = Client::builder().api_key("k").base_url(url);
            let debug = format!("{builder:?}");
            assert!(!debug.contains("hunter2"), "{debug}");
            let error = builder.build().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config);
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("***@"), "{shown}");
        }
        let error = build("http://user:pw-secret@127.0.0.1:9").unwrap_err();
        assert!(error.to_string().contains("credentials"), "{error}");
        assert_eq!(without_userinfo("https://a.b/x@y"), "https://a.b/x@y");
        assert_eq!(without_userinfo("a:b@c"), "***@c");
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
}
