//! `nectar` as a process against the emulator served on loopback (nectar-sandbox, the same server
//! its binary runs): every generated command reached at least once, counted from the emulator's
//! request log, and every workflow, with its output and exit code.

use std::{
    collections::BTreeSet,
    io::Write,
    process::{Command, Output, Stdio},
};

use nectar_sandbox::{Sandbox, spec::Spec};
use serde_json::{Value, json};

/// Runs `nectar` with `args` against `sandbox`, `stdin` as its input; waits off the runtime so
/// the emulator keeps answering.
async fn nectar(sandbox: &Sandbox, args: &[&str], stdin: &[u8]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let base = sandbox.base_url().to_owned();
    let key = sandbox.api_key().to_owned();
    let stdin = stdin.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nectar"))
            .args(&args)
            .env("NECTAR_API_KEY", key)
            .env("NECTAR_BASE_URL", base)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nectar starts");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(&stdin).expect("stdin");
        }
        child.wait_with_output().expect("nectar runs")
    })
    .await
    .expect("joined")
}

/// `nectar args` must exit 0; its stdout as JSON.
async fn json_of(sandbox: &Sandbox, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let output = nectar(sandbox, &args, b"").await;
    assert!(
        output.status.success(),
        "nectar {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "nectar {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_owned()
}

/// The operations the emulator answered, matched by method and path template.
fn reached(sandbox: &Sandbox, spec: &Spec) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for request in sandbox.requests() {
        if request.status.is_none() {
            continue;
        }
        let path = request.path.trim_start_matches("/v2.2");
        let segments: Vec<&str> = path.split('/').collect();
        let mut matching: Vec<&nectar_sandbox::spec::Operation> = spec
            .operations()
            .iter()
            .filter(|op| op.method == request.method)
            .filter(|op| {
                let template: Vec<&str> = op.path.split('/').collect();
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .collect();
        // The most literal template wins (`/connection/{id}/details` over `/connection/{id}`).
        matching.sort_by_key(|op| std::cmp::Reverse(op.path.matches('{').count() == 0));
        matching.sort_by_key(|op| op.path.matches('{').count());
        if let Some(op) = matching.first() {
            out.insert(op.id.clone());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_command_reaches_its_operation() {
    let sandbox = Sandbox::builder()
        .seed_usage("Data Co", 4, 2)
        .validation_delay(std::time::Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let data = sandbox.seeded_data()[0].clone();
    let company = data.company_id.to_string();
    let site = data.site_id.to_string();
    let connection = data.connection_id.to_string();
    let dir = std::env::temp_dir().join(format!("nectar-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, body: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, body.to_string()).unwrap();
        path.to_string_lossy().into_owned()
    };

    json_of(&sandbox, &["ping"]).await;
    let companies = json_of(&sandbox, &["companies", "list"]).await;
    assert!(companies.as_array().is_some_and(|c| !c.is_empty()));
    let created = json_of(&sandbox, &["companies", "create", "--name", "CLI Co"]).await;
    let new_company = id(&created);
    json_of(&sandbox, &["companies", "get", &new_company]).await;
    let renamed = json_of(
        &sandbox,
        &["companies", "update", &new_company, "--name", "CLI Co 2"],
    )
    .await;
    assert_eq!(renamed["name"], "CLI Co 2");

    let new_site = id(&json_of(
        &sandbox,
        &[
            "sites",
            "create",
            "--company",
            &new_company,
            "--name",
            "Plant",
        ],
    )
    .await);
    json_of(&sandbox, &["sites", "get", &new_site]).await;
    json_of(
        &sandbox,
        &["sites", "update", &new_site, "--address", "1 Main St"],
    )
    .await;

    // A body from a file for the array, flags for the rest.
    let sites = file("connection.json", &json!({ "initialSites": [new_site] }));
    let new_connection = id(&json_of(
        &sandbox,
        &[
            "connections",
            "create",
            "--company",
            &new_company,
            "--body",
            &sites,
            "--url",
            nectar_sandbox::SANDBOX_URL,
            "--username",
            nectar_sandbox::SANDBOX_USERNAME,
            "--password",
            nectar_sandbox::SANDBOX_PASSWORD,
            "--country",
            "US",
        ],
    )
    .await);
    let waited = nectar(&sandbox, &["connections", "wait", &new_connection], b"").await;
    assert!(
        matches!(waited.status.code(), Some(0 | 5)),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    let listed = json_of(&sandbox, &["connections", "list", "--company", &company]).await;
    assert!(listed.as_array().is_some_and(|c| !c.is_empty()));
    let details = json_of(&sandbox, &["connections", "get", &connection]).await;
    json_of(
        &sandbox,
        &[
            "connections",
            "update",
            &connection,
            "--multiply-by-occupancy",
            "false",
        ],
    )
    .await;
    // Confirming accounts of a connection not waiting for it: answered (an API error, exit 3).
    let confirmed = nectar(
        &sandbox,
        &[
            "connections",
            "confirm-accounts",
            &connection,
            "--confirm",
            "true",
        ],
        b"",
    )
    .await;
    assert!(matches!(confirmed.status.code(), Some(0 | 3)));
    json_of(
        &sandbox,
        &["connections", "create-magic-link", "--company", &company],
    )
    .await;
    json_of(&sandbox, &["connections", "create-magic-link", &connection]).await;

    let documents = json_of(&sandbox, &["documents", "list", "--company", &company]).await;
    let document = id(&documents[0]);
    json_of(
        &sandbox,
        &["documents", "list", "--site", &site, "--max-items", "1"],
    )
    .await;
    json_of(
        &sandbox,
        &["documents", "list", "--connection", &connection],
    )
    .await;
    json_of(&sandbox, &["documents", "get", &document]).await;

    let rows = json_of(&sandbox, &["usage", "list", "--company", &company]).await;
    let row = &rows[0];
    json_of(&sandbox, &["usage", "list", "--site", &site]).await;
    json_of(&sandbox, &["usage", "list", "--connection", &connection]).await;
    json_of(&sandbox, &["usage", "list", "--document", &document]).await;
    json_of(&sandbox, &["usage", "get", &id(row)]).await;
    let meter = row["meter"].as_str().expect("a meter id").to_owned();
    json_of(&sandbox, &["meters", "get", &meter]).await;

    let account = details["accounts"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| documents[0]["account"]["id"].as_str().map(str::to_owned))
        .expect("an account id");
    json_of(
        &sandbox,
        &["accounts", "update", &account, "--is-tracked", "true"],
    )
    .await;

    let invitation_body = file(
        "invitation.json",
        &json!({ "allowedEmails": ["user@example.com"], "expiresInSeconds": 3600 }),
    );
    let invitation = id(&json_of(
        &sandbox,
        &[
            "invitations",
            "create-connection",
            "--company",
            &company,
            "--body",
            &invitation_body,
            "--send-email",
            "false",
        ],
    )
    .await);
    json_of(&sandbox, &["invitations", "list", "--company", &company]).await;
    json_of(&sandbox, &["invitations", "get", &invitation]).await;
    json_of(&sandbox, &["invitations", "revoke", &invitation]).await;
    json_of(
        &sandbox,
        &[
            "invitations",
            "create-reconnect",
            "--connection",
            &connection,
            "--max-uses",
            "1",
        ],
    )
    .await;

    let bill = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../nectar-api/examples/bill.pdf"
    );
    let job = id(&json_of(
        &sandbox,
        &[
            "jobs",
            "upload-document",
            "--company",
            &company,
            "--document",
            bill,
        ],
    )
    .await);
    json_of(&sandbox, &["jobs", "get", &job]).await;
    // The body from stdin.
    let bulk = nectar(
        &sandbox,
        &[
            "jobs",
            "create-bulk",
            "--company",
            &company,
            "--body",
            "-",
            "--format",
            "json",
        ],
        br#"{"documents": ["https://storage.example/bill.pdf"]}"#,
    )
    .await;
    assert!(
        bulk.status.success(),
        "{}",
        String::from_utf8_lossy(&bulk.stderr)
    );

    json_of(&sandbox, &["companies", "delete", &new_company]).await;

    let spec = Spec::load();
    let reached = reached(&sandbox, &spec);
    let all: BTreeSet<String> = spec.operations().iter().map(|op| op.id.clone()).collect();
    let missing: Vec<&String> = all.difference(&reached).collect();
    println!(
        "generated commands reached: {} of {}",
        reached.len(),
        all.len()
    );
    assert!(
        missing.is_empty(),
        "not reached through nectar: {missing:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_api_errors_and_transport_failures_have_their_exit_codes() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    // A usage error: nothing is sent.
    let before = sandbox.requests().len();
    let bad = nectar(&sandbox, &["documents", "get", "not-a-uuid"], b"").await;
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains("ID: \"not-a-uuid\" is not valid"),
        "{message}"
    );
    assert!(bad.stdout.is_empty(), "nothing but data on stdout");
    let missing = nectar(&sandbox, &["documents", "list"], b"").await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("--company ID, --connection ID, --site ID")
    );
    assert_eq!(sandbox.requests().len(), before);
    // An API error: the client's message and advice.
    let gone = nectar(
        &sandbox,
        &["companies", "get", "00000000-0000-0000-0000-000000000000"],
        b"",
    )
    .await;
    assert_eq!(gone.status.code(), Some(3));
    let message = String::from_utf8_lossy(&gone.stderr);
    assert!(
        message.contains("404") && message.contains("check the id"),
        "{message}"
    );
    // A transport failure.
    let output = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_nectar"))
            .args(["ping"])
            .env("NECTAR_API_KEY", "secret-key-never-shown")
            .env("NECTAR_BASE_URL", "http://127.0.0.1:9/v2.2")
            .env_remove("NECTAR_SANDBOX")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(!message.contains("secret-key-never-shown"), "{message}");
    // The key from a file, never printed even with --verbose.
    let key_file = std::env::temp_dir().join(format!("nectar-key-{}", std::process::id()));
    std::fs::write(&key_file, format!("{}\n", sandbox.api_key())).unwrap();
    let path = key_file.to_string_lossy().into_owned();
    let base = sandbox.base_url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_nectar"))
            .args(["ping", "--verbose", "--api-key-file", &path])
            .env_remove("NECTAR_API_KEY")
            .env("NECTAR_BASE_URL", base)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(sandbox.api_key()), "{all}");
    let _ = std::fs::remove_file(&key_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_needs_user_export_sync_and_verify() {
    let sandbox = Sandbox::builder()
        .seed_company("Statuses Co", 3, 12)
        .seed_usage("Data Co", 5, 3)
        .start()
        .await
        .unwrap();
    let statuses = sandbox.seeded()[0].company_id.to_string();
    let data = sandbox.seeded_data()[0].clone();
    let company = data.company_id.to_string();

    // needs-user: exit 5, one row per connection the end user must fix, with what to do.
    let output = nectar(
        &sandbox,
        &[
            "connections",
            "needs-user",
            "--company",
            &statuses,
            "--format",
            "json",
        ],
        b"",
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["action"].as_str().is_some_and(|a| !a.is_empty()))
    );
    // A company whose connections are all fine: exit 0, an empty list.
    let output = nectar(
        &sandbox,
        &[
            "connections",
            "needs-user",
            "--company",
            &company,
            "--format",
            "json",
        ],
        b"",
    )
    .await;
    assert_eq!(output.status.code(), Some(0));

    // usage export: CSV with the documented columns, one line per row, decimals as sent.
    let rows = json_of(&sandbox, &["usage", "list", "--company", &company]).await;
    let output = nectar(&sandbox, &["usage", "export", "--company", &company], b"").await;
    assert!(output.status.success());
    let csv = String::from_utf8(output.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,site_id,site_name,meter_id,meter_number,datasource_type,start_date,end_date,usage,usage_units,is_estimated,document_id,bill_date"
        )
    );
    assert_eq!(lines.count(), rows.as_array().unwrap().len());
    let first_usage = rows[0]["usage"].as_str().unwrap();
    assert!(
        csv.contains(&format!(",{first_usage},")),
        "the usage as sent"
    );
    // With a filter: only ELECTRICITY rows (the seed has no other kind; a kind it lacks gives none).
    let output = nectar(
        &sandbox,
        &[
            "usage",
            "export",
            "--company",
            &company,
            "--datasource-type",
            "WATER",
        ],
        b"",
    )
    .await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);

    // sync: everything the first time, nothing the second, the checkpoint in the file.
    let checkpoint = std::env::temp_dir().join(format!("nectar-sync-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&checkpoint);
    let path = checkpoint.to_string_lossy().into_owned();
    let first = nectar(
        &sandbox,
        &[
            "documents",
            "sync",
            "--company",
            &company,
            "--checkpoint",
            &path,
        ],
        b"",
    )
    .await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let changes: Vec<Value> = String::from_utf8_lossy(&first.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(changes.len(), data.documents);
    assert!(changes.iter().all(|c| c["change"] == "changed"));
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(stored["kind"], "documents");
    let second = nectar(
        &sandbox,
        &[
            "documents",
            "sync",
            "--company",
            &company,
            "--checkpoint",
            &path,
        ],
        b"",
    )
    .await;
    assert!(second.status.success());
    assert!(
        second.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    // A deletion comes as one.
    let document = changes[0]["object"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(sandbox.delete_document(document));
    let third = nectar(
        &sandbox,
        &[
            "documents",
            "sync",
            "--company",
            &company,
            "--checkpoint",
            &path,
        ],
        b"",
    )
    .await;
    let line: Value = serde_json::from_slice(&third.stdout).unwrap();
    assert_eq!(
        line,
        json!({"change": "deleted", "id": document.to_string()})
    );
    let _ = std::fs::remove_file(&checkpoint);

    // webhooks verify: a signed delivery is shown; a tampered one is refused.
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body =
        br#"{"eventType": "connection.created.v2", "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199"}"#;
    let signed =
        nectar_api::webhooks::Signer::new(secret)
            .unwrap()
            .headers("msg_1", 1_614_265_330, body);
    let headers: String = signed
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap()))
        .collect();
    let dir = std::env::temp_dir();
    let secret_file = dir.join(format!("nectar-secret-{}", std::process::id()));
    let headers_file = dir.join(format!("nectar-headers-{}", std::process::id()));
    std::fs::write(&secret_file, secret).unwrap();
    std::fs::write(&headers_file, headers).unwrap();
    let args = [
        "webhooks",
        "verify",
        "--secret-file",
        secret_file.to_str().unwrap(),
        "--headers",
        headers_file.to_str().unwrap(),
        "--ignore-timestamp",
        "--format",
        "json",
    ];
    let verified = nectar(&sandbox, &args, body).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let shown: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(shown["id"], "msg_1");
    assert_eq!(shown["eventType"], "connection.created.v2");
    let tampered = nectar(&sandbox, &args, &body[..body.len() - 1]).await;
    assert_eq!(tampered.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&tampered.stderr).contains("refused"));
    let _ = std::fs::remove_file(&secret_file);
    let _ = std::fs::remove_file(&headers_file);
}
