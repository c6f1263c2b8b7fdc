//! One error type for everything the client can meet, with messages that say what to do.

use std::{fmt, time::Duration};

use reqwest::StatusCode;

use crate::types::ApiError;

/// The most bytes of an error answer's body an [`Error`] keeps.
pub const MAX_ERROR_BODY: usize = 4 * 1024;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nectar answered with an error status (4xx, 5xx).
    Api,
    /// The request never got an answer: connection refused or dropped, DNS, TLS, timeout.
    Transport,
    /// Nectar answered 2xx with a body these bindings cannot decode (the API may have changed).
    Decode,
    /// The request was not sent: a required parameter is missing or a value breaks a
    /// documented constraint.
    InvalidRequest,
    /// The client could not be built (bad base URL, missing API key, ...).
    Config,
    /// A waiter's deadline passed first.
    Timeout,
    /// Pages contradicted each other (a page answered for another, or repeated); the pager
    /// stopped rather than duplicate or lose items.
    Pagination,
}

/// Every failure of the Nectar client.
///
/// Always carries what is known: the HTTP status, the API's `detail`, the raw body (at most
/// [`MAX_ERROR_BODY`] bytes), the `Retry-After` delay. Never carries the API key. Every
/// operation's error converts into it with `?`:
///
/// ```no_run
/// # async fn run(client: &nectar_api::Client, id: uuid::Uuid) -> Result<(), nectar_api::Error> {
/// let company = client.get_company().company_id(id).send().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    status: Option<StatusCode>,
    detail: Option<String>,
    body: Option<String>,
    retry_after: Option<Duration>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            detail: None,
            body: None,
            retry_after: None,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An error answer from its status, body and `Retry-After` header.
    pub(crate) fn from_answer(
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let detail = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|value| value.get("detail")?.as_str().map(str::to_owned));
        let mut error = Self::new(ErrorKind::Api, String::new());
        error.status = Some(status);
        error.detail = detail;
        error.body = bounded_text(body);
        error.retry_after = retry_after;
        error
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status of Nectar's answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The API's `detail`, e.g. "Company not found.".
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The raw body of the answer (at most [`MAX_ERROR_BODY`] bytes, lossy UTF-8).
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// How long Nectar asked to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the same request may succeed if sent again later: 408, 429, 5xx, transport
    /// failures. (Whether it is *safe* to resend depends on the method: the client retries POST
    /// and PATCH only when they cannot have been applied.)
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Transport => true,
            ErrorKind::Api => self.status.is_some_and(|s| {
                s == StatusCode::REQUEST_TIMEOUT
                    || s == StatusCode::TOO_MANY_REQUESTS
                    || s.is_server_error()
            }),
            _ => false,
        }
    }

    /// What to do about it, in a sentence.
    pub fn advice(&self) -> &'static str {
        match (self.kind, self.status.map(|s| s.as_u16())) {
            (ErrorKind::Api, Some(400)) => "fix the request: the detail names the field or value",
            (ErrorKind::Api, Some(401)) => {
                "check the API key: it is missing, wrong, inactive, or for the other environment \
                 (sandbox and production keys differ)"
            }
            (ErrorKind::Api, Some(403)) => {
                "check the id and that the key's user has access to this company"
            }
            (ErrorKind::Api, Some(404)) => "check the id: no such object (or it was deleted)",
            (ErrorKind::Api, Some(429)) => {
                "slow down: wait for Retry-After and keep to at most 10 concurrent requests"
            }
            (ErrorKind::Api, Some(status)) if status >= 500 => {
                "Nectar has a problem; retry later, and contact support if it persists"
            }
            (ErrorKind::Api, _) => "see the detail",
            (ErrorKind::Transport, _) => "check the network and the base URL, then retry",
            (ErrorKind::Decode, _) => {
                "Nectar sent a shape these bindings do not know; update nectar-api or report it"
            }
            (ErrorKind::InvalidRequest, _) => "fix the value named above before sending",
            (ErrorKind::Config, _) => "fix the client configuration named above",
            (ErrorKind::Timeout, _) => "wait longer, or check the object's state in Nectar",
            (ErrorKind::Pagination, _) => "list again; report it if it persists",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.status {
            write!(f, "Nectar answered {status}")?;
            if let Some(detail) = &self.detail {
                write!(f, ": {detail}")?;
            }
            if let Some(after) = self.retry_after {
                write!(f, " (retry after {} s)", after.as_secs_f64())?;
            }
        } else {
            f.write_str(&self.message)?;
            if let Some(source) = &self.source {
                write!(f, ": {source}")?;
            }
        }
        write!(f, "; {}", self.advice())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The body the hooks buffered from an error answer, kept in the response's extensions so an
/// error converts without another read.
#[derive(Clone, Debug)]
pub(crate) struct BufferedBody(pub(crate) bytes::Bytes);

use reqwest::header::RETRY_AFTER;

/// The wait a response's `Retry-After` header asks for, if it has a valid one.
pub(crate) fn retry_after_of(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Parses `Retry-After`: whole seconds, or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn bounded_text(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let kept = &body[..body.len().min(MAX_ERROR_BODY)];
    let mut text = String::from_utf8_lossy(kept).into_owned();
    if body.len() > MAX_ERROR_BODY {
        text.push_str("...");
    }
    Some(text)
}

impl From<progenitor_client::Error<ApiError>> for Error {
    fn from(error: progenitor_client::Error<ApiError>) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::ErrorResponse(response) => {
                let status = response.status();
                let retry_after = retry_after_of(response.headers());
                let detail = response.into_inner().detail;
                let body = serde_json::to_vec(&serde_json::json!({ "detail": detail }))
                    .unwrap_or_default();
                Error::from_answer(status, &body, retry_after)
            }
            E::UnexpectedResponse(response) => {
                let status = response.status();
                let retry_after = retry_after_of(response.headers());
                let body = response
                    .extensions()
                    .get::<BufferedBody>()
                    .map(|b| b.0.clone())
                    .unwrap_or_default();
                Error::from_answer(status, &body, retry_after)
            }
            E::InvalidResponsePayload(bytes, source) => {
                let mut error = Error::new(
                    ErrorKind::Decode,
                    format!("Nectar's answer does not decode ({source})"),
                );
                error.body = bounded_text(&bytes);
                error.with_source(source)
            }
            E::CommunicationError(source) => {
                let what = if source.is_timeout() {
                    "the request timed out"
                } else if source.is_connect() {
                    "could not connect to Nectar"
                } else {
                    "the connection failed"
                };
                Error::new(ErrorKind::Transport, what).with_source(source.without_url())
            }
            E::ResponseBodyError(source) => {
                Error::new(ErrorKind::Transport, "reading Nectar's answer failed")
                    .with_source(source.without_url())
            }
            E::InvalidRequest(message) => Error::new(ErrorKind::InvalidRequest, message),
            E::InvalidUpgrade(source) => {
                Error::new(ErrorKind::Transport, "unexpected protocol upgrade")
                    .with_source(source.without_url())
            }
            E::Custom(message) => Error::new(ErrorKind::Transport, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let error = Error::from_answer(
            StatusCode::UNAUTHORIZED,
            br#"{"detail": "Invalid API key."}"#,
            None,
        );
        assert_eq!(error.detail(), Some("Invalid API key."));
        assert!(!error.is_retryable());
        let text = error.to_string();
        assert!(
            text.starts_with(
                "Nectar answered 401 Unauthorized: Invalid API key.; check the API key"
            ),
            "{text}"
        );

        let error = Error::from_answer(
            StatusCode::TOO_MANY_REQUESTS,
            b"{}",
            Some(Duration::from_secs(7)),
        );
        assert!(error.is_retryable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert!(
            error.to_string().contains("(retry after 7 s); slow down"),
            "{error}"
        );

        let error = Error::from_answer(StatusCode::BAD_GATEWAY, b"<html>502</html>", None);
        assert!(error.is_retryable());
        assert_eq!(error.body(), Some("<html>502</html>"));
        assert_eq!(error.detail(), None);
    }

    #[test]
    fn the_body_is_bounded() {
        let big = vec![b'x'; MAX_ERROR_BODY * 3];
        let error = Error::from_answer(StatusCode::INTERNAL_SERVER_ERROR, &big, None);
        assert_eq!(error.body().map(str::len), Some(MAX_ERROR_BODY + 3));
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("12"), Some(Duration::from_secs(12)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let wait = parse_retry_after(&soon).expect("a date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
