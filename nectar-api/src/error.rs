//! One error type for everything the client can meet, with messages that say what to do.

use std::{fmt, time::Duration};

use reqwest::StatusCode;

use crate::{
    escape::Escaping,
    generated::operations,
    redact::{self, redact_body},
    types::ApiError,
};

/// The most bytes of an answer's body an [`Error`] keeps (after redaction).
pub const MAX_ERROR_BODY: usize = 4 * 1024;

/// The most bytes of a `Location` header an [`Error`] keeps.
pub(crate) const MAX_LOCATION: usize = 512;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nectar answered with an error status (4xx, 5xx).
    Api,
    /// The request never got a whole answer: connection refused or dropped, DNS, TLS.
    Transport,
    /// Nectar answered 2xx with a body these bindings cannot decode (the API may have changed).
    Decode,
    /// The request was not sent: a required parameter is missing or a value breaks a
    /// documented constraint.
    InvalidRequest,
    /// The client could not be built (bad base URL, missing API key, ...).
    Config,
    /// A deadline passed: a request's attempt or total timeout (while connecting, waiting or
    /// reading the body), or a waiter's deadline.
    Timeout,
    /// Pages contradicted each other (a page answered for another, or repeated); the pager
    /// stopped rather than duplicate or lose items.
    Pagination,
    /// Nectar answered with a redirect (3xx). The client follows none, so the API key and the
    /// body never reach another origin; [`Error::location`] says where it pointed.
    Redirect,
    /// The answer's body is larger than the client's limit
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)), and
    /// reading stopped at the limit; or it would decode to more than
    /// [`MAX_DECODE_RATIO`](crate::MAX_DECODE_RATIO) times its size, and decoding stopped there.
    /// [`Error::limit`] says which limit.
    ResponseTooLarge,
}

/// Every failure of the Nectar client.
///
/// Always carries what is known: the operation, the HTTP status, the API's `detail`, the raw
/// body (at most [`MAX_ERROR_BODY`] bytes, with every field the spec marks sensitive masked),
/// the `Retry-After` delay. Never carries the API key, a password or a magic-link secret. Every
/// operation's `send()` returns it:
///
/// ```no_run
/// use nectar_api::ErrorKind;
///
/// # async fn run(client: &nectar_api::Client, id: uuid::Uuid) -> Result<(), nectar_api::Error> {
/// match client.get_company().company_id(id).send().await {
///     Ok(company) => println!("{}", company.name),
///     Err(error) if error.status().is_some_and(|s| s.as_u16() == 404) => println!("gone"),
///     Err(error) if error.kind() == ErrorKind::Timeout => println!("slow: {error}"),
///     Err(error) => return Err(error),
/// }
/// # Ok(())
/// # }
/// ```
pub struct Error(Box<Repr>);

/// What an [`Error`] holds (boxed, so a `Result<_, Error>` stays small).
struct Repr {
    kind: ErrorKind,
    operation: Option<&'static str>,
    status: Option<StatusCode>,
    detail: Option<String>,
    body: Option<String>,
    retry_after: Option<Duration>,
    location: Option<String>,
    limit: Option<u64>,
    request_id: Option<String>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What the client's hooks saw of the last answer of an operation: the parts an error needs
/// that progenitor's error does not carry.
#[derive(Debug, Default, Clone)]
pub(crate) struct Seen {
    /// The last answer's status.
    pub(crate) status: Option<StatusCode>,
    /// Its `Retry-After`, clamped.
    pub(crate) retry_after: Option<Duration>,
    /// Its `Location`, as sent (bounded).
    pub(crate) location: Option<String>,
    /// The body of an error answer, as read (bounded by the hooks).
    pub(crate) error_body: Option<bytes::Bytes>,
    /// The success body's limit, when the body was larger.
    pub(crate) too_large: Option<u64>,
    /// The decode allowance (bytes of decoded data), when the body would have decoded to more.
    pub(crate) over_budget: Option<u64>,
    /// The secrets the request carried (its body's sensitive values), to mask in any echo.
    pub(crate) sent: redact::Echoes,
    /// The limit the last attempt ran out of, when it did (its answer may still come: the
    /// client keeps its slot until then, see `client/hooks.rs`).
    pub(crate) timed_out: Option<Fired>,
    /// The last answer's request id (see `request_id.rs`).
    pub(crate) request_id: Option<String>,
    /// What the decoded answer had that the bindings do not know (see `drift.rs`).
    pub(crate) drift: Vec<crate::decode::Found>,
}

/// A time limit that fired: which, how long, and the setting it comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fired {
    /// "attempt timeout" or "total timeout".
    pub(crate) limit: &'static str,
    pub(crate) value: Duration,
    /// The setting, e.g. `RequestOptions::attempt_timeout`.
    pub(crate) set_by: &'static str,
}

