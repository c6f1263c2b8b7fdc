//! A webhook receiver in axum, as a production app would write it: verify the raw delivery,
//! deduplicate on its id (deliveries are at least once: Svix retries until it gets a 2xx), then
//! handle the typed event and answer quickly.
//!
//! ```sh
//! cargo run --example webhook_receiver
//! ```
//!
//! It runs on the embedded emulator, which delivers signed events to the receiver as Nectar's
//! Svix would. To show the deduplication, the receiver answers `500` once after handling a
//! delivery (as if it crashed before answering): the retry arrives with the same id and is
//! skipped. With Nectar, set the endpoint's secret (`whsec_...`) from its settings instead.

use std::{
    collections::HashSet,
    error::Error,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use nectar_api::webhooks::{Event, Signer, Verifier};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};

/// What the receiver keeps: the verifier, the ids already handled, and (for the demonstration)
/// whether to fail one answer.
#[derive(Clone)]
struct Receiver {
    verifier: Verifier,
    handled: Arc<Mutex<HashSet<String>>>,
    fail_once: Arc<Mutex<bool>>,
    log: Arc<Mutex<Vec<String>>>,
}

async fn webhook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    // 1. Verify the raw bytes (before any JSON parsing: the signature covers them exactly).
    let delivery = match receiver.verifier.verify(&headers, &body) {
        Ok(delivery) => delivery,
        Err(error) => {
            eprintln!("refused a delivery: {error}");
            return StatusCode::BAD_REQUEST;
        }
    };
    // 2. Deduplicate on the delivery id; a retry of a handled delivery is answered 2xx again.
    // (A real app keeps the ids in its database, in the transaction that handles the event.)
    let first_time = receiver
        .handled
        .lock()
        .map(|mut handled| handled.insert(delivery.id.clone()))
        .unwrap_or(false);
    let line = if first_time {
        // 3. Handle the event; long work goes to a queue, so the answer comes within 15 s.
        match &delivery.event {
            Event::ConnectionUpdated(update) => format!(
                "{}: connection {} is now {}",
                delivery.id,
                update.id,
                update
                    .status
                    .as_ref()
                    .map_or_else(|| "?".to_owned(), ToString::to_string)
            ),
            Event::DocumentCreated(document) => {
                format!("{}: new bill {:?}", delivery.id, document.id)
            }
            other => format!("{}: {}", delivery.id, other.event_type()),
        }
    } else {
        format!("{}: already handled, skipped", delivery.id)
    };
    if let Ok(mut log) = receiver.log.lock() {
        log.push(line);
    }
    // The demonstration's crash: handled, but no 2xx reached Svix, so it will retry.
    if first_time
        && receiver
            .fail_once
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or(false)
    {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let secret = Signer::generate_secret()?;
    let receiver = Receiver {
        verifier: Verifier::new(&secret)?,
        handled: Arc::default(),
        fail_once: Arc::new(Mutex::new(true)),
        log: Arc::default(),
    };
    let app = Router::new()
        .route("/nectar/webhooks", post(webhook))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}/nectar/webhooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(200))
        .webhook_endpoint(&endpoint, &secret)
        .webhook_retry_schedule([Duration::ZERO, Duration::from_millis(200)])
        .start()
        .await?;
    println!("Emulator at {}; webhooks to {endpoint}", sandbox.base_url());
    let client = sandbox.client();
    let (_, _, connection) = flows::sandbox_connection(&client, 1, SANDBOX_PASSWORD).await?;
    client
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(100))
        .await?;

    // Wait until a retry has been skipped and the connection events are in (at most 10 s).
    let done = || {
        receiver.log.lock().is_ok_and(|log| {
            log.iter().any(|l| l.ends_with("skipped"))
                && log.iter().filter(|l| l.contains("connection")).count() >= 2
        })
    };
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .map_err(|_| {
        format!(
            "the deliveries did not all arrive within 10 s: {:?}",
            receiver.log.lock().map(|l| l.clone()).unwrap_or_default()
        )
    })?;
    let log = receiver.log.lock().map_err(|_| "log")?.clone();
    let bills = log.iter().filter(|line| line.contains("new bill")).count();
    for line in log.iter().filter(|line| !line.contains("new bill")) {
        println!("{line}");
    }
    println!("and {bills} document.created.v2 (one per bill of the new connection)");
    let handled = receiver.handled.lock().map_err(|_| "ids")?.len();
    println!("{handled} deliveries handled once each");
    Ok(())
}
