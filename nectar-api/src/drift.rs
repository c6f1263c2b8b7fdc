//! The client's run-time drift signal: the first time an open enum decodes a value these
//! bindings do not know (a status Nectar added, say), one `tracing` warning per enum and value.
//! The value still decodes (as `Unknown`); the warning tells the maintainers to update the
//! bindings before a user trips over it.

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock, PoisonError},
};

/// How many distinct unknown values are remembered; past this no more warnings are logged (a
/// server sending endless new values cannot grow the set without bound).
const REMEMBERED: usize = 1024;

/// The longest value shown in a warning.
const SHOWN: usize = 100;

static SEEN: OnceLock<Mutex<HashSet<(&'static str, String)>>> = OnceLock::new();

/// Notes that `value` of enum `name` was not known; warns the first time.
pub(crate) fn unknown_value(name: &'static str, value: &str) {
    let seen = SEEN.get_or_init(|| Mutex::new(HashSet::new()));
    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    if seen.len() >= REMEMBERED {
        return;
    }
    let value: String = value.chars().take(SHOWN).collect();
    if seen.insert((name, value.clone())) {
        tracing::warn!(
            r#enum = name,
            value = %value,
            "Nectar sent a value these bindings do not know; it decodes as Unknown. Update \
             nectar-api, or report it to its maintainers"
        );
    }
}