impl fmt::Display for Fired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{TIMED_OUT}: no whole answer within the {} of {} s (set by {})",
            self.limit,
            self.value.as_secs_f64(),
            self.set_by
        )
    }
}

impl Seen {
    /// Replaces what was seen of the last answer (or attempt) with `next`; what the request
    /// sent stays, since every answer to it may echo it.
    pub(crate) fn replace(&mut self, next: Seen) {
        let sent = std::mem::take(&mut self.sent);
        *self = Seen { sent, ..next };
    }
}

/// How an attempt that ran out of time is described.
pub(crate) const TIMED_OUT: &str = "the request timed out";

impl Error {
    /// A body of `len` bytes that would decode to more than its `allowance` (bytes of decoded
    /// data): [`ErrorKind::ResponseTooLarge`] with the allowance as [`Error::limit`].
    pub(crate) fn decoded_too_large(len: usize, allowance: u64) -> Self {
        let mut error = Error::new(
            ErrorKind::ResponseTooLarge,
            format!(
                "the body ({len} bytes) would decode to more than {}x its size (an allowance of \
                 {allowance} bytes); decoding stopped there",
                crate::decode::MAX_DECODE_RATIO,
            ),
        );
        error.0.limit = Some(allowance);
        error
    }

    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Repr {
            kind,
            operation: None,
            status: None,
            detail: None,
            body: None,
            retry_after: None,
            location: None,
            limit: None,
            request_id: None,
            message: message.into(),
            source: None,
        }))
    }

    /// A request refused before sending; the message names the value.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// An error answer from its status, body and `Retry-After` header.
    #[cfg(test)]
    pub(crate) fn from_answer(
        status: StatusCode,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let detail = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|value| value.get("detail")?.as_str().map(str::to_owned));
        let mut error = Self::new(ErrorKind::Api, String::new());
        error.0.status = Some(status);
        error.0.detail = detail;
        error.0.body = redact_body(body, MAX_ERROR_BODY, None);
        error.0.retry_after = retry_after;
        error
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The operation that failed (its id, also the client method's name), when known.
    pub fn operation(&self) -> Option<&'static str> {
        self.0.operation
    }

    /// The HTTP status of Nectar's answer, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The API's `detail`, e.g. "Company not found.".
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The raw body of the answer: at most [`MAX_ERROR_BODY`] bytes, lossy UTF-8, with every
    /// field the spec marks sensitive masked as `***` (JSON), or, in a format that cannot be
    /// masked field by field (HTML, a Python repr, form encoding, JSON cut short), cut before the
    /// first sensitive field name that has a value after it, the rest replaced by a note saying
    /// so. Whatever the client sent as a secret (the key, a password) is masked in any encoding.
    pub fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }

    /// How long Nectar asked to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The request id of the answer this error comes from, when it carried one (the first of
    /// [`REQUEST_ID_HEADERS`](crate::REQUEST_ID_HEADERS) that looks like an id): name it in a
    /// support ticket. `Display` ends with it too.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// Where a redirect pointed (its `Location`, at most 512 bytes), for [`ErrorKind::Redirect`].
    pub fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    /// The size limit that was exceeded, in bytes, for [`ErrorKind::ResponseTooLarge`]: the
    /// response-size limit, or the decode allowance (the body's size times
    /// [`MAX_DECODE_RATIO`](crate::MAX_DECODE_RATIO), at least
    /// [`MIN_DECODE_ALLOWANCE`](crate::MIN_DECODE_ALLOWANCE)).
    pub fn limit(&self) -> Option<u64> {
        self.0.limit
    }

    /// Whether the same request may succeed if sent again later: 408, 429, 5xx, transport
    /// failures and timeouts. (Whether it is *safe* to resend depends on the method: the client
    /// retries POST and PATCH only when they cannot have been applied.)
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::Transport => true,
            ErrorKind::Timeout => self.0.operation.is_some(),
            ErrorKind::Api => self.0.status.is_some_and(|s| {
                s == StatusCode::REQUEST_TIMEOUT
                    || s == StatusCode::TOO_MANY_REQUESTS
                    || s.is_server_error()
            }),
            _ => false,
        }
    }

    /// What to do about it, in a sentence.
    pub fn advice(&self) -> &'static str {
        match (self.0.kind, self.0.status.map(|s| s.as_u16())) {
            (ErrorKind::Api, Some(400)) => "fix the request: the detail names the field or value",
            (ErrorKind::Api, Some(401)) => {
                "check the API key: it is missing, wrong, inactive, or for the other environment \
                 (sandbox and production keys differ)"
            }
            (ErrorKind::Api, Some(403)) => {
                "check the id and that the key's user has access to this company"
            }
            (ErrorKind::Api, Some(404)) => match self.0.operation.and_then(operations::operation) {
                // No id was sent: the endpoint itself is not there.
                Some(op) if !op.path.contains('{') => {
                    "check the base URL: Nectar has no such endpoint there (it ends in /v2.2, as \
                     in https://external.nectarclimate.com/v2.2)"
                }
                _ => {
                    "check the id: no such object (or it was deleted); if every call answers 404, \
                     check the base URL"
                }
            },
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
            (ErrorKind::Timeout, _) => {
                "retry later or allow more time (ClientBuilder timeouts, or the waiter's)"
            }
            (ErrorKind::Pagination, _) => "list again; report it if it persists",
            (ErrorKind::Redirect, _) => {
                "check the base URL: the client follows no redirect, so the API key and the body \
                 never leave the configured origin"
            }
            (ErrorKind::ResponseTooLarge, _) => {
                "if the answer is legitimate, raise ClientBuilder::max_response_size; an answer that \
                 would decode to more than 8x its size is refused whatever the limit"
            }
        }
    }

    /// Turns what an operation's exchange returned into the one error type: progenitor's error
    /// for `operation`, what the hooks [`Seen`] of the last answer, and `decode_path`, which
    /// re-decodes a success body to find where it fails. `api_key` is masked wherever it could
    /// appear.
    pub(crate) fn from_operation(
        operation: &'static str,
        error: progenitor_client::Error<ApiError>,
        seen: Seen,
        api_key: &str,
        decode_path: impl FnOnce(&[u8]) -> Option<String>,
    ) -> Self {
        use progenitor_client::Error as E;
        // Whatever the client sent that is secret (the key, the body's sensitive values) is
        // masked in everything the server answered, in any encoding it comes back in.
        let mut echoes = seen.sent.clone();
        echoes.add(api_key);
        // Then whatever names a sensitive field with a value after it, in any format, is cut.
        let scrub = |text: String| redact::cut_at_secret(&echoes.mask(&text));
        let kept_body = |bytes: &[u8]| redact_body(bytes, MAX_ERROR_BODY, Some(&echoes));
        let mut error = match error {
            // The last attempt gave up waiting; what progenitor got is the stand-in answer.
            _ if seen.timed_out.is_some() => Error::new(
                ErrorKind::Timeout,
                seen.timed_out
                    .map_or_else(|| TIMED_OUT.to_owned(), |fired| fired.to_string()),
            ),
            E::ErrorResponse(response) => {
                let mut error = Error::new(ErrorKind::Api, String::new());
                error.0.status = Some(response.status());
                error.0.detail = Some(scrub(response.into_inner().detail));
                error.0.body = seen.error_body.as_deref().and_then(kept_body);
                error
            }
            E::UnexpectedResponse(response) if response.status().is_redirection() => {
                let mut error = Error::new(
                    ErrorKind::Redirect,
                    format!("Nectar answered {} with a redirect", response.status()),
                );
                error.0.status = Some(response.status());
                error.0.body = seen.error_body.as_deref().and_then(kept_body);
                error
            }
            E::UnexpectedResponse(response) => {
                let mut error = Error::new(ErrorKind::Api, String::new());
                error.0.status = Some(response.status());
                let body = seen.error_body.clone().unwrap_or_default();
                error.0.detail = detail_of(&body).map(scrub);
                error.0.body = kept_body(&body);
                error
            }
            // A documented error status whose body is not the documented JSON (an HTML page
            // from a proxy, a body cut at the read limit): keep the status and the body.
            E::InvalidResponsePayload(bytes, _)
                if seen
                    .status
                    .is_some_and(|s| s.is_client_error() || s.is_server_error()) =>
            {
                let mut error = Error::new(ErrorKind::Api, String::new());
                error.0.status = seen.status;
                let body = seen.error_body.clone().unwrap_or(bytes);
                error.0.detail = detail_of(&body).map(scrub);
                error.0.body = kept_body(&body);
                error
            }
            E::InvalidResponsePayload(bytes, _) if seen.over_budget.is_some() => {
                let mut error =
                    Error::decoded_too_large(bytes.len(), seen.over_budget.unwrap_or_default());
                error.0.status = seen.status;
                error
            }
            E::InvalidResponsePayload(bytes, source) => {
                let path = decode_path(&bytes);
                let at = path
                    .as_deref()
                    .map(|p| format!(" at `{p}`"))
                    .unwrap_or_default();
                // serde's message can quote the offending value; not when it is a secret.
                let sensitive = path.as_deref().is_some_and(|p| {
                    p.split(['.', '['])
                        .any(|segment| redact::is_sensitive(segment.trim_end_matches(']')))
                });
                let reason = if sensitive {
                    "the value is not what the spec says (not shown: the field is sensitive)"
                        .to_owned()
                } else {
                    scrub(redact::redact_text(&source.to_string()))
                };
                let mut error = Error::new(
                    ErrorKind::Decode,
                    format!("Nectar's answer does not decode{at}: {reason}"),
                );
                error.0.status = seen.status;
                error.0.body = kept_body(&bytes);
                error
            }
            E::ResponseBodyError(_) if seen.too_large.is_some() => {
                let limit = seen.too_large.unwrap_or_default();
                let mut error = Error::new(
                    ErrorKind::ResponseTooLarge,
                    format!(
                        "the answer's body is larger than the limit of {limit} bytes; reading \
                         stopped there"
                    ),
                );
                error.0.status = seen.status;
                error.0.limit = Some(limit);
                error
            }
            E::CommunicationError(source) | E::ResponseBodyError(source) => transport(source),
            E::InvalidRequest(message) => Error::new(ErrorKind::InvalidRequest, message),
            E::InvalidUpgrade(source) => {
                Error::new(ErrorKind::Transport, "unexpected protocol upgrade")
                    .with_source(source.without_url())
            }
            E::Custom(message) => Error::new(ErrorKind::Transport, scrub(message)),
        };
        error.0.operation = Some(operation);
        if error.0.retry_after.is_none() {
            error.0.retry_after = seen.retry_after;
        }
        if error.0.kind == ErrorKind::Redirect {
            error.0.location = seen.location.map(scrub);
        }
        // Not an echo of anything sent (an id's characters cannot spell a masked secret's
        // quotes, but the key itself could be sent back as one).
        error.0.request_id = seen.request_id.filter(|id| echoes.mask(id) == *id);
        error
    }
}

