#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
//!
//! ## The crate
//!
//! - [`Sandbox`] / [`SandboxBuilder`]: start one in-process (on the current tokio runtime), with
//!   users, seed data, timings, faults, webhook endpoints and a pinned clock
//!   ([`SandboxBuilder::now`]).
//! - [`flows`]: the documented sandbox flow (a company, its sites, a sandbox connection) as
//!   reusable steps through the public client.
//! - [`spec`]: the embedded spec as a JSON Schema validator, to check answers in your own tests.
//! - The `nectar-sandbox` binary serves the same on a port.

mod clock;
mod faults;
pub mod flows;
mod http;
mod server;
pub mod spec;
mod store;
mod webhooks;

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, atomic::AtomicU64},
    time::Duration,
};

use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};
use uuid::Uuid;

use clock::Clock;
pub use faults::{Fault, Faults, RetryAfter};
use store::InvitationUse;
pub use store::{
    MAX_UPLOAD, SANDBOX_MAX_SITES, SANDBOX_PASSWORD, SANDBOX_URL, SANDBOX_USERNAME, Seeded,
    SeededData, issued_at, normalize_identifier,
};
use store::{Store, Validation};
use webhooks::Webhooks;
pub use webhooks::{Delivery, SVIX_SCHEDULE};

use crate::spec::Spec;

/// The most requests [`Sandbox::requests`] keeps: past it, the oldest are dropped.
pub const MAX_LOGGED_REQUESTS: usize = 10_000;

/// The most bytes of a request's path the log keeps (cut on a character boundary, `...` added);
/// the method is kept to 16 bytes. With [`MAX_LOGGED_REQUESTS`], the log holds at most about
/// 10 MiB, whatever is sent to the emulator, with or without an API key.
pub const MAX_LOGGED_PATH: usize = 1024;

/// How long a connection has to send a request's headers (from when the emulator starts waiting
/// for them: the connection opened, or the previous answer sent) before it is closed, by default;
/// see [`SandboxBuilder::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Number of the request, from 1, in the order received.
    pub n: u64,
    /// HTTP method.
    pub method: String,
    /// Path, including the `/v2.2` prefix; at most [`MAX_LOGGED_PATH`] bytes of it.
    pub path: String,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
    /// The status answered; `None` while it is being handled, when the connection was dropped,
    /// or when the client gave up waiting (a timed-out attempt that it then retried, say).
    pub status: Option<u16>,
}

impl RequestRecord {
    /// The request id its answer carried (`x-request-id`): `req_` and its number.
    pub fn request_id(&self) -> String {
        Self::request_id_of(self.n)
    }

    pub(crate) fn request_id_of(n: u64) -> String {
        format!("req_{n:08}")
    }
}

/// `text` cut to at most `limit` bytes on a character boundary, with `...` when cut; a new
/// allocation then (truncating would keep the whole capacity of what was sent).
fn bounded(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut kept = String::with_capacity(end + 3);
    kept.push_str(&text[..end]);
    kept.push_str("...");
    kept
}

/// State shared by the server's tasks.
pub(crate) struct Shared {
    store: Mutex<Store>,
    spec: Spec,
    faults: Faults,
    validation_delay: Duration,
    job_delay: Duration,
    counter: AtomicU64,
    /// Requests being handled now (for `Faults::throttle_above`).
    in_flight: std::sync::atomic::AtomicUsize,
    /// The last [`MAX_LOGGED_REQUESTS`] requests.
    requests: Mutex<VecDeque<RequestRecord>>,
    webhooks: Arc<Webhooks>,
    /// The emulator's one clock (the store and the webhooks hold clones of it).
    clock: Clock,
}

impl Shared {
    /// Logs a request as it arrives (status `None`), its method and path bounded, dropping the
    /// oldest past [`MAX_LOGGED_REQUESTS`].
    fn log(&self, mut record: RequestRecord) {
        record.method = bounded(record.method, 16);
        record.path = bounded(record.path, MAX_LOGGED_PATH);
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if requests.len() >= MAX_LOGGED_REQUESTS {
            requests.pop_front();
        }
        requests.push_back(record);
    }

