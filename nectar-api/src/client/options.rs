//! Settings for some calls only: [`Client::with_options`] and [`RequestOptions`].

use std::time::Duration;

use progenitor_client::ClientInfo;

use super::{
    builder::{MAX_TIMEOUT, check_call_settings},
    retry::RetryPolicy,
};
use crate::{Client, Error, ErrorKind};

/// Settings that override the client's for the calls made through
/// [`Client::with_options`]; each one left unset keeps the client's.
///
/// ```
/// use std::time::Duration;
/// use nectar_api::{RequestOptions, RetryPolicy};
///
/// let patient = RequestOptions::new()
///     .total_timeout(Duration::from_secs(600))
///     .retry_policy(RetryPolicy { max_attempts: 10, ..RetryPolicy::default() });
/// let hasty = RequestOptions::new()
///     .attempt_timeout(Duration::from_secs(2))
///     .retry_policy(RetryPolicy::none())
///     .max_response_size(1 << 20);
/// # let _ = (patient, hasty);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    max_response_size: Option<u64>,
}

impl RequestOptions {
    /// No overrides: the client's settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest one attempt may take (see [`ClientBuilder::attempt_timeout`](crate::ClientBuilder::attempt_timeout)).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The longest a call may take, retries and waits included (see
    /// [`ClientBuilder::total_timeout`](crate::ClientBuilder::total_timeout)).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// When and how often to retry (see [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy)).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest success body read, in bytes (see
    /// [`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)).
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = Some(bytes);
        self
    }
}

impl Client {
    /// This client with some settings overridden, for the calls made through it: timeouts,
    /// retry policy, response-size limit. Cheap (no new connection pool), and it shares the
    /// original's concurrency limit, so Nectar never sees more than the limit from the two
    /// together. Pagers and waiters started from it use its settings for every request they
    /// make.
    ///
    /// ```
    /// # async fn run(client: &nectar_api::Client, company: uuid::Uuid) -> Result<(), nectar_api::Error> {
    /// use std::time::Duration;
    /// use nectar_api::{Paginate, RequestOptions, RetryPolicy, TryStreamExt};
    ///
    /// // A nightly export may wait out a long outage; the rest of the app keeps its defaults.
    /// let patient = client.with_options(
    ///     RequestOptions::new()
    ///         .total_timeout(Duration::from_secs(900))
    ///         .retry_policy(RetryPolicy { max_attempts: 12, ..RetryPolicy::default() }),
    /// )?;
    /// let rows: Vec<_> = patient.list_company_usage().company_id(company).items().try_collect().await?;
    /// # let _ = rows; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] naming the setting, for a zero timeout, a retry policy of zero
    /// attempts or a zero response-size limit (as [`ClientBuilder::build`](crate::ClientBuilder::build)).
    pub fn with_options(&self, options: RequestOptions) -> Result<Client, Error> {
        let mut inner = self.inner().clone();
        let attempt_timeout = options.attempt_timeout.unwrap_or(inner.attempt_timeout);
        let total_timeout = options.total_timeout.unwrap_or(inner.total_timeout);
        let retry = options.retry.unwrap_or_else(|| inner.retry.clone());
        let max_response_size = options.max_response_size.unwrap_or(inner.max_response_size);
        check_call_settings(attempt_timeout, total_timeout, &retry, max_response_size).map_err(
            |reason| Error::new(ErrorKind::Config, format!("request options: {reason}")),
        )?;
        inner.attempt_timeout = attempt_timeout.min(MAX_TIMEOUT);
        inner.total_timeout = total_timeout.min(MAX_TIMEOUT);
        if options.attempt_timeout.is_some() {
            inner.timeouts_from.attempt = "RequestOptions::attempt_timeout";
        }
        if options.total_timeout.is_some() {
            inner.timeouts_from.total = "RequestOptions::total_timeout";
        }
        inner.retry = retry;
        inner.max_response_size = max_response_size;
        Ok(Client::new_with_client(
            self.base_url(),
            self.client().clone(),
            inner,
        ))
    }
}
