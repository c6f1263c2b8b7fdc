//! Drift seen at run time: what Nectar sends that these bindings do not know.
//!
//! Every answer the client decodes is checked, as it is decoded, for
//!
//! - **fields its schemas do not have**, by schema and JSON path (`Connection.newField`,
//!   `DocumentPage.documents[].lineItems[].tax`; `[]` an array's elements, `*` a map's values):
//!   serde would drop them silently;
//! - **values its enums do not know** (a status Nectar added): they decode as `Unknown`.
//!
//! The first time a process sees one, it logs one `tracing` warning (never one per answer). Each
//! [`Client`](crate::Client) keeps what it has seen ([`Client::drift`](crate::Client::drift):
//! in how many answers, the operation it first came in, when) and hands each new one to the
//! hook set with [`ClientBuilder::on_drift`](crate::ClientBuilder::on_drift), for your own
//! alerting. Only names are kept, never a field's value (a new field may hold personal data); an
//! enum's unknown value is kept, cut to 100 characters, since it is the news. Names are cut to
//! 100 characters and their control characters escaped; at most 64 are noted per answer and
//! 1,024 per client (and warned of per process), so a hostile server cannot grow them without
//! bound.
//!
//! Answers decoded outside a client ([`from_slice`](crate::from_slice), webhook deliveries,
//! `serde_json` on the bindings' types) are checked too and warn the same way.

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, HashSet},
    fmt,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::SystemTime,
};

use crate::decode::Found;

/// How many distinct things are remembered, per client and (for warnings) per process.
const REMEMBERED: usize = 1024;

/// The longest name or value kept.
const SHOWN: usize = 100;

/// Something Nectar sent that these bindings do not know, as a [`Client`](crate::Client) saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// What it is.
    pub kind: DriftKind,
    /// In how many answers it came (each answer counts once, however often it holds it).
    pub answers: u64,
    /// The operation whose answer first had it (`list_documents`).
    pub first_operation: &'static str,
    /// When the client first saw it.
    pub first_seen: SystemTime,
}

/// What kind of drift: a field or an enum value. Names only, never a field's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DriftKind {
    /// A field the schema does not have.
    Field {
        /// The schema (the Rust type) the field came in: `LineItem`.
        schema: &'static str,
        /// Where it is in the answer: `DocumentPage.documents[].lineItems[].tax`.
        path: String,
    },
    /// A value an enum does not know (it decodes as `Unknown`).
    Value {
        /// The enum: `ConnectionStatus`.
        r#enum: &'static str,
        /// The value, cut to 100 characters.
        value: String,
    },
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftKind::Field { schema, path } => write!(f, "field {path} (schema {schema})"),
            DriftKind::Value { r#enum, value } => write!(f, "value {value:?} of enum {enum}"),
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in {} answer(s), first in {}",
            self.kind, self.answers, self.first_operation
        )
    }
}

impl From<Found> for DriftKind {
    fn from(found: Found) -> Self {
        match found {
            Found::Field { schema, path } => DriftKind::Field { schema, path },
            Found::Value { name, value } => DriftKind::Value {
                r#enum: name,
                value,
            },
        }
    }
}

/// The hook [`ClientBuilder::on_drift`](crate::ClientBuilder::on_drift) sets.
pub(crate) type OnDrift = Arc<dyn Fn(&Drift) + Send + Sync>;

/// What one client (and its clones) has seen.
#[derive(Default)]
pub(crate) struct DriftLog {
    seen: Mutex<HashMap<Found, Drift>>,
    hook: Option<OnDrift>,
}