    /// Notes the status answered to request number `n` (if it is still in the log).
    fn answered(&self, n: u64, status: u16) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Requests are logged in the order they are numbered; a recent one is near the end.
        if let Some(record) = requests.iter_mut().rev().find(|record| record.n == n) {
            record.status = Some(status);
        }
    }

    /// Delivers `event_type` for connection `id` to every webhook endpoint.
    fn emit_connection_event(&self, id: Uuid, event_type: &str, changes: Option<(&[&str], Value)>) {
        let (message_id, payload) = {
            let mut store = self.lock();
            let Some(mut payload) = store.connection_event(id, event_type) else {
                return;
            };
            if let Some((fields, old)) = changes {
                payload["protectedChanges"] = fields.iter().copied().collect();
                payload["old"] = old;
            }
            (store.message_id(), payload)
        };
        self.webhooks.emit(message_id, event_type, &payload);
    }

    /// Delivers `event_type` for document `id` to every webhook endpoint.
    fn emit_document_event(&self, id: Uuid, event_type: &str) {
        let (message_id, payload) = {
            let mut store = self.lock();
            let Some(payload) = store.document_event(id, event_type) else {
                return;
            };
            (store.message_id(), payload)
        };
        self.webhooks.emit(message_id, event_type, &payload);
    }

    /// The store. A panic while holding the lock poisons it; the emulator's state is still
    /// usable, so a poisoned lock is taken as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Announces a new connection (`connection.created.v2`) and schedules its first check.
    fn schedule_validation(self: &Arc<Self>, id: Uuid, outcome: Validation) {
        self.emit_connection_event(id, "connection.created.v2", None);
        self.schedule_check(id, outcome);
    }

    /// Runs a pending connection's check after the validation delay: `connection.updated.v2`
    /// (status and accounts changed, with the old status) and `connection.validated.v2` when it
    /// is done, then `document.created.v2` for every bill the sandbox provider produced.
    fn schedule_check(self: &Arc<Self>, id: Uuid, outcome: Validation) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(shared.validation_delay).await;
            let previous = shared.lock().validate_connection(id, outcome);
            if let Some((previous, documents)) = previous {
                let old = serde_json::json!({ "status": previous, "accounts": [] });
                // (A reconnected connection keeps its accounts; the event says the same.)
                shared.emit_connection_event(
                    id,
                    "connection.updated.v2",
                    Some((&["status", "accounts"], old)),
                );
                shared.emit_connection_event(id, "connection.validated.v2", None);
                for document in documents {
                    shared.emit_document_event(document, "document.created.v2");
                }
            }
        });
    }
}

impl Shared {
    /// Announces a status change (`connection.updated.v2` with the old status).
    fn announce_status(&self, id: Uuid, previous: &nectar_api::types::ConnectionStatus) {
        let old = serde_json::json!({ "status": previous });
        self.emit_connection_event(id, "connection.updated.v2", Some((&["status"], old)));
    }

    /// Follows up an invitation's use: a new connection is announced and checked; a fixed one
    /// goes back to `PENDING` (announced) and is checked again.
    fn follow_invitation(self: &Arc<Self>, used: InvitationUse) {
        match used {
            InvitationUse::Created(id, validation) => self.schedule_validation(id, validation),
            InvitationUse::Reconnected(id, validation, previous) => {
                self.announce_status(id, &previous);
                self.schedule_check(id, validation);
            }
        }
    }

    /// Processes an upload job after the job delay, then announces its documents.
    fn schedule_job(self: &Arc<Self>, id: String) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(shared.job_delay).await;
            let documents = shared.lock().process_job(&id);
            for document in documents {
                shared.emit_document_event(document, "document.created.v2");
            }
        });
    }
}

/// A configuration or start-up problem, naming the setting.
#[derive(Debug)]
pub struct SandboxError(String);

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sandbox: {}", self.0)
    }
}

impl std::error::Error for SandboxError {}

