//! Waiting for a connection to settle: poll it with growing intervals until its status leaves
//! `PENDING` (or reaches a category), or a deadline passes.

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::{
    Client, Error,
    error::ErrorKind,
    status::ConnectionCategory,
    types::{Connection, ConnectionStatus},
};

/// The shortest polling interval; a shorter [`ConnectionWaiter::interval`] is raised to it, so a
/// waiter never busy-polls.
pub const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// What a [`ConnectionWaiter`] waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// Any status but `PENDING` (the default).
    NotPending,
    /// A status of this category.
    Category(ConnectionCategory),
}

/// Polls one connection; build it with [`Client::wait_for_connection`], then `.await` it.
///
/// ```no_run
/// use std::time::Duration;
/// use nectar_api::status::ConnectionCategory;
///
/// # async fn run(client: &nectar_api::Client, id: uuid::Uuid) -> Result<(), nectar_api::Error> {
/// let connection = client
///     .wait_for_connection(id)
///     .timeout(Duration::from_secs(120))
///     .await?;
/// if let Some(status) = &connection.status {
///     println!("{status}: {}", status.recommended_action());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a waiter does nothing until awaited"]
pub struct ConnectionWaiter<'a> {
    client: &'a Client,
    id: Uuid,
    until: Until,
    interval: Duration,
    max_interval: Duration,
    timeout: Duration,
}

impl Client {
    /// Waits for connection `id` to leave `PENDING`: polls after 1 s, then 1.5 times longer each
    /// time up to 30 s, for at most 10 minutes. Each setting can be changed.
    pub fn wait_for_connection(&self, id: Uuid) -> ConnectionWaiter<'_> {
        ConnectionWaiter {
            client: self,
            id,
            until: Until::NotPending,
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(600),
        }
    }
}

impl<'a> ConnectionWaiter<'a> {
    /// Wait until the status is of `category` instead.
    pub fn until_category(mut self, category: ConnectionCategory) -> Self {
        self.until = Until::Category(category);
        self
    }

    /// The first polling interval (it grows by half each time; at least [`MIN_INTERVAL`]).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(MIN_INTERVAL);
        self
    }

    /// The longest polling interval (at least [`MIN_INTERVAL`]).
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval.max(MIN_INTERVAL);
        self
    }

    /// Give up after this long, with an error of kind [`ErrorKind::Timeout`]. The wait never
    /// outlasts it: the last sleep is cut to the deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn reached(&self, connection: &Connection) -> bool {
        match (&self.until, &connection.status) {
            (Until::NotPending, status) => status.as_ref() != Some(&ConnectionStatus::Pending),
            (Until::Category(category), Some(status)) => status.category() == *category,
            (Until::Category(_), None) => false,
        }
    }

    /// Polls until the condition holds; errors of the polls are returned as they come (the
    /// client has already retried them).
    pub async fn wait(self) -> Result<Connection, Error> {
        let started = Instant::now();
        let mut interval = self.interval.min(self.max_interval);
        loop {
            let connection = self
                .client
                .get_connection()
                .connection_id(self.id)
                .send()
                .await?
                .into_inner();
            if self.reached(&connection) {
                return Ok(connection);
            }
            let elapsed = started.elapsed();
            if elapsed >= self.timeout {
                let status = connection
                    .status
                    .as_ref()
                    .map_or_else(|| "none".to_owned(), ToString::to_string);
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "connection {} was still {status} after {:.1} s (waiting for {:?})",
                        self.id,
                        elapsed.as_secs_f64(),
                        self.until
                    ),
                ));
            }
            tokio::time::sleep(interval.min(self.timeout.saturating_sub(elapsed))).await;
            interval = interval
                .saturating_add(interval / 2)
                .min(self.max_interval)
                .max(MIN_INTERVAL);
        }
    }
}

impl<'a> IntoFuture for ConnectionWaiter<'a> {
    type Output = Result<Connection, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
