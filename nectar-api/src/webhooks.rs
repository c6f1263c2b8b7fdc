//! Webhooks: verify a delivery from Nectar (signed by Svix) and get a typed event.
//!
//! Take the raw request, headers and body bytes as received (before any JSON parsing: the
//! signature covers the exact bytes), and hand them to a [`Verifier`] built from the endpoint's
//! secret (`whsec_...`). It checks the `svix-id`, `svix-timestamp` and `svix-signature` headers
//! (or their `webhook-*` spellings), the timestamp against a tolerance window, and the
//! HMAC-SHA256 signature in constant time, accepting any of several signatures (key rotation);
//! then it decodes the [`Event`]. A header given twice (in any case) with different values is
//! refused ([`WebhookError::AmbiguousHeader`]): the verdict never depends on the order a map
//! hands its headers over in.
//!
//! ```
//! use nectar_api::webhooks::{Event, Signer, Verifier};
//!
//! let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
//! let body = br#"{"eventType": "connection.updated.v2", "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199",
//!                 "status": "CONNECTED", "protectedChanges": ["status"], "old": {"status": "PENDING"}}"#;
//! // What Nectar would send (in your tests, the Signer plays Nectar):
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
//! let headers = Signer::new(secret).unwrap().headers("msg_1", now, body);
//!
//! let delivery = Verifier::new(secret).unwrap().verify(&headers, body).unwrap();
//! assert_eq!(delivery.id, "msg_1"); // deduplicate on it: retries keep it
//! match delivery.event {
//!     Event::ConnectionUpdated(event) => {
//!         assert_eq!(event.old.unwrap().status.unwrap().as_str(), "PENDING");
//!     }
//!     other => panic!("unexpected {}", other.event_type()),
//! }
//! ```
//!
//! Deliveries are at least once: deduplicate on [`Delivery::id`] (`svix-id`), which stays the same
//! on retries. Headers from frameworks other than `http` 1.x go in as [`Headers`] (name/value
//! pairs or a map). `examples/webhook_receiver.rs` is a complete axum receiver.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig, general_purpose::STANDARD},
};
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;

mod headers;

pub use headers::Headers;

use crate::types::{ConnectionEvent, ConnectionUpdatedEvent, DocumentEvent, DocumentUpdatedEvent};

/// How far a delivery's timestamp may be from now, either way (Svix's libraries use 5 minutes).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a delivery was refused. The messages say which check failed and never show the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The endpoint secret is not `whsec_` followed by base64.
    InvalidSecret,
    /// A required header is missing (named with both spellings).
    MissingHeader(&'static str),
    /// A required header is present but not visible ASCII text.
    InvalidHeader(&'static str),
    /// A required header is given more than once (in any case) with different values: which one
    /// was signed cannot be told, so the delivery is refused whatever order the values come in.
    AmbiguousHeader(&'static str),
    /// The timestamp header is not a whole number of seconds.
    InvalidTimestamp,
    /// The timestamp is further from now than the tolerance (replayed or clock skew).
    TimestampOutsideTolerance {
        /// Seconds from the delivery's timestamp to now (negative: in the future).
        age_seconds: i64,
        /// The tolerance, in seconds.
        tolerance_seconds: u64,
    },
    /// No `v1` signature in the signature header matches the body (tampered body, or the wrong
    /// secret).
    NoMatchingSignature,
    /// The signature checks out but the body is not the JSON of the event it names.
    Payload(String),
    /// The operating system's secure random source failed (generating a secret).
    RandomSource,
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::InvalidSecret => f.write_str(
                "the webhook secret is not valid: expected `whsec_` followed by base64 (copy it \
                 again from the endpoint's settings)",
            ),
            WebhookError::MissingHeader(name) => write!(f, "the {name} header is missing"),
            WebhookError::InvalidHeader(name) => {
                write!(f, "the {name} header is not visible ASCII text")
            }
            WebhookError::AmbiguousHeader(name) => write!(
                f,
                "the {name} header is given more than once with different values; refused, since \
                 which one was signed is ambiguous (a proxy or a map of headers merged two \
                 deliveries?)"
            ),
            WebhookError::InvalidTimestamp => {
                f.write_str("the svix-timestamp header is not a Unix time in seconds")
            }
            WebhookError::TimestampOutsideTolerance {
                age_seconds,
                tolerance_seconds,
            } => write!(
                f,
                "the delivery's timestamp is {age_seconds} s from now, outside the {tolerance_seconds} s \
                 tolerance (a replay, or a clock out of sync)"
            ),
            WebhookError::NoMatchingSignature => f.write_str(
                "no signature matches the body: the body was changed, or the secret is not this \
                 endpoint's (verify the raw bytes, before any parsing)",
            ),
            WebhookError::Payload(message) => {
                write!(f, "the signed body does not decode: {message}")
            }
            WebhookError::RandomSource => {
                f.write_str("the operating system's secure random source failed")
            }
        }
    }
}

