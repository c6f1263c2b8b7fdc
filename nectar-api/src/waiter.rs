//! Waiting for something Nectar does in the background: one waiter polls an object with growing
//! intervals until a condition holds or a deadline passes. [`Client::wait_for_connection`] waits
//! for a connection's check, [`Client::wait_for_job`] for an upload job to finish.

use std::{
    fmt,
    future::{Future, IntoFuture},
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::future::BoxFuture;
use uuid::Uuid;

use crate::{
    Client, Error,
    error::ErrorKind,
    status::ConnectionCategory,
    types::{Connection, ConnectionStatus, Job, JobStatus},
};

/// The shortest polling interval; a shorter [`Waiter::interval`] is raised to it, so a waiter
/// never busy-polls.
pub const MIN_INTERVAL: Duration = Duration::from_millis(50);

type Fetch<'a, T> = Arc<dyn Fn() -> BoxFuture<'a, Result<T, Error>> + Send + Sync + 'a>;
type Reached<'a, T> = Arc<dyn Fn(&T) -> bool + Send + Sync + 'a>;

/// Polls one object until a condition holds; build it with [`Client::wait_for_connection`] or
/// [`Client::wait_for_job`], adjust it, then `.await` it.
///
/// ```no_run
/// use std::time::Duration;
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
#[must_use = "a waiter does nothing until awaited"]
pub struct Waiter<'a, T> {
    what: String,
    until: String,
    fetch: Fetch<'a, T>,
    reached: Reached<'a, T>,
    state: fn(&T) -> String,
    interval: Duration,
    max_interval: Duration,
    timeout: Duration,
}

/// Waits for a connection; see [`Client::wait_for_connection`].
pub type ConnectionWaiter<'a> = Waiter<'a, Connection>;

/// Waits for an upload job; see [`Client::wait_for_job`].
pub type JobWaiter<'a> = Waiter<'a, Job>;

impl<T> Clone for Waiter<'_, T> {
    fn clone(&self) -> Self {
        Self {
            what: self.what.clone(),
            until: self.until.clone(),
            fetch: Arc::clone(&self.fetch),
            reached: Arc::clone(&self.reached),
            state: self.state,
            interval: self.interval,
            max_interval: self.max_interval,
            timeout: self.timeout,
        }
    }
}

impl<T> fmt::Debug for Waiter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("what", &self.what)
            .field("until", &self.until)
            .field("interval", &self.interval)
            .field("max_interval", &self.max_interval)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    /// Waits for connection `id` to leave `PENDING`: polls after 1 s, then 1.5 times longer each
    /// time up to 30 s, for at most 10 minutes. Each setting can be changed.
    pub fn wait_for_connection(&self, id: Uuid) -> ConnectionWaiter<'_> {
        Waiter {
            what: format!("connection {id}"),
            until: "a status other than PENDING".to_owned(),
            fetch: Arc::new(move || {
                Box::pin(async move {
                    Ok(self
                        .get_connection()
                        .connection_id(id)
                        .send()
                        .await?
                        .into_inner())
                })
            }),
            reached: Arc::new(|c: &Connection| {
                c.status.as_ref() != Some(&ConnectionStatus::Pending)
            }),
            state: |c: &Connection| {
                c.status
                    .as_ref()
                    .map_or_else(|| "without a status".to_owned(), ToString::to_string)
            },
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(600),
        }
    }

    /// Waits for upload job `id` to finish (`COMPLETED`, `FAILED` or `TERMINATED`): polls after
    /// 1 s, then 1.5 times longer each time up to 30 s, for at most 30 minutes (documents take a
    /// while to process). A status these bindings do not know is not taken as finished.
    pub fn wait_for_job(&self, id: impl Into<String>) -> JobWaiter<'_> {
        let id = id.into();
        let what = format!("job {id}");
        Waiter {
            what,
            until: "COMPLETED, FAILED or TERMINATED".to_owned(),
            fetch: Arc::new(move || {
                let id = id.clone();
                Box::pin(async move { Ok(self.get_job().job_id(id).send().await?.into_inner()) })
            }),
            reached: Arc::new(|job: &Job| {
                matches!(
                    job.status,
                    JobStatus::Completed | JobStatus::Failed | JobStatus::Terminated
                )
            }),
            state: |job: &Job| job.status.to_string(),
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(1800),
        }
    }
}

impl<'a> Waiter<'a, Connection> {
    /// Wait until the connection's status is of `category` instead.
    pub fn until_category(mut self, category: ConnectionCategory) -> Self {
        self.until = format!("a status of category {category:?}");
        self.reached = Arc::new(move |c: &Connection| {
            c.status.as_ref().is_some_and(|s| s.category() == category)
        });
        self
    }
}

impl<'a, T: Send + 'a> Waiter<'a, T> {
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

    /// Polls until the condition holds; errors of the polls are returned as they come (the
    /// client has already retried them).
    pub async fn wait(self) -> Result<T, Error> {
        let started = Instant::now();
        let mut interval = self.interval.min(self.max_interval);
        loop {
            let object = (self.fetch)().await?;
            if (self.reached)(&object) {
                return Ok(object);
            }
            let elapsed = started.elapsed();
            if elapsed >= self.timeout {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{} was still {} after {:.1} s (waiting for {}), past the waiter's \
                         timeout of {} s (set by Waiter::timeout)",
                        self.what,
                        (self.state)(&object),
                        elapsed.as_secs_f64(),
                        self.until,
                        self.timeout.as_secs_f64()
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

impl<'a, T: Send + 'a> IntoFuture for Waiter<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}
