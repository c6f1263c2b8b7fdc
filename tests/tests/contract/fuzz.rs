//! A bounded fuzz test: random mutations of the documentation's example payloads, decoded as
//! every type of the spec, as webhook events (`Event::parse`) and as timestamps. Nothing may
//! panic; whatever decodes must print (`Debug`) and re-encode without panicking too.
//!
//! Deterministic (a fixed seed, a fixed number of mutations), so a failure reproduces; set
//! `NECTAR_FUZZ_ITERATIONS` to run longer locally.

use std::{
    collections::BTreeSet,
    fs,
    panic::{AssertUnwindSafe, catch_unwind},
    path::Path,
};

use nectar_api::{Timestamp, types, webhooks::Event};

/// A small deterministic generator (xorshift64*), enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break parsers and types: huge numbers, odd unicode, odd timestamps, nesting.
const SPLICES: &[&str] = &[
    "18446744073709551616",
    "-9223372036854775809",
    "1e999",
    "-0",
    "null",
    "true",
    "\"\"",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"9999-12-31T23:59:59-23:59\"",
    "\"2023-11-07T05:31:56+99:99\"",
    "\"0000-01-01T00:00:00+00:01\"",
    "\"2024-02-30\"",
    "\"2023-11-07T05:31:56.1234567890Z\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    "{\"password\": \"x\"}",
    "\"SUSPENDED\"",
    "\"é\u{1F600}\"",
    "{}",
    "[]",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let splice = SPLICES[rng.below(SPLICES.len())].as_bytes();
                out.splice(at..at, splice.iter().copied());
            }
            3 => {
                // Replace a value: from `at` to the next `,` or `}` with a splice.
                let end = out[at..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}'))
                    .map_or(out.len(), |p| at + p);
                let splice = SPLICES[rng.below(SPLICES.len())].as_bytes();
                out.splice(at..end, splice.iter().copied());
            }
            4 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + rng.below(64)).min(out.len());
                let copy = out[start..end].to_vec();
                out.splice(at..at, copy);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Decodes `bytes` as `T`; when it decodes, prints and re-encodes it.
fn exercise<T: serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        let _ = format!("{value:?}");
        let _ = serde_json::to_vec(&value);
    }
}

macro_rules! every_type {
    ($bytes:expr; $($name:ident),* $(,)?) => {{
        $( exercise::<types::$name>($bytes); )*
        [$(stringify!($name)),*]
    }};
}

fn decode_everything(bytes: &[u8]) -> Vec<&'static str> {
    let names = every_type!(bytes;
        Account, AccountStatus, AccountUpdate, ApiError, BillingPeriod, ChargeType, Company,
        CompanyCreate, CompanyMagicLink, CompanyUpdate, Connection, ConnectionChanges,
        ConnectionCompany, ConnectionConfirmation, ConnectionCreate, ConnectionDatasource,
        ConnectionEvent, ConnectionEventAccount, ConnectionPage, ConnectionStatus,
        ConnectionUpdate, ConnectionUpdatedEvent, Country, Currency, DatasourceType, DateType,
        DistrictMediumType, DistrictType, Document, DocumentEvent, DocumentPage,
        DocumentSummary, DocumentUpdatedEvent, DocumentUsageData, DuplicateFlag,
        ElectricityChargeType, ElectricityType, FuelType, GasChargeType, GasType, Identifier,
        IdentifierType, LineItem, Meter, MeterHighLow, NetMeteringType, PingResponse,
        RefrigerantType, Site, SiteCreate, SiteUpdate, SourceType, TimeOfUse, TrackingStatus,
        UsageData, UsagePage, UsageUnits, WaterType, ConnectionInvitationCreate, Invitation,
        InvitationConnection, InvitationEvent, InvitationEventType, InvitationPrefill,
        InvitationStatus, InvitationType, Job, JobBulkCreate, JobStatus, JobUpload,
        ReconnectInvitationCreate,
    );
    if let Ok(event) = Event::parse(bytes) {
        let _ = format!("{event:?}");
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(timestamp) = Timestamp::parse(text)
    {
        // Whatever parses prints as RFC 3339 that parses back to the same instant.
        assert_eq!(
            Timestamp::parse(&timestamp.to_string()),
            Ok(timestamp),
            "{text:?}"
        );
    }
    names.to_vec()
}

fn examples() -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<Vec<u8>>) {
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(fs::read(&path).unwrap());
            }
        }
    }
    let mut out = Vec::new();
    walk(&nectar_tests::examples_dir(), &mut out);
    out
}

#[test]
fn the_fuzzed_list_covers_every_type_of_the_spec() {
    let spec: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(nectar_tests::workspace_root().join("spec/openapi.json")).unwrap(),
    )
    .unwrap();
    let in_spec: BTreeSet<&str> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let fuzzed: BTreeSet<&str> = decode_everything(b"{}").into_iter().collect();
    assert_eq!(in_spec, fuzzed, "add new types to `decode_everything`");
}

#[test]
fn mutated_examples_never_panic() {
    let iterations: usize = std::env::var("NECTAR_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30_000);
    let seeds = examples();
    assert!(seeds.len() >= 20, "{} examples", seeds.len());
    let timestamps: Vec<Vec<u8>> = [
        "2023-11-07T05:31:56Z",
        "2025-11-07T01:56:33.835384215",
        "2023-11-07T06:31:56+01:00",
        "2025-11-07 01:56:33.8",
    ]
    .iter()
    .map(|t| t.as_bytes().to_vec())
    .collect();
    let mut rng = Rng(0x5EED_2026_1124);
    for iteration in 0..iterations {
        let pool = if iteration % 5 == 0 {
            &timestamps
        } else {
            &seeds
        };
        let seed = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, seed);
        let outcome = catch_unwind(AssertUnwindSafe(|| decode_everything(&input)));
        assert!(
            outcome.is_ok(),
            "iteration {iteration} panicked on input {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}
