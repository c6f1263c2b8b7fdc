//! The end-to-end tests, in one binary (one link instead of nine): the typed client against
//! nectar-sandbox and against hostile servers, each former test file a module.
//!
//! - [`client`]: retries under faults, timeouts, the pager's guarantees, the waiter.
//! - [`conformance`]: every operation and documented status of the emulator, each answer checked
//!   against the spec.
//! - [`data`]: documents, usage, meters, account tracking, every filter, on pinned dates too.
//! - [`drift`]: no drift between the emulator's answers and the spec.
//! - [`hostile`]: redirects, absurd headers, endless and slow bodies, secrets that must not print.
//! - [`invitations`], [`jobs`]: invitations and upload jobs end to end.
//! - [`sandbox`]: the sandbox flow, access, validation; [`lists`]: paging and filters;
//!   [`faults`]: injected faults.
//! - [`paths`]: no id, whatever its text, moves a request to another endpoint.
//! - [`redis_limit`]: the limit shared through a real `redis-server`.
//! - [`sync`]: incremental sync of documents and usage, with the clock pinned.
//! - [`webhooks`]: signed deliveries, verification, typed events.
//!
//! The counting-allocator test (`hostile_memory.rs`) and the run-time drift test
//! (`runtime_drift.rs`, process-global state) stay binaries of their own.

mod client;
mod conformance;
mod data;
mod drift;
mod faults;
mod hostile;
mod invitations;
mod jobs;
mod lists;
mod paths;
mod redis_limit;
mod sandbox;
mod signals;
mod sync;
mod webhooks;
