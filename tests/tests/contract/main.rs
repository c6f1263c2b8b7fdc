//! The contract tests, in one binary: the generated files are fresh ([`freshness`]), every API
//! change is a reviewed snapshot ([`snapshots`], [`examples`]: the documentation's examples
//! decode, or are refused naming the field), and no mutation of them panics the client
//! ([`fuzz`]).

mod examples;
mod freshness;
mod fuzz;
mod snapshots;
