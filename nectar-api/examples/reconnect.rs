//! The credential-error flow end to end, as the connection-status guide describes it: a
//! connection falls into `PASSWORD_INCORRECT` (as Nectar's weekly check would find it), the app
//! receives the verified `connection.updated.v2` webhook, sees a credential error (the status
//! category), creates a single-use reconnect invitation expiring in an hour, the end user enters
//! the new password through it, and the `CONNECTED` webhook confirms the fix.
//!
//! ```sh
//! cargo run --example reconnect
//! ```
//!
//! It runs on the embedded emulator: the end user's part (opening the link and submitting the
//! form) and the weekly check that breaks the connection are the emulator's; with Nectar they
//! happen in a browser and on Nectar's schedule.

use std::{error::Error, num::NonZeroU32, time::Duration};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use nectar_api::{
    status::ConnectionCategory,
    types::{ConnectionStatus, ReconnectInvitationCreate},
    webhooks::{Event, Signer, Verifier},
};
use nectar_sandbox::{SANDBOX_PASSWORD, SANDBOX_USERNAME, Sandbox, flows};
use serde_json::json;
use tokio::sync::mpsc;

/// The app's webhook endpoint: verifies each delivery and passes the event on.
async fn webhook(
    State((verifier, events)): State<(Verifier, mpsc::UnboundedSender<Event>)>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::http::StatusCode {
    match verifier.verify(&headers, &body) {
        Ok(delivery) => {
            let _ = events.send(delivery.event);
            axum::http::StatusCode::NO_CONTENT
        }
        Err(_) => axum::http::StatusCode::BAD_REQUEST,
    }
}

/// The next `connection.updated.v2` for `id` (other events are skipped), within 10 s.
async fn next_update(
    events: &mut mpsc::UnboundedReceiver<Event>,
    id: uuid::Uuid,
) -> Result<Box<nectar_api::types::ConnectionUpdatedEvent>, Box<dyn Error>> {
    let wait = async {
        while let Some(event) = events.recv().await {
            if let Event::ConnectionUpdated(update) = event
                && update.id == id
            {
                return Some(Box::new(update));
            }
        }
        None
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await?
        .ok_or_else(|| "the webhook endpoint stopped".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The app's webhook endpoint, and the emulator delivering to it.
    let secret = Signer::generate_secret()?;
    let (sender, mut events) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/nectar/webhooks", post(webhook))
        .with_state((Verifier::new(&secret)?, sender));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}/nectar/webhooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(300))
        .webhook_endpoint(&endpoint, &secret)
        .start()
        .await?;
    let client = sandbox.client();
    println!("Emulator at {}; webhooks to {endpoint}", sandbox.base_url());

    // A healthy sandbox connection.
    let (_, _, connection) = flows::sandbox_connection(&client, 1, SANDBOX_PASSWORD).await?;
    client
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(100))
        .await?;
    println!("1. Connection {} is CONNECTED", connection.id);

    // The end user changed their password at the utility; the weekly check finds out.
    sandbox.set_connection_status(connection.id, ConnectionStatus::PasswordIncorrect);
    let update = loop {
        let update = next_update(&mut events, connection.id).await?;
        if update.status == Some(ConnectionStatus::PasswordIncorrect) {
            break update;
        }
    };
    let status = update
        .status
        .clone()
        .unwrap_or(ConnectionStatus::PasswordIncorrect);
    let was = update
        .old
        .as_ref()
        .and_then(|old| old.status.as_ref())
        .map_or_else(|| "?".to_owned(), ToString::to_string);
    println!("2. Verified webhook connection.updated.v2: {was} -> {status}");

    // What the status asks for: a credential error needs the end user.
    let category = status.category();
    println!(
        "3. Category {category:?}: {} (user action needed: {})",
        status.recommended_action(),
        status.requires_user_action()
    );
    if category != ConnectionCategory::CredentialError {
        return Err("expected a credential error".into());
    }

    // A single-use reconnect invitation, expiring in an hour.
    let invitation = client
        .create_reconnect_invitation()
        .connection_id(connection.id)
        .body(
            ReconnectInvitationCreate::builder()
                .max_uses(NonZeroU32::new(1))
                .expires_in_seconds(Some(3600)),
        )
        .send()
        .await?
        .into_inner();
    println!(
        "4. Reconnect invitation {} ({}, {} use, expires {}); link sent to the end user",
        invitation.id,
        invitation.status,
        invitation.max_uses.map_or(0, u32::from),
        invitation
            .expires_at
            .map_or_else(|| "never".to_owned(), |t| t.to_string())
    );

    // The end user opens the link and enters the new password.
    let link = invitation.invitation_url.expose_secret();
    let form: serde_json::Value = reqwest::get(link).await?.json().await?;
    let answer = reqwest::Client::new()
        .post(link)
        .json(&json!({"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}))
        .send()
        .await?;
    println!(
        "5. The end user opened the {} form and submitted new credentials: {}",
        form["invitationType"].as_str().unwrap_or_default(),
        answer.status()
    );

    // The webhooks follow the fix: PENDING while Nectar checks, then CONNECTED.
    loop {
        let update = next_update(&mut events, connection.id).await?;
        let status = update.status.clone().unwrap_or(ConnectionStatus::Pending);
        println!("6. Verified webhook connection.updated.v2: now {status}");
        if status == ConnectionStatus::Connected {
            break;
        }
    }
    let detail = client
        .get_invitation()
        .invitation_id(invitation.id)
        .send()
        .await?
        .into_inner();
    let log: Vec<String> = detail
        .events
        .iter()
        .map(|e| e.event_type.to_string())
        .collect();
    println!(
        "7. Fixed. The invitation is {} (used {} time), audit log: {}",
        detail.status,
        detail.use_count,
        log.join(", ")
    );
    Ok(())
}