impl fmt::Debug for DriftLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriftLog")
            .field("seen", &self.seen.lock().map_or(0, |seen| seen.len()))
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl DriftLog {
    pub(crate) fn new(hook: Option<OnDrift>) -> Self {
        Self {
            seen: Mutex::default(),
            hook,
        }
    }

    /// Notes what an answer of `operation` had; warns of (once per process) and hands on (once
    /// per client) what is new.
    pub(crate) fn note(&self, operation: &'static str, found: Vec<Found>) {
        if found.is_empty() {
            return;
        }
        let mut new = Vec::new();
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            for item in found {
                if let Some(drift) = seen.get_mut(&item) {
                    drift.answers = drift.answers.saturating_add(1);
                } else if seen.len() < REMEMBERED {
                    let drift = Drift {
                        kind: DriftKind::from(item.clone()),
                        answers: 1,
                        first_operation: operation,
                        first_seen: SystemTime::now(),
                    };
                    new.push(drift.clone());
                    seen.insert(item, drift);
                }
            }
        }
        for drift in &new {
            warn_once(&drift.kind, Some(operation));
            if let Some(hook) = &self.hook {
                hook(drift);
            }
        }
    }

    /// What has been seen, the first seen first.
    pub(crate) fn snapshot(&self) -> Vec<Drift> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<Drift> = seen.values().cloned().collect();
        all.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then_with(|| a.kind.to_string().cmp(&b.kind.to_string()))
        });
        all
    }
}

/// Logs one warning per distinct drift per process.
pub(crate) fn warn_once(kind: &DriftKind, operation: Option<&'static str>) {
    static WARNED: OnceLock<Mutex<HashSet<DriftKind>>> = OnceLock::new();
    let warned = WARNED.get_or_init(Mutex::default);
    let mut warned = warned.lock().unwrap_or_else(PoisonError::into_inner);
    if warned.len() >= REMEMBERED || !warned.insert(kind.clone()) {
        return;
    }
    drop(warned);
    let operation = operation.unwrap_or("-");
    match kind {
        DriftKind::Field { schema, path } => tracing::warn!(
            schema = *schema,
            path = %path,
            operation,
            "Nectar sent a field these bindings do not know; it is ignored. Update nectar-api, or \
             report it to its maintainers"
        ),
        DriftKind::Value { r#enum, value } => tracing::warn!(
            r#enum = *r#enum,
            value = %value,
            operation,
            "Nectar sent a value these bindings do not know; it decodes as Unknown. Update \
             nectar-api, or report it to its maintainers"
        ),
    }
}

thread_local! {
    /// Whether a decode is under way on this thread (see [`start_decode`]).
    static DECODING: Cell<bool> = const { Cell::new(false) };
    /// The unknown enum values of the decode under way.
    static VALUES: RefCell<Vec<Found>> = const { RefCell::new(Vec::new()) };
}

/// A decode starts on this thread: unknown enum values are its own from now.
pub(crate) fn start_decode() {
    DECODING.with(|decoding| decoding.set(true));
    VALUES.with(|values| values.borrow_mut().clear());
}

/// The decode ends: its unknown enum values join `found` (each once).
pub(crate) fn end_decode(found: &mut Vec<Found>) {
    DECODING.with(|decoding| decoding.set(false));
    VALUES.with(|values| {
        for value in values.borrow_mut().drain(..) {
            if !found.contains(&value) {
                found.push(value);
            }
        }
    });
}

/// `value` of enum `name` was not known: the decode under way notes it; outside one (the
/// bindings' types decoded by `serde_json` directly), it is warned of once per process.
pub(crate) fn unknown_value(name: &'static str, value: &str) {
    let found = Found::Value {
        name,
        value: self::name(value),
    };
    if DECODING.with(Cell::get) {
        VALUES.with(|values| {
            let mut values = values.borrow_mut();
            if values.len() < 64 && !values.contains(&found) {
                values.push(found);
            }
        });
    } else {
        warn_once(&DriftKind::from(found), None);
    }
}

/// A name (or an enum's value) as kept: cut to 100 characters, control characters escaped.
pub(crate) fn name(text: &str) -> String {
    let cut: String = text.chars().take(SHOWN).collect();
    crate::escape::escaped(&cut)
}