/// Configures a [`Sandbox`]: API keys, seed data, timings, faults.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    users: Vec<(String, String)>,
    seed: u64,
    validation_delay: Duration,
    job_delay: Duration,
    faults: Faults,
    port: u16,
    companies: Vec<(String, usize, usize)>,
    data_sets: Vec<(String, usize, usize)>,
    webhook_schedule: Vec<Duration>,
    webhook_endpoints: Vec<(String, String)>,
    clock: Option<Clock>,
    header_timeout: Duration,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            seed: 0x6E65_6374_6172,
            validation_delay: Duration::from_millis(500),
            job_delay: Duration::from_millis(300),
            faults: Faults::default(),
            port: 0,
            companies: Vec::new(),
            data_sets: Vec::new(),
            webhook_schedule: SVIX_SCHEDULE.to_vec(),
            webhook_endpoints: Vec::new(),
            clock: None,
            header_timeout: HEADER_TIMEOUT,
        }
    }
}

impl SandboxBuilder {
    /// Adds a user with this API key and e-mail. Without any, one user exists:
    /// [`Sandbox::DEFAULT_API_KEY`] / [`Sandbox::DEFAULT_USER`].
    pub fn user(mut self, api_key: impl Into<String>, email: impl Into<String>) -> Self {
        self.users.push((api_key.into(), email.into()));
        self
    }

    /// Seed of the emulator's ids and of fault decisions (default: fixed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long a new connection stays `PENDING` before its first check (default 500 ms; the
    /// real sandbox takes up to about 30 s).
    pub fn validation_delay(mut self, delay: Duration) -> Self {
        self.validation_delay = delay;
        self
    }

    /// How long an upload job stays `PENDING` before it is processed (default 300 ms).
    pub fn job_delay(mut self, delay: Duration) -> Self {
        self.job_delay = delay;
        self
    }

    /// Fault injection; see [`Faults`].
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// How long a connection has to send a request's headers before it is closed (default
    /// [`HEADER_TIMEOUT`], 10 s): counted from when the emulator starts waiting for them (the
    /// connection opened, or the previous answer on it sent), so slow-header clients and idle
    /// kept-alive connections cannot hold sockets open. At least 1 ms.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// A company for the first user, with `sites` sites and `connections` connections made at
    /// start; see [`Sandbox::seed`] for how they are spread. [`Sandbox::seeded`] lists them.
    pub fn seed_company(
        mut self,
        name: impl Into<String>,
        sites: usize,
        connections: usize,
    ) -> Self {
        self.companies.push((name.into(), sites, connections));
        self
    }

    /// A company for the first user with one site, one connected connection, and `documents`
    /// daily bills of `rows_per_document` usage rows each (one per meter): large document and
    /// usage data sets for benchmarks. [`Sandbox::seeded_data`] lists them.
    pub fn seed_usage(
        mut self,
        name: impl Into<String>,
        documents: usize,
        rows_per_document: usize,
    ) -> Self {
        self.data_sets
            .push((name.into(), documents, rows_per_document));
        self
    }

    /// A webhook endpoint, with its secret (`whsec_...`, e.g. from
    /// `nectar_api::webhooks::Signer::generate_secret()`): every connection event is delivered to
    /// it, signed. (Nectar configures endpoints through a Svix portal; the emulator through this
    /// and [`Sandbox::add_webhook_endpoint`].)
    pub fn webhook_endpoint(mut self, url: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook_endpoints.push((url.into(), secret.into()));
        self
    }

    /// The waits before each delivery attempt (default [`SVIX_SCHEDULE`]: immediately, then 5 s,
    /// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
    pub fn webhook_retry_schedule(mut self, schedule: impl IntoIterator<Item = Duration>) -> Self {
        self.webhook_schedule = schedule.into_iter().collect();
        self
    }