impl std::error::Error for WebhookError {}

/// Standard base64 that takes padding or none, as Svix's libraries do.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The key of an endpoint secret, as Svix's libraries read it: surrounding whitespace (a
/// secret read from a file or an environment variable ends in a newline) is ignored, the
/// `whsec_` prefix is optional, and base64 padding may be left out.
fn key_of(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let secret = secret.trim();
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    LENIENT
        .decode(encoded)
        .ok()
        .filter(|key| !key.is_empty())
        .ok_or(WebhookError::InvalidSecret)
}

fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // Invariant: HMAC accepts keys of any length (longer ones are hashed), so `new_from_slice`
    // cannot fail for HMAC-SHA256.
    #[allow(clippy::expect_used)]
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The value of the first of `names` present in `headers`, as text. The same value given more
/// than once counts once; different values are [`WebhookError::AmbiguousHeader`], whatever their
/// order (a `HashMap` holding `svix-id` and `SVIX-ID` iterates in a different order each run).
fn header<'h, H: Headers + ?Sized>(
    headers: &'h H,
    names: [&str; 2],
    label: &'static str,
) -> Result<&'h str, WebhookError> {
    let Some(values) = names
        .iter()
        .map(|name| headers.header_values(name))
        .find(|values| !values.is_empty())
    else {
        return Err(WebhookError::MissingHeader(label));
    };
    let mut texts = values.into_iter().map(|value| {
        std::str::from_utf8(value)
            .ok()
            .filter(|text| {
                text.bytes()
                    .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
            })
            .ok_or(WebhookError::InvalidHeader(label))
    });
    let first = texts.next().ok_or(WebhookError::MissingHeader(label))??;
    for text in texts {
        if text? != first {
            return Err(WebhookError::AmbiguousHeader(label));
        }
    }
    Ok(first)
}

/// A verified delivery: its id and its event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// The delivery's id (`svix-id`, or `webhook-id`): the same on every retry of one message,
    /// so deduplicate on it (deliveries are at least once).
    pub id: String,
    /// The event.
    pub event: Event,
}

/// Verifies deliveries for one endpoint.
#[derive(Clone)]
pub struct Verifier {
    key: Vec<u8>,
    tolerance: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("key", &"***")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl Verifier {
    /// A verifier for the endpoint secret (`whsec_...`), with the default tolerance.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Ok(Self {
            key: key_of(secret)?,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far the delivery's timestamp may be from now.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery received now and decodes its event; the [`Delivery`] carries its id,
    /// to deduplicate on. `headers` may be `http` 1.x's `HeaderMap` or any [`Headers`] (pairs or a
    /// map of names to values, from another framework).
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Delivery, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Verifies a delivery as of `now` and decodes its event.
    pub fn verify_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery, WebhookError> {
        let id = self.check_signature_at(headers, body, now)?.to_owned();
        Ok(Delivery {
            id,
            event: Event::parse(body)?,
        })
    }

    /// Only the checks (headers, timestamp, signature), as of `now`; returns the message id.
    pub fn check_signature_at<'h, H: Headers + ?Sized>(
        &self,
        headers: &'h H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<&'h str, WebhookError> {
        let id = header(
            headers,
            ["svix-id", "webhook-id"],
            "svix-id (or webhook-id)",
        )?;
        let timestamp = header(
            headers,
            ["svix-timestamp", "webhook-timestamp"],
            "svix-timestamp (or webhook-timestamp)",
        )?;
        let signatures = header(
            headers,
            ["svix-signature", "webhook-signature"],
            "svix-signature (or webhook-signature)",
        )?;

        let sent: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let age_seconds = now.saturating_sub(sent);
        let tolerance_seconds = self.tolerance.as_secs();
        if age_seconds.unsigned_abs() > tolerance_seconds {
            return Err(WebhookError::TimestampOutsideTolerance {
                age_seconds,
                tolerance_seconds,
            });
        }

        let expected = mac(&self.key, id, timestamp.trim(), body);
        // Every space-separated `v1,<base64>` of the header (key rotation).
        let matched = signatures.split_whitespace().any(|entry| {
            let Some(("v1", encoded)) = entry.split_once(',') else {
                return false;
            };
            LENIENT
                .decode(encoded)
                .is_ok_and(|signature| expected.clone().verify_slice(&signature).is_ok())
        });
        if matched {
            Ok(id)
        } else {
            Err(WebhookError::NoMatchingSignature)
        }
    }
}

/// Signs deliveries as Svix does: for your tests, and for the emulator.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { key: \"***\" }")
    }
}