/// A value a builder refused (a required field missing, a constraint broken): the request is
/// not sent.
impl From<crate::types::error::ConversionError> for Error {
    fn from(error: crate::types::error::ConversionError) -> Self {
        Error::new(ErrorKind::InvalidRequest, error.to_string())
    }
}

/// A transport failure, without its URL (the URL carries ids and query values).
pub(crate) fn transport(source: reqwest::Error) -> Error {
    let (kind, what) = describe(&source);
    Error::new(kind, what).with_source(source.without_url())
}

/// The kind and a short description of a transport failure; never the URL.
pub(crate) fn describe(source: &reqwest::Error) -> (ErrorKind, &'static str) {
    if source.is_timeout() && source.is_connect() {
        (
            ErrorKind::Timeout,
            "could not connect to Nectar within the connect timeout (set by \
             ClientBuilder::connect_timeout, 10 s by default)",
        )
    } else if source.is_timeout() {
        (ErrorKind::Timeout, TIMED_OUT)
    } else if source.is_connect() {
        (ErrorKind::Transport, "could not connect to Nectar")
    } else if source.is_body() || source.is_decode() {
        (ErrorKind::Transport, "reading Nectar's answer failed")
    } else {
        (ErrorKind::Transport, "the connection failed")
    }
}

fn detail_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("detail")?.as_str().map(str::to_owned))
}

