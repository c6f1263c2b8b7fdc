//! Building a client, and what happens around every request: the API key, retries with backoff,
//! timeouts, bounded reads, tracing.
//!
//! # What the client does not trust
//!
//! Everything a server sends is checked before it is used:
//!
//! - **Redirects are never followed.** A 3xx answer is an error of kind
//!   [`ErrorKind::Redirect`](crate::ErrorKind::Redirect) that names its `Location`. Following one would send the `X-API-Key`
//!   header (which, unlike `Authorization`, HTTP clients do not strip) and a POST's body (a portal
//!   password) to wherever the server points, possibly over plain http; and a 301/302/303 would
//!   turn a POST into a GET whose success looks like the POST's. Nectar's API does not redirect.
//! - **Bodies are read with a limit.** A success body is read as a stream and counted; past
//!   [`ClientBuilder::max_response_size`] reading stops and the operation fails with
//!   [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge). Error bodies are read
//!   up to 64 KiB and kept (masked, at most 4 KiB) in the [`Error`](crate::Error).
//! - **Bodies are decoded with a limit.** What a body decodes to is charged as it is built
//!   (each element a `Vec` grows by, each map entry, each string) against
//!   [`MAX_DECODE_RATIO`](crate::MAX_DECODE_RATIO) (8) times the body's size, body included;
//!   past it decoding stops with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
//!   So an answer holds at most 8x `max_response_size` (256 MiB by default), and a pager, which
//!   keeps at most its concurrency plus two pages, a multiple of that; real pages decode to 2-4x
//!   their size (BENCHMARKS.md).
//! - **Durations are clamped.** `Retry-After` (seconds or an HTTP date) is clamped to a day and
//!   never waited past the total timeout; all arithmetic on durations saturates.
//! - **Secrets stay out of errors and logs.** Fields the spec marks sensitive are masked in kept
//!   bodies; logs name the operation and its path template, never the URL and its query.

mod body;
mod builder;
mod hooks;
mod options;
mod path;
mod record;
mod retry;
mod telemetry;

pub(crate) use body::decode;
pub(crate) use builder::Inner;
pub use builder::{
    API_KEY_ENV, BASE_URL_ENV, ClientBuilder, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RESPONSE_SIZE,
    MAX_TIMEOUT,
};
pub use options::RequestOptions;
pub(crate) use path::path_segment;
pub(crate) use record::finish;
pub use retry::RetryPolicy;