impl Signer {
    /// A signer for the endpoint secret (`whsec_...`).
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Ok(Self {
            key: key_of(secret)?,
        })
    }

    /// A new random endpoint secret, `whsec_` and 32 bytes of base64, from the operating
    /// system's secure random source.
    pub fn generate_secret() -> Result<String, WebhookError> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| WebhookError::RandomSource)?;
        Ok(format!("whsec_{}", STANDARD.encode(bytes)))
    }

    /// The signature header value for a message: `v1,<base64 HMAC-SHA256>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = mac(&self.key, id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// The three `svix-*` headers of a delivery.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("svix-id", id.to_owned()),
            ("svix-timestamp", timestamp.to_string()),
            ("svix-signature", self.sign(id, timestamp, body)),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers
    }
}

/// A webhook event. The body names it in `eventType`; the v2 names and the older unversioned
/// ones are recognised, and anything else is kept with its raw JSON.
///
/// Its `Debug` masks every field the spec marks sensitive, in typed payloads, in their raw
/// `extra`/`old` maps and in unknown events' payloads alike; the values themselves are kept.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `connection.created.v2` (or `connection.created`).
    ConnectionCreated(ConnectionEvent),
    /// `connection.updated.v2` (or `connection.updated`), with `protectedChanges` and `old`.
    ConnectionUpdated(ConnectionUpdatedEvent),
    /// `connection.validated.v2` (or `connection.validated`).
    ConnectionValidated(ConnectionEvent),
    /// `document.created.v2` (or `document.created`).
    DocumentCreated(DocumentEvent),
    /// `document.updated.v2` (or `document.updated`), with `old`.
    DocumentUpdated(DocumentUpdatedEvent),
    /// `document.deleted.v2` (or `document.deleted`).
    DocumentDeleted(DocumentEvent),
    /// An event these bindings do not know, kept as sent.
    Unknown {
        /// Its `eventType` (empty when the body has none).
        event_type: String,
        /// The whole body.
        payload: serde_json::Value,
    },
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::ConnectionCreated(event) => {
                f.debug_tuple("ConnectionCreated").field(event).finish()
            }
            Event::ConnectionUpdated(event) => {
                f.debug_tuple("ConnectionUpdated").field(event).finish()
            }
            Event::ConnectionValidated(event) => {
                f.debug_tuple("ConnectionValidated").field(event).finish()
            }
            Event::DocumentCreated(event) => f.debug_tuple("DocumentCreated").field(event).finish(),
            Event::DocumentUpdated(event) => f.debug_tuple("DocumentUpdated").field(event).finish(),
            Event::DocumentDeleted(event) => f.debug_tuple("DocumentDeleted").field(event).finish(),
            Event::Unknown {
                event_type,
                payload,
            } => f
                .debug_struct("Unknown")
                .field("event_type", event_type)
                .field("payload", &crate::redact::Redacted(payload))
                .finish(),
        }
    }
}