impl fmt::Display for Error {
    /// Everything is written through an escaping writer: a server's `detail`, a `Location`, a decode
    /// message quoting the body, a source's text. Control and invisible formatting characters
    /// come out as escapes (`\n`, `\u{1b}`), so one error is one line and cannot forge others;
    /// [`Error::detail`], [`Error::location`] and [`Error::body`] give the raw values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let f = &mut Escaping(f);
        if let Some(operation) = self.0.operation {
            match operations::operation(operation) {
                Some(op) => write!(f, "{operation} ({} {}): ", op.method, op.path)?,
                None => write!(f, "{operation}: ")?,
            }
        }
        match (self.0.kind, self.0.status) {
            (ErrorKind::Api, Some(status)) => {
                write!(f, "Nectar answered {status}")?;
                if let Some(detail) = &self.0.detail {
                    write!(f, ": {detail}")?;
                }
            }
            _ => {
                f.write_str(&self.0.message)?;
                if let Some(location) = &self.0.location {
                    write!(f, " to {location}")?;
                }
                if let Some(source) = &self.0.source {
                    write!(f, ": {source}")?;
                }
            }
        }
        if let Some(after) = self.0.retry_after {
            write!(f, " (retry after {} s)", after.as_secs_f64())?;
        }
        write!(f, "; {}", self.advice())?;
        if let Some(id) = &self.0.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

/// What `fn main() -> Result<(), Box<dyn Error>>` prints: the message and the advice first (as
/// `Display` writes them), then every field that is set. Server text (`detail`, `body`,
/// `location`) is escaped as in `Display`.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// A text written as it is, between quotes (already escaped).
        struct Shown<T: fmt::Display>(T);
        impl<T: fmt::Display> fmt::Debug for Shown<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "\"{}\"", self.0)
            }
        }
        let escaped = |text: &str| Shown(crate::escape::escaped(text));
        let repr = &self.0;
        let mut out = f.debug_struct("Error");
        out.field("message", &Shown(self));
        out.field("kind", &repr.kind);
        if let Some(operation) = repr.operation {
            out.field("operation", &operation);
        }
        if let Some(status) = repr.status {
            out.field("status", &status.as_u16());
        }
        if let Some(detail) = &repr.detail {
            out.field("detail", &escaped(detail));
        }
        if let Some(after) = repr.retry_after {
            out.field("retry_after", &after);
        }
        if let Some(location) = &repr.location {
            out.field("location", &escaped(location));
        }
        if let Some(id) = &repr.request_id {
            out.field("request_id", id);
        }
        if let Some(limit) = repr.limit {
            out.field("limit", &limit);
        }
        if let Some(body) = &repr.body {
            out.field("body", &escaped(body));
        }
        if let Some(source) = &repr.source {
            out.field(
                "source",
                &Shown(crate::escape::escaped(&source.to_string())),
            );
        }
        out.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

