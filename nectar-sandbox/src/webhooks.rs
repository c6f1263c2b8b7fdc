//! Signed webhook deliveries, as Nectar makes them through Svix: a POST of the event's JSON to
//! every registered endpoint, signed with the endpoint's secret, retried on any non-2xx answer
//! (or no answer) on Svix's schedule, with the same `svix-id` on every attempt.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use nectar_api::webhooks::{Signer, WebhookError};

use super::clock::Clock;
use serde_json::Value;

/// Svix's retry schedule: the wait before each attempt (the first is immediate).
pub const SVIX_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// One attempt to deliver one message to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message id (`svix-id`), the same on every attempt.
    pub message_id: String,
    /// The event, e.g. `connection.updated.v2`.
    pub event_type: String,
    /// The endpoint's URL.
    pub endpoint: String,
    /// Attempt number, from 1.
    pub attempt: usize,
    /// The endpoint's answer; `None` when it did not answer.
    pub status: Option<u16>,
}

#[derive(Clone)]
struct Endpoint {
    url: String,
    signer: Signer,
}

/// Endpoints, the delivery log, and the client that delivers.
pub(crate) struct Webhooks {
    endpoints: Mutex<Vec<Endpoint>>,
    deliveries: Mutex<Vec<Delivery>>,
    schedule: Vec<Duration>,
    http: reqwest::Client,
    /// The emulator's clock: the signature's timestamp.
    clock: Clock,
}

impl Webhooks {
    pub(crate) fn new(schedule: Vec<Duration>, clock: Clock) -> Self {
        Self {
            clock,
            endpoints: Mutex::new(Vec::new()),
            deliveries: Mutex::new(Vec::new()),
            schedule,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
        }
    }

    pub(crate) fn add(&self, url: String, secret: &str) -> Result<(), WebhookError> {
        let signer = Signer::new(secret)?;
        lock(&self.endpoints).push(Endpoint { url, signer });
        Ok(())
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).clone()
    }

    /// Sends `payload` to every endpoint, each in its own task.
    pub(crate) fn emit(self: &Arc<Self>, message_id: String, event_type: &str, payload: &Value) {
        let body = serde_json::to_vec(payload).unwrap_or_default();
        for endpoint in lock(&self.endpoints).clone() {
            let webhooks = Arc::clone(self);
            let (message_id, event_type, body) =
                (message_id.clone(), event_type.to_owned(), body.clone());
            tokio::spawn(async move {
                for (index, wait) in webhooks.schedule.iter().enumerate() {
                    tokio::time::sleep(*wait).await;
                    let timestamp = webhooks.clock.now().timestamp();
                    let status = webhooks
                        .http
                        .post(&endpoint.url)
                        .headers(endpoint.signer.headers(&message_id, timestamp, &body))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .ok()
                        .map(|r| r.status().as_u16());
                    lock(&webhooks.deliveries).push(Delivery {
                        message_id: message_id.clone(),
                        event_type: event_type.clone(),
                        endpoint: endpoint.url.clone(),
                        attempt: index + 1,
                        status,
                    });
                    if status.is_some_and(|s| (200..300).contains(&s)) {
                        break;
                    }
                }
            });
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