impl Event {
    /// Decodes a body, dispatching on its `eventType`.
    pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
        #[derive(serde::Deserialize)]
        struct Named {
            #[serde(rename = "eventType", default)]
            event_type: Option<String>,
        }
        let named: Named = crate::decode::decode(body)
            .map_err(|e| WebhookError::Payload(e.into_source().to_string()))?;
        Event::from_payload(named.event_type.as_deref().unwrap_or(""), body)
    }

    /// Decodes a body as the event `event_type` (when you know it from elsewhere, e.g. the
    /// endpoint's subscription).
    pub fn from_payload(event_type: &str, body: &[u8]) -> Result<Event, WebhookError> {
        fn decode<T: serde::de::DeserializeOwned>(
            event_type: &str,
            body: &[u8],
        ) -> Result<T, WebhookError> {
            // Within the client's decode budget, as every answer: a payload decodes to at
            // most MAX_DECODE_RATIO times its size.
            crate::decode::decode(body)
                .map_err(|e| WebhookError::Payload(format!("{event_type}: {}", e.into_source())))
        }
        let name = event_type.strip_suffix(".v2").unwrap_or(event_type);
        Ok(match name {
            "connection.created" => Event::ConnectionCreated(decode(event_type, body)?),
            "connection.updated" => Event::ConnectionUpdated(decode(event_type, body)?),
            "connection.validated" => Event::ConnectionValidated(decode(event_type, body)?),
            "document.created" => Event::DocumentCreated(decode(event_type, body)?),
            "document.updated" => Event::DocumentUpdated(decode(event_type, body)?),
            "document.deleted" => Event::DocumentDeleted(decode(event_type, body)?),
            _ => Event::Unknown {
                event_type: event_type.to_owned(),
                payload: decode(event_type, body)?,
            },
        })
    }

    /// The event's name as these bindings know it (`connection.updated.v2`, ...), or the
    /// `eventType` of an unknown one.
    pub fn event_type(&self) -> &str {
        match self {
            Event::ConnectionCreated(_) => "connection.created.v2",
            Event::ConnectionUpdated(_) => "connection.updated.v2",
            Event::ConnectionValidated(_) => "connection.validated.v2",
            Event::DocumentCreated(_) => "document.created.v2",
            Event::DocumentUpdated(_) => "document.updated.v2",
            Event::DocumentDeleted(_) => "document.deleted.v2",
            Event::Unknown { event_type, .. } => event_type,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Svix's published example (its libraries' test vector).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(seconds: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    }

    fn svix_headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("svix-id", HeaderValue::from_static(ID));
        headers.insert(
            "svix-timestamp",
            HeaderValue::from_str(&TIMESTAMP.to_string()).unwrap(),
        );
        headers.insert("svix-signature", HeaderValue::from_str(signature).unwrap());
        headers
    }

    #[test]
    fn the_signer_reproduces_svixs_published_signature() {
        assert_eq!(
            Signer::new(SECRET).unwrap().sign(ID, TIMESTAMP, BODY),
            SIGNATURE
        );
        // The `whsec_` prefix is optional, as in Svix's libraries.
        assert_eq!(
            Signer::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
                .unwrap()
                .sign(ID, TIMESTAMP, BODY),
            SIGNATURE
        );
    }

    #[test]
    fn the_verifier_accepts_svixs_published_example() {
        let verifier = Verifier::new(SECRET).unwrap();
        let headers = svix_headers(SIGNATURE);
        let id = verifier
            .check_signature_at(&headers, BODY, at(TIMESTAMP + 10))
            .unwrap();
        assert_eq!(id, ID);
        // Its body has no eventType: kept as an unknown event, not an error.
        let delivery = verifier
            .verify_at(&svix_headers(SIGNATURE), BODY, at(TIMESTAMP))
            .unwrap();
        assert_eq!(delivery.id, ID);
        let event = delivery.event;
        assert_eq!(event.event_type(), "");
        assert!(
            matches!(event, Event::Unknown { payload, .. } if payload["test"] == 2432232314_u64)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let rotated = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,zzz {SIGNATURE}");
        let verifier = Verifier::new(SECRET).unwrap();
        assert!(
            verifier
                .check_signature_at(&svix_headers(&rotated), BODY, at(TIMESTAMP))
                .is_ok()
        );
    }

    #[test]
    fn webhook_prefixed_headers_are_accepted() {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", HeaderValue::from_static(ID));
        headers.insert(
            "webhook-timestamp",
            HeaderValue::from_str(&TIMESTAMP.to_string()).unwrap(),
        );
        headers.insert("webhook-signature", HeaderValue::from_static(SIGNATURE));
        assert!(
            Verifier::new(SECRET)
                .unwrap()
                .check_signature_at(&headers, BODY, at(TIMESTAMP))
                .is_ok()
        );
    }

    #[test]
    fn a_bad_secret_is_refused_without_echoing_it() {
        let error = Verifier::new("whsec_not base64!").unwrap_err();
        assert_eq!(error, WebhookError::InvalidSecret);
        assert!(!error.to_string().contains("not base64"));
        assert!(!format!("{:?}", Verifier::new(SECRET).unwrap()).contains("MfKQ9r8"));
    }

    fn svix_lines(signatures: &[&str]) -> HeaderMap {
        let mut headers = svix_headers(signatures[0]);
        for signature in &signatures[1..] {
            headers.append("svix-signature", HeaderValue::from_str(signature).unwrap());
        }
        headers
    }

    #[test]
    fn secrets_are_read_as_svixs_libraries_read_them() {
        let unpadded = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".trim_end_matches('=');
        // A 23-byte key: its base64 ends in one `=`.
        let padded_23 = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=";
        for secret in [
            SECRET.to_owned(),
            format!("{SECRET}\n"),
            format!("  {SECRET}\r\n"),
            format!("\t{}", SECRET.trim_start_matches("whsec_")),
            unpadded.to_owned(),
        ] {
            let verifier = Verifier::new(&secret).unwrap_or_else(|e| panic!("{secret:?}: {e}"));
            verifier
                .check_signature_at(&svix_lines(&[SIGNATURE]), BODY, at(TIMESTAMP))
                .unwrap_or_else(|e| panic!("{secret:?}: {e}"));
        }
        // Padded and unpadded spellings of the same key sign alike.
        let unpadded = Signer::new(&padded_23[..padded_23.len() - 1]).unwrap();
        let padded = Signer::new(padded_23).unwrap();
        assert_eq!(unpadded.sign("m", 1, b"{}"), padded.sign("m", 1, b"{}"));
        for bad in ["", "whsec_", "whsec_not base64!", "   "] {
            assert_eq!(
                Verifier::new(bad).unwrap_err(),
                WebhookError::InvalidSecret,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_header_repeated_with_different_values_is_refused_in_any_order() {
        let verifier = Verifier::new(SECRET).unwrap();
        let wrong = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        // The same value twice is one value.
        verifier
            .check_signature_at(&svix_lines(&[SIGNATURE, SIGNATURE]), BODY, at(TIMESTAMP))
            .unwrap();
        for lines in [&[wrong, SIGNATURE][..], &[SIGNATURE, wrong]] {
            assert_eq!(
                verifier
                    .check_signature_at(&svix_lines(lines), BODY, at(TIMESTAMP))
                    .unwrap_err(),
                WebhookError::AmbiguousHeader("svix-signature (or webhook-signature)"),
                "{lines:?}"
            );
        }
        // Two ids, timestamps or signatures in one map, differing in case only: every one of
        // 200 maps (each iterating in its own order) gets the same verdict, naming the header.
        let timestamp = TIMESTAMP.to_string();
        for (name, other, label) in [
            ("svix-id", "msg_other", "svix-id (or webhook-id)"),
            (
                "svix-timestamp",
                "1614265331",
                "svix-timestamp (or webhook-timestamp)",
            ),
            (
                "svix-signature",
                wrong,
                "svix-signature (or webhook-signature)",
            ),
        ] {
            let mut verdicts: Vec<_> = (0..200)
                .map(|_| {
                    let mut map: std::collections::HashMap<String, String> = [
                        ("svix-id", ID),
                        ("svix-timestamp", timestamp.as_str()),
                        ("svix-signature", SIGNATURE),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                    map.insert(name.to_uppercase(), other.to_owned());
                    verifier
                        .check_signature_at(&map, BODY, at(TIMESTAMP))
                        .map(str::to_owned)
                })
                .collect();
            verdicts.dedup();
            assert_eq!(
                verdicts,
                [Err(WebhookError::AmbiguousHeader(label))],
                "{name}"
            );
        }
        // Several signatures on one line (key rotation) are still each considered.
        verifier
            .check_signature_at(
                &svix_headers(&format!("v2,xyz {wrong} {SIGNATURE}")),
                BODY,
                at(TIMESTAMP),
            )
            .unwrap();
    }

    #[test]
    fn a_present_but_malformed_header_is_named_as_malformed() {
        let verifier = Verifier::new(SECRET).unwrap();
        for name in ["svix-id", "svix-timestamp", "svix-signature"] {
            let mut headers = svix_lines(&[SIGNATURE]);
            headers.insert(name, HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap());
            let error = verifier
                .check_signature_at(&headers, BODY, at(TIMESTAMP))
                .unwrap_err();
            assert!(
                matches!(error, WebhookError::InvalidHeader(label) if label.starts_with(name)),
                "{name}: {error:?}"
            );
            assert!(error.to_string().contains("not visible ASCII"), "{error}");
        }
    }
}
