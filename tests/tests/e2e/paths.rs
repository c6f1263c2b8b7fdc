//! No id can move a request to another endpoint: every string path parameter the spec has, given
//! hostile text (`..\company\<uuid>`, `..`, `/`, `?`, `#`, `%2e%2e`, control characters), is sent
//! as exactly one segment under its template, or refused before sending naming the parameter.

use std::collections::BTreeSet;

use nectar_api::{Client, Error, ErrorKind, RetryPolicy};
use nectar_tests::hostile::{Hostile, Reply};

/// Ids as an attacker writes them into a webhook payload, a CSV file or a form.
const HOSTILE: &[&str] = &[
    r"..\company\0b7c9a52-5a8f-4d7e-9c1e-0c1f2d3e4f50",
    r"..\..\ping",
    "../../ping",
    "..",
    ".",
    "",
    "../",
    "..%2F..%2Fping",
    "%2e%2e",
    ".%2E",
    "%2e",
    "a/b",
    "a\\b",
    "a?isTracked=false",
    "a#fragment",
    "a b",
    "a\r\nX-Injected: 1",
    "a\0b",
    "%",
    "...",
    "\u{e9}\u{202e}",
    "//evil.example.com/x",
    "http://evil.example.com/x",
];

/// The string path parameters this test calls, as (operation, parameter, path template).
const COVERED: &[(&str, &str, &str)] = &[
    ("update_account", "account_id", "/account/{account_id}"),
    ("get_job", "job_id", "/job/{job_id}"),
    ("get_usage_data", "usage_data_id", "/usage/{usage_data_id}"),
];

async fn send(client: &Client, operation: &str, id: &str) -> Result<(), Error> {
    let id = id.to_owned();
    match operation {
        "update_account" => client
            .update_account()
            .account_id(id)
            .body_map(|b| b.is_tracked(false))
            .send()
            .await
            .map(drop),
        "get_job" => client.get_job().job_id(id).send().await.map(drop),
        "get_usage_data" => client
            .get_usage_data()
            .usage_data_id(id)
            .send()
            .await
            .map(drop),
        other => panic!("no call for {other}: add one to tests/tests/e2e/paths.rs"),
    }
}

/// Every path parameter of the spec that is a free string (not `format: uuid`), as
/// (operation, parameter, path template).
fn string_path_parameters() -> BTreeSet<(String, String, String)> {
    let path = nectar_tests::workspace_root().join("spec/openapi.json");
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut found = BTreeSet::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            let Some(parameters) = operation["parameters"].as_array() else {
                continue;
            };
            for parameter in parameters {
                let parameter = match parameter["$ref"].as_str() {
                    Some(reference) => {
                        let name = reference.rsplit('/').next().unwrap();
                        &spec["components"]["parameters"][name]
                    }
                    None => parameter,
                };
                if parameter["in"] == "path" && parameter["schema"]["format"] != "uuid" {
                    found.insert((
                        operation["operationId"].as_str().unwrap().to_owned(),
                        parameter["name"].as_str().unwrap().to_owned(),
                        template.clone(),
                    ));
                }
            }
        }
    }
    found
}

/// `segment` percent-decoded (a `%` not followed by two hex digits stays as it is).
fn decoded(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if bytes[at] == b'%'
            && let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    out
}

#[tokio::test]
async fn every_string_path_parameter_stays_one_segment_under_its_template() {
    let covered: BTreeSet<(String, String, String)> = COVERED
        .iter()
        .map(|(op, param, template)| {
            (
                (*op).to_owned(),
                (*param).to_owned(),
                (*template).to_owned(),
            )
        })
        .collect();
    assert_eq!(
        string_path_parameters(),
        covered,
        "the spec's string path parameters changed: cover each in COVERED and send()"
    );

    let server = Hostile::start("127.0.0.1", |_, _| {
        Reply::json("404 Not Found", r#"{"detail": "Not found."}"#)
    })
    .await
    .unwrap();
    let client = Client::builder()
        .api_key("paths-test-key")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();

    let mut escaped = Vec::new();
    let mut sent = 0;
    for (operation, parameter, template) in COVERED {
        let (before, after) = template
            .split_once(&format!("{{{parameter}}}"))
            .unwrap_or_else(|| panic!("{template} has no {{{parameter}}}"));
        let before = format!("/v2.2{before}");
        for id in HOSTILE {
            let already = server.requests().len();
            let result = send(&client, operation, id).await;
            let requests = server.requests();
            let arrived = &requests[already..];
            if matches!(*id, "" | "." | "..") {
                // Cannot be one segment: refused before sending, naming the parameter.
                match result {
                    Err(error)
                        if error.kind() == ErrorKind::InvalidRequest
                            && error.to_string().contains(&format!("`{parameter}`"))
                            && arrived.is_empty() => {}
                    other => escaped.push(format!(
                        "{operation} {id:?} not refused ({:?}), sent as {:?}",
                        other.err().map(|e| e.to_string()),
                        arrived.iter().map(|r| r.request_line()).collect::<Vec<_>>()
                    )),
                }
                continue;
            }
            assert_eq!(arrived.len(), 1, "{operation} {id:?}");
            sent += 1;
            let line = arrived[0].request_line();
            let target = line.split(' ').nth(1).unwrap_or_default();
            let segment = target
                .strip_prefix(&before)
                .and_then(|rest| rest.strip_suffix(after));
            match segment {
                Some(segment)
                    if !segment.contains(['/', '?', '#', '\\'])
                        && decoded(segment) == id.as_bytes() =>
                {
                    // The server sees exactly the value, as one segment.
                    let error = result.unwrap_err();
                    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");
                }
                _ => escaped.push(format!("{operation} {id:?} -> {target}")),
            }
        }
    }
    assert!(sent > 0);
    assert!(
        escaped.is_empty(),
        "{} of {} calls left their template or were not refused:\n{}",
        escaped.len(),
        COVERED.len() * HOSTILE.len(),
        escaped.join("\n")
    );
}