    /// Pins the emulator's clock: "now" reads `start` when the emulator starts, then moves with
    /// the time elapsed and [`Sandbox::advance_clock`]. Every date the emulator makes (bills,
    /// stamps, default data-collection start, invitation expiry, webhook timestamps) follows
    /// from it, so a test that pins it gets the same data on every day it runs. Default: the
    /// wall clock's time at start.
    pub fn now(mut self, start: chrono::DateTime<chrono::Utc>) -> Self {
        self.clock = Some(Clock::starting_at(start));
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        self.faults.validate().map_err(SandboxError)?;
        let mut users = self.users;
        if users.is_empty() {
            users.push((
                Sandbox::DEFAULT_API_KEY.to_owned(),
                Sandbox::DEFAULT_USER.to_owned(),
            ));
        }
        for (key, email) in &users {
            if key.is_empty() || email.is_empty() {
                return Err(SandboxError(format!(
                    "user: API key {key:?} and e-mail {email:?} must both be non-empty"
                )));
            }
        }
        let first = users[0].clone();
        let clock = self.clock.unwrap_or_else(Clock::system);
        let mut store = Store::new(
            users.iter().cloned().collect::<HashMap<_, _>>(),
            self.seed,
            clock.clone(),
        );
        let seeded = self
            .companies
            .iter()
            .map(|(name, sites, connections)| store.seed(&first.1, name, *sites, *connections))
            .collect();
        let seeded_data = self
            .data_sets
            .iter()
            .map(|(name, documents, rows)| store.seed_data(&first.1, name, *documents, *rows))
            .collect();
        if self.webhook_schedule.is_empty() {
            return Err(SandboxError(
                "webhook retry schedule: at least one attempt is needed".to_owned(),
            ));
        }
        let webhooks = Arc::new(Webhooks::new(self.webhook_schedule, clock.clone()));
        for (url, secret) in self.webhook_endpoints {
            webhooks
                .add(url.clone(), &secret)
                .map_err(|e| SandboxError(format!("webhook endpoint {url}: {e}")))?;
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            spec: Spec::load(),
            faults: self.faults,
            validation_delay: self.validation_delay,
            job_delay: self.job_delay,
            counter: AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            requests: Mutex::new(VecDeque::new()),
            webhooks,
            clock,
        });
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| SandboxError(format!("port: cannot bind 127.0.0.1:{}: {e}", self.port)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SandboxError(format!("local address: {e}")))?;
        shared.lock().set_public_origin(format!("http://{addr}"));
        let task = tokio::spawn(server::serve(
            listener,
            http::router(Arc::clone(&shared)),
            self.header_timeout,
        ));
        Ok(Sandbox {
            addr,
            base_url: format!("http://{addr}{}", http::PREFIX),
            api_key: first.0,
            user: first.1,
            shared,
            task,
            seeded,
            seeded_data,
        })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    api_key: String,
    user: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    seeded: Vec<Seeded>,
    seeded_data: Vec<SeededData>,
}

impl Sandbox {
    /// API key of the default user.
    pub const DEFAULT_API_KEY: &'static str = "sandbox-api-key";
    /// E-mail of the default user.
    pub const DEFAULT_USER: &'static str = "developer@example.com";

    /// An emulator with the defaults, on a free port.
    pub async fn start() -> Result<Self, SandboxError> {
        Self::builder().start().await
    }

    /// Configure an emulator.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The base URL to give a client: `http://127.0.0.1:<port>/v2.2`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first user's API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// A client builder for this emulator: its base URL and the first user's key, default
    /// retry policy and timeouts. Adjust it (e.g. `.retry_policy(RetryPolicy::none())` to see
    /// injected faults) and `.build()`.
    pub fn client_builder(&self) -> nectar_api::ClientBuilder {
        nectar_api::Client::builder()
            .api_key(self.api_key.as_str())
            .base_url(&self.base_url)
    }

    /// A client for this emulator with the first user's key.
    pub fn client(&self) -> nectar_api::Client {
        self.client_with_key(&self.api_key)
    }

    /// A client for this emulator that sends `api_key` (any non-empty string, for testing
    /// rejections).
    pub fn client_with_key(&self, api_key: &str) -> nectar_api::Client {
        self.client_builder()
            .api_key(api_key)
            .build()
            // Proven: the base URL is loopback http, which the builder accepts, and tests pass
            // non-empty keys; a failure here is a bug in the test, so say which key.
            .unwrap_or_else(|e| panic!("client for the emulator with key {api_key:?}: {e}"))
    }

