//! Every example from Nectar's public documentation is accounted for: those in the scope of the
//! spec decode into the generated types (or, for placeholders that break a documented
//! constraint of a request body, are rejected with an error naming the field and the value), and
//! each outcome is snapshotted.

use std::{collections::BTreeSet, fmt::Debug, fs, path::Path};

use nectar_api::types;
use nectar_tests::{decode, examples_dir, workspace_root};

/// What the test expects of one example file.
enum Expect {
    /// Decodes into the type.
    Decodes(fn(&str) -> Result<String, String>),
    /// A documented constraint rejects a placeholder; the error must name this field.
    Rejected(fn(&str) -> Result<String, String>, &'static str),
}

use Expect::{Decodes, Rejected};

/// Decodes into `T` and renders the decoded value for the snapshot.
fn as_<T: serde::de::DeserializeOwned + Debug>(json: &str) -> Result<String, String> {
    decode::<T>(json).map(|value| format!("{value:#?}"))
}

/// Every complete example (the files directly in the examples directory).
const EXAMPLES: &[(&str, Expect)] = &[
    (
        "guide_sandbox-create-company__request",
        Decodes(as_::<types::CompanyCreate>),
    ),
    (
        "guide_sandbox-create-site__request",
        Decodes(as_::<types::SiteCreate>),
    ),
    (
        "v2.2_get-company-utility-account-connections__response",
        Decodes(as_::<types::ConnectionPage>),
    ),
    (
        "v2_get-an-utility-account-connection-details__response",
        Decodes(as_::<types::Connection>),
    ),
    (
        "v2.2_create-magic-link-for-updating-a-utility-account-connection__response",
        Decodes(as_::<types::Connection>),
    ),
    (
        "v2_create-magic-link-for-creating-a-utility-account-connection__response",
        Decodes(as_::<types::CompanyMagicLink>),
    ),
    (
        "v2_create-site__request",
        Rejected(as_::<types::SiteCreate>, "occupancyPercent"),
    ),
    ("v2_create-site__response", Decodes(as_::<types::Site>)),
    ("v2_get-site-details__response", Decodes(as_::<types::Site>)),
    (
        "v2_update-site__request",
        Rejected(as_::<types::SiteUpdate>, "occupancyPercent"),
    ),
    ("v2_update-site__response", Decodes(as_::<types::Site>)),
    (
        "v2_get-company-details__response",
        Decodes(as_::<types::Company>),
    ),
    (
        "v2_update-company__request",
        Rejected(as_::<types::CompanyUpdate>, "impliedMeteringFraction"),
    ),
    (
        "v2_update-company__response",
        Decodes(as_::<types::Company>),
    ),
    (
        "v2_update-an-account__response",
        Decodes(as_::<types::Account>),
    ),
    (
        "v2_update-an-account__request",
        Decodes(as_::<types::AccountUpdate>),
    ),
    (
        "v2_get-meter-details__response",
        Decodes(as_::<types::Meter>),
    ),
    (
        "v2_submit-job-via-bulk-document-upload__request",
        // Its placeholder URL `<string>` is not https, which the client refuses before sending.
        Rejected(as_::<types::JobBulkCreate>, "documents[0]"),
    ),
    (
        "v2_submit-job-via-bulk-document-upload__response",
        Decodes(as_::<types::Job>),
    ),
    (
        "guide_document-upload-bulk__request",
        // The guide's `{siteId}` placeholder is not a uuid.
        Rejected(as_::<types::JobBulkCreate>, "siteId"),
    ),
    (
        "v2.0_create-reconnect-invitation__request",
        Decodes(as_::<types::ReconnectInvitationCreate>),
    ),
    (
        "v2.0_create-reconnect-invitation__response",
        Decodes(as_::<types::Invitation>),
    ),
    (
        "webhook.connection.created.v2.svix-2025-11__request",
        Decodes(as_::<types::ConnectionEvent>),
    ),
    (
        "webhook.connection.updated.svix-2025-05__request",
        Decodes(as_::<types::ConnectionUpdatedEvent>),
    ),
];

#[test]
fn every_example_is_accounted_for() {
    let on_disk: BTreeSet<String> = json_stems(&examples_dir());
    let listed: BTreeSet<String> = EXAMPLES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(
        on_disk, listed,
        "tests/fixtures/examples and the EXAMPLES table must list the same files"
    );
}

#[test]
fn in_scope_examples_decode_or_name_the_rejected_field() {
    for (name, expect) in EXAMPLES {
        let path = examples_dir().join(format!("{name}.json"));
        let json = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let snapshot = match expect {
            Decodes(decode) => {
                decode(&json).unwrap_or_else(|error| panic!("{name} should decode, but: {error}"))
            }
            Rejected(decode, field) => {
                let error = decode(&json)
                    .err()
                    .unwrap_or_else(|| panic!("{name} should be rejected at {field}"));
                assert!(error.starts_with(&format!("{field}: ")), "{name}: {error}");
                format!("rejected: {error}")
            }
        };
        insta::assert_snapshot!(format!("example_{name}"), snapshot);
    }
}

/// The incomplete examples were cut short by the public pages; they are not JSON, which is why
/// they are not decoded (they document field names only).
#[test]
fn incomplete_examples_are_really_cut_short() {
    let dir = examples_dir().join("incomplete");
    let stems = json_stems(&dir);
    assert!(!stems.is_empty());
    for stem in stems {
        let text = fs::read_to_string(dir.join(format!("{stem}.json"))).expect("readable");
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{stem} is valid JSON now: move it out of incomplete/ and decode it"
        );
    }
}

/// The fixtures in the repository are what the tests use. The project's planning folder beside a
/// checkout (`../shared/reference/examples/`, not part of the repository) keeps the examples as
/// collected; where it is present, the fixtures must not have drifted from it. Elsewhere (a
/// user's clone) there is nothing to compare and the test says so.
#[test]
fn fixtures_match_shared_examples_when_present() {
    let shared = workspace_root().join("../shared/reference/examples");
    if !shared.is_dir() {
        eprintln!("{} not present; comparison skipped", shared.display());
        return;
    }
    for sub in ["", "incomplete"] {
        let ours = json_stems(&examples_dir().join(sub));
        let theirs = json_stems(&shared.join(sub));
        assert_eq!(
            ours, theirs,
            "examples/{sub}: file lists differ from shared/"
        );
        for stem in ours {
            let file = format!("{stem}.json");
            let a = fs::read(examples_dir().join(sub).join(&file)).expect("fixture");
            let b = fs::read(shared.join(sub).join(&file)).expect("shared");
            assert!(
                a == b,
                "examples/{sub}/{file} differs from shared/; copy it again"
            );
        }
    }
}

fn json_stems(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect()
}