pub use crate::headers::MAX_RETRY_AFTER;
pub(crate) use crate::headers::{location_of, retry_after_of};

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
    fn debug_says_the_message_and_the_advice_first() {
        let mut error = Error::from_answer(
            StatusCode::NOT_FOUND,
            br#"{"detail": "Not found.\u001b[2J"}"#,
            None,
        );
        error.0.operation = Some("ping");
        let debug = format!("{error:?}");
        assert!(
            debug.starts_with(
                "Error { message: \"ping (GET /ping): Nectar answered 404 Not Found: Not \
                 found.\\u{1b}[2J; check the base URL"
            ),
            "{debug}"
        );
        assert!(
            debug.contains("kind: Api, operation: \"ping\", status: 404"),
            "{debug}"
        );
        assert!(!debug.contains('\u{1b}'), "{debug}");
        // An operation with an id: the id is the likelier mistake.
        error.0.operation = Some("get_company");
        assert!(error.to_string().contains("check the id"), "{error}");
        // Alternate form too.
        assert!(format!("{error:#?}").contains("message: \"get_company ("));
    }

    #[test]
    fn the_body_is_bounded() {
        let big = vec![b'x'; MAX_ERROR_BODY * 3];
        let error = Error::from_answer(StatusCode::INTERNAL_SERVER_ERROR, &big, None);
        assert_eq!(error.body().map(str::len), Some(MAX_ERROR_BODY + 3));
    }

    #[test]
    fn a_secret_in_a_kept_body_is_masked() {
        let error = Error::from_answer(
            StatusCode::BAD_REQUEST,
            br#"{"detail": "bad", "password": "hunter2"}"#,
            None,
        );
        let shown = format!("{error} {error:?} {}", error.body().unwrap_or_default());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