    /// Creates a company for the first user with `sites` sites and `connections` connections.
    /// Connection `i` has status `ConnectionStatus::KNOWN[i % 12]`, site `i % sites` and owner
    /// `owner{i % 10}@example.com`; all use the sandbox provider and keep their status.
    pub fn seed(&self, name: &str, sites: usize, connections: usize) -> Seeded {
        self.store().seed(&self.user, name, sites, connections)
    }

    /// The companies seeded by [`SandboxBuilder::seed_company`], in order.
    pub fn seeded(&self) -> &[Seeded] {
        &self.seeded
    }

    /// Puts a connection into `status`, as Nectar's weekly check would (for example
    /// `PASSWORD_INCORRECT` after the end user changed their password), and delivers
    /// `connection.updated.v2` with the old status. False when there is no such connection.
    pub fn set_connection_status(
        &self,
        id: Uuid,
        status: nectar_api::types::ConnectionStatus,
    ) -> bool {
        let previous = self.shared.lock().set_connection_status(id, status);
        if let Some(previous) = &previous {
            self.shared.announce_status(id, previous);
        }
        previous.is_some()
    }

    /// Revises a document, as Nectar's re-processing of a bill does: `updated` becomes the
    /// clock's now and `notes` says which revision it is. False when there is no such document.
    pub fn revise_document(&self, id: Uuid) -> bool {
        self.shared.lock().revise_document(id)
    }

    /// Soft-deletes a document, as Nectar does when a bill is withdrawn: lists leave it out
    /// unless `isDeleted=true`, and its `updated` becomes the clock's now. False when there is
    /// no such document.
    pub fn delete_document(&self, id: Uuid) -> bool {
        self.shared.lock().delete_document(id)
    }

    /// Moves the emulator's clock forward, so `expiresInSeconds` can pass without waiting, or
    /// bills of a later month come due. Everything that reads the time moves with it.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// The emulator's clock now: tests compute date-dependent expectations from this, never
    /// from the wall clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.clock.now()
    }

    /// The UTC day of [`Sandbox::now`].
    pub fn today(&self) -> chrono::NaiveDate {
        self.shared.clock.today()
    }

    /// Deactivates a company, or makes it active again, as Nectar does: while it is inactive
    /// all its connections show `COMPANY_INACTIVE` (each announced with `connection.updated.v2`),
    /// their accounts too, and its upload jobs fail; reactivated, they show their statuses of
    /// before. False when there is no such company.
    pub fn set_company_active(&self, id: Uuid, active: bool) -> bool {
        let changed = self.shared.lock().set_company_active(id, active);
        for (connection, previous) in changed.iter().flatten() {
            self.shared.announce_status(*connection, previous);
        }
        changed.is_some()
    }

    /// The data sets seeded by [`SandboxBuilder::seed_usage`], in order.
    pub fn seeded_data(&self) -> &[SeededData] {
        &self.seeded_data
    }

    /// The requests received so far (the last [`MAX_LOGGED_REQUESTS`] of them), in the order
    /// they arrived. Each is logged as it arrives, before it is answered, so a request the client
    /// gave up on (an attempt that timed out and was retried) is here too, with `status: None`.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Registers a webhook endpoint and returns its new secret (`whsec_...`).
    pub fn add_webhook_endpoint(
        &self,
        url: impl Into<String>,
    ) -> Result<String, nectar_api::webhooks::WebhookError> {
        let secret = nectar_api::webhooks::Signer::generate_secret()?;
        self.shared.webhooks.add(url.into(), &secret)?;
        Ok(secret)
    }

    /// Every delivery attempt so far, in the order made.
    pub fn webhook_deliveries(&self) -> Vec<Delivery> {
        self.shared.webhooks.deliveries()
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.shared.lock()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_path_holds_no_more_memory_than_it_shows() {
        let long = "é".repeat(30 * 1024);
        let kept = bounded(long, MAX_LOGGED_PATH);
        assert!(kept.len() <= MAX_LOGGED_PATH + 3 && kept.ends_with("..."));
        assert!(
            kept.capacity() <= MAX_LOGGED_PATH + 3,
            "{}",
            kept.capacity()
        );
        assert_eq!(bounded("short".to_owned(), MAX_LOGGED_PATH), "short");
    }
}
