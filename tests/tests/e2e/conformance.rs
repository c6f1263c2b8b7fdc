//! Conformance of the emulator to `spec/openapi.json`: every operation is driven through every
//! status the spec documents for it, with raw HTTP, and every answer's status must be documented
//! and its body must validate against the documented schema. The emulator and the spec cannot
//! drift apart without this test failing.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use nectar_sandbox::{SANDBOX_PASSWORD, SANDBOX_URL, SANDBOX_USERNAME, Sandbox, spec::Spec};
use serde_json::{Value, json};

struct Harness {
    spec: Spec,
    http: reqwest::Client,
    base: String,
    /// (operation, status) pairs seen, with how many bodies were validated.
    seen: BTreeMap<(String, u16), usize>,
}

impl Harness {
    /// Calls an operation and checks the answer against the spec; returns status and body.
    async fn call(
        &mut self,
        operation: &str,
        params: &[(&str, String)],
        query: &str,
        body: Option<&Value>,
        key: &str,
    ) -> (u16, Value) {
        let (method, url) = self.url(operation, params);
        let mut request = self.http.request(method, format!("{url}{query}"));
        if !key.is_empty() {
            request = request.header("X-API-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.record(operation, request).await
    }

    /// Calls an operation with a `multipart/form-data` body holding `file` as `document`.
    async fn call_multipart(
        &mut self,
        operation: &str,
        params: &[(&str, String)],
        file: &[u8],
        key: &str,
    ) -> (u16, Value) {
        let (_, url) = self.url(operation, params);
        let boundary = "conformance-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"bill.pdf\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .http
            .post(url)
            .header("X-API-Key", key)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.record(operation, request).await
    }

    /// The operation's method and URL, its path parameters filled in.
    fn url(&self, operation: &str, params: &[(&str, String)]) -> (reqwest::Method, String) {
        let op = self
            .spec
            .operation(operation)
            .unwrap_or_else(|| panic!("{operation} is not in the spec"));
        let mut path = op.path.clone();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("a method");
        (method, format!("{}{path}", self.base))
    }

    /// Calls a create operation as the owner (checked like every call); returns the new id.
    async fn create(&mut self, operation: &str, params: &[(&str, String)], body: &Value) -> String {
        let (_, created) = self.call(operation, params, "", Some(body), OWNER).await;
        created["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{operation} answered no id: {created}"))
            .to_owned()
    }

    /// Sends the request and checks the answer against the spec; returns status and body.
    async fn record(&mut self, operation: &str, request: reqwest::RequestBuilder) -> (u16, Value) {
        let op = self
            .spec
            .operation(operation)
            .unwrap_or_else(|| panic!("{operation} is not in the spec"));
        let response = request.send().await.expect("the emulator answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let documented = op.responses.get(&status).unwrap_or_else(|| {
            panic!("{operation} answered {status}, which the spec does not document: {text}")
        });
        let value = match documented {
            Some(schema) => {
                let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
                    panic!("{operation} {status}: body is not JSON ({e}): {text}")
                });
                if let Err(mismatch) = self.spec.check(schema, &value) {
                    panic!(
                        "{operation} {status}: body does not match the spec: {mismatch}\n{value:#}"
                    );
                }
                value
            }
            None => {
                assert!(
                    text.is_empty(),
                    "{operation} {status}: documented without a body, got {text}"
                );
                Value::Null
            }
        };
        *self.seen.entry((operation.to_owned(), status)).or_default() += 1;
        (status, value)
    }
}

const OWNER: &str = "owner-key";
const OTHER: &str = "other-key";
const WRONG: &str = "wrong-key";
const NIL: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test]
async fn every_operation_and_documented_status_conforms_to_the_spec() {
    let sandbox = Sandbox::builder()
        .user(OWNER, "owner@example.com")
        .user(OTHER, "other@example.com")
        .validation_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("the emulator starts");
    let mut h = Harness {
        spec: Spec::load(),
        http: reqwest::Client::new(),
        base: sandbox.base_url().to_owned(),
        seen: BTreeMap::new(),
    };

    // ---- success answers, building the objects the error cases use ----
    h.call("ping", &[], "", None, OWNER).await;
    let company_body = json!({"name": "Conformance Co", "externalId": "c-1", "dataCollectionStartDate": "2024-01-01",
        "isImpliedMeteringEnabled": true, "impliedMeteringFraction": "0.85", "users": ["other@example.com"]});
    let company_id = h.create("create_company", &[], &company_body).await;
    // A company the other user cannot see, for 403s.
    let private_id = h
        .create("create_company", &[], &json!({"name": "Private"}))
        .await;
    h.call("list_companies", &[], "", None, OWNER).await;
    h.call(
        "get_company",
        &[("company_id", company_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    h.call(
        "update_company",
        &[("company_id", company_id.clone())],
        "",
        Some(&json!({"isDemandEnabled": true})),
        OWNER,
    )
    .await;

    let site_body = json!({"name": "Plant", "address": "1 Main St", "path": ["US", "CA"], "occupancyPercent": "80.5", "externalId": null});
    let site_id = h
        .create(
            "create_site",
            &[("company_id", company_id.clone())],
            &site_body,
        )
        .await;
    let private_site_id = h
        .create(
            "create_site",
            &[("company_id", private_id.clone())],
            &json!({"name": "Hidden"}),
        )
        .await;
    h.call("get_site", &[("site_id", site_id.clone())], "", None, OWNER)
        .await;
    h.call(
        "update_site",
        &[("site_id", site_id.clone())],
        "",
        Some(&json!({"occupancyPercent": null})),
        OWNER,
    )
    .await;

    let connection_body = json!({"url": SANDBOX_URL, "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD,
        "initialSites": [site_id], "country": "US", "initialDatasourceTypes": ["ELECTRICITY"],
        "workflowOwnerEmail": "owner@example.com", "multiplyByOccupancy": true});
    let connection_id = h
        .create(
            "create_connection",
            &[("company_id", company_id.clone())],
            &connection_body,
        )
        .await;
    let private_connection_body = json!({"url": "https://utility.example", "username": "u", "password": "p",
        "initialSites": [private_site_id], "country": "GB"});
    let private_connection_id = h
        .create(
            "create_connection",
            &[("company_id", private_id.clone())],
            &private_connection_body,
        )
        .await;
    // A connected sandbox connection in the private company: data the other user cannot see.
    let private_data_body = json!({"url": SANDBOX_URL, "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD,
        "initialSites": [private_site_id], "country": "US"});
    let private_data_id = h
        .create(
            "create_connection",
            &[("company_id", private_id.clone())],
            &private_data_body,
        )
        .await;
    // Wait (bounded) until the connections have had their first check.
    for _ in 0..1000 {
        let mut pending = false;
        for id in [&connection_id, &private_connection_id, &private_data_id] {
            let body: Value = h
                .http
                .get(format!("{}/connection/{id}/details", h.base))
                .header("X-API-Key", OWNER)
                .send()
                .await
                .expect("the emulator answers")
                .json()
                .await
                .expect("a connection");
            pending |= body["status"] == "PENDING";
        }
        if !pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_, connected) = h
        .call(
            "get_connection",
            &[("connection_id", connection_id.clone())],
            "",
            None,
            OWNER,
        )
        .await;
    assert_eq!(connected["status"], "CONNECTED");
    let (_, failed) = h
        .call(
            "get_connection",
            &[("connection_id", private_connection_id.clone())],
            "",
            None,
            OWNER,
        )
        .await;
    assert_eq!(failed["status"], "PASSWORD_INCORRECT");
    h.call(
        "list_company_connections",
        &[("company_id", company_id.clone())],
        "?limit=1&page=1&status=CONNECTED",
        None,
        OWNER,
    )
    .await;
    h.call(
        "list_company_connections",
        &[("company_id", company_id.clone())],
        &format!("?sites={site_id}&sites={NIL}&connectionOwnerEmail=owner%40example.com"),
        None,
        OWNER,
    )
    .await;
    h.call(
        "update_connection",
        &[("connection_id", connection_id.clone())],
        "",
        Some(&json!({"dataCollectionStartDate": "2023-06-01", "multiplyByOccupancy": false})),
        OWNER,
    )
    .await;
    h.call(
        "confirm_connection_accounts",
        &[("connection_id", connection_id.clone())],
        "",
        Some(&json!({"confirm": true})),
        OWNER,
    )
    .await;
    h.call(
        "create_connection_magic_link",
        &[("connection_id", connection_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    h.call(
        "create_company_magic_link",
        &[("company_id", company_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;

    // ---- the data side: documents, usage data, meters, accounts ----
    let data = Data::of(&mut h, &company_id, &connection_id, OWNER).await;
    let hidden = Data::of(&mut h, &private_id, &private_data_id, OWNER).await;
    for (operation, param, value, query) in [
        (
            "list_site_documents",
            "site_id",
            &site_id,
            "?datasourceType=ELECTRICITY&datasourceType=GAS&dateType=USAGE_PERIOD&startDate=2024-01-01&endDate=2030-12-31&isDeleted=true",
        ),
        (
            "list_connection_documents",
            "connection_id",
            &connection_id,
            "?dateType=CREATED_DATE&page=2",
        ),
        (
            "list_company_documents",
            "company_id",
            &company_id,
            "?identifier=nothing-matches",
        ),
        ("get_document", "document_id", &data.document, ""),
        (
            "list_site_usage",
            "site_id",
            &site_id,
            "?dateType=UPDATED_DATE&startDate=2020-01-01",
        ),
        (
            "list_connection_usage",
            "connection_id",
            &connection_id,
            "?datasourceType=SOLAR",
        ),
        (
            "list_document_usage",
            "document_id",
            &data.document,
            "?page=99",
        ),
        ("get_usage_data", "usage_data_id", &data.usage, ""),
        ("get_meter", "meter_id", &data.meter, ""),
    ] {
        let (status, _) = h
            .call(operation, &[(param, value.clone())], query, None, OWNER)
            .await;
        assert_eq!(status, 200, "{operation}{query}");
    }
    let (_, account) = h
        .call(
            "update_account",
            &[("account_id", data.account.clone())],
            "",
            Some(&json!({"isTracked": false, "updateMeters": true})),
            OWNER,
        )
        .await;
    assert_eq!(account["trackingStatus"], "DISABLED");

    // ---- invitations and upload jobs ----
    let invitation_id = h.create("create_connection_invitation", &[("company_id", company_id.clone())], &json!({"allowedEmails": ["user@example.com"], "expiresInSeconds": 3600, "maxUses": 2, "sendEmail": false,
                "prefill": {"url": SANDBOX_URL, "initialSites": [site_id], "utilityTypes": ["ELECTRICITY"], "country": "US",
                    "connectionOwnerEmail": "owner@example.com", "dataCollectionStartDate": "2024-01-01"}})).await;
    let hidden_invitation_id = h
        .create(
            "create_reconnect_invitation",
            &[("connection_id", private_connection_id.clone())],
            &json!({"maxUses": 1}),
        )
        .await;
    h.call(
        "list_invitations",
        &[("company_id", company_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    h.call(
        "get_invitation",
        &[("invitation_id", invitation_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    h.call(
        "revoke_invitation",
        &[("invitation_id", invitation_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    let pdf = std::fs::read(nectar_tests::workspace_root().join("nectar-api/examples/bill.pdf"))
        .expect("the fixture");
    let (status, job) = h
        .call_multipart(
            "upload_document",
            &[("company_id", company_id.clone())],
            &pdf,
            OWNER,
        )
        .await;
    assert!(status < 300, "{job}");
    let job_id = job["id"].as_str().expect("an id").to_owned();
    h.call("get_job", &[("job_id", job_id.clone())], "", None, OWNER)
        .await;
    let hidden_job_id = h
        .create(
            "create_bulk_job",
            &[("company_id", private_id.clone())],
            &json!({"documents": ["https://storage.example/bill.pdf"], "siteId": private_site_id}),
        )
        .await;

    // ---- documented errors, generically per operation ----
    let objects: BTreeMap<&str, (String, String)> = BTreeMap::from([
        ("company_id", (company_id.clone(), private_id.clone())),
        ("site_id", (site_id.clone(), private_site_id.clone())),
        (
            "connection_id",
            (connection_id.clone(), private_connection_id.clone()),
        ),
        (
            "document_id",
            (data.document.clone(), hidden.document.clone()),
        ),
        ("usage_data_id", (data.usage.clone(), hidden.usage.clone())),
        ("meter_id", (data.meter.clone(), hidden.meter.clone())),
        ("account_id", (data.account.clone(), hidden.account.clone())),
        (
            "invitation_id",
            (invitation_id.clone(), hidden_invitation_id.clone()),
        ),
        ("job_id", (job_id.clone(), hidden_job_id.clone())),
    ]);
    // Operations whose path id is a plain string (any text is a well-formed id): their 400
    // comes from the body.
    let bad_bodies: BTreeMap<&str, Value> =
        BTreeMap::from([("update_account", json!({"isTracked": "yes"}))]);
    let valid_bodies: BTreeMap<&str, Value> = BTreeMap::from([
        ("create_company", json!({"name": "Another"})),
        ("update_company", json!({"name": "Renamed"})),
        ("create_site", json!({"name": "Another site"})),
        ("update_site", json!({"address": "2 Main St"})),
        (
            "create_connection",
            json!({"url": SANDBOX_URL, "username": "u", "password": "p", "initialSites": [site_id], "country": "US"}),
        ),
        ("update_connection", json!({"multiplyByOccupancy": true})),
        ("confirm_connection_accounts", json!({"confirm": false})),
        ("update_account", json!({"isTracked": true})),
        (
            "create_connection_invitation",
            json!({"expiresInSeconds": 3600}),
        ),
        ("create_reconnect_invitation", json!({"maxUses": 1})),
        (
            "create_bulk_job",
            json!({"documents": ["https://storage.example/bill.pdf"]}),
        ),
    ]);
    let operations: Vec<(String, String, Vec<u16>)> = h
        .spec
        .operations()
        .iter()
        .map(|op| {
            (
                op.id.clone(),
                op.path.clone(),
                op.responses.keys().copied().filter(|s| *s >= 400).collect(),
            )
        })
        .collect();
    for (id, path, errors) in &operations {
        let param = objects
            .keys()
            .copied()
            .find(|name| path.contains(&format!("{{{name}}}")));
        let body = valid_bodies.get(id.as_str());
        let with = |value: &str| -> Vec<(&str, String)> {
            param
                .map(|p| vec![(p, value.to_owned())])
                .unwrap_or_default()
        };
        for status in errors {
            let (got, answer) = match status {
                401 => h.call(id, &with(NIL), "", body, WRONG).await,
                403 => {
                    let hidden = &objects[param.expect("403 needs an object")].1;
                    h.call(id, &with(hidden), "", body, OTHER).await
                }
                404 => h.call(id, &with(NIL), "", body, OWNER).await,
                400 => match (param, bad_bodies.get(id.as_str())) {
                    (Some(p), Some(bad)) => {
                        let good = &objects[p].0;
                        h.call(id, &with(good), "", Some(bad), OWNER).await
                    }
                    (Some(_), None) => h.call(id, &with("not-a-uuid"), "", body, OWNER).await,
                    (None, _) => h.call(id, &[], "", Some(&json!({"name": ""})), OWNER).await,
                },
                other => panic!("{id}: no way to provoke documented status {other}"),
            };
            assert_eq!(got, *status, "{id}: expected {status}, got {got}: {answer}");
        }
    }
    // Missing key (not just a wrong one) and query validation are documented errors too.
    assert_eq!(h.call("ping", &[], "", None, "").await.0, 401);
    for query in [
        "?limit=0",
        "?limit=501",
        "?status=SUSPENDED",
        "?page=x",
        "?sites=nope",
    ] {
        let (status, _) = h
            .call(
                "list_company_connections",
                &[("company_id", company_id.clone())],
                query,
                None,
                OWNER,
            )
            .await;
        assert_eq!(status, 400, "{query}");
    }
    for query in [
        "?datasourceType=NOPE",
        "?dateType=BILL",
        "?startDate=2024-13-01",
        "?endDate=24-01-01",
        "?identifier=",
        "?isDeleted=maybe",
        "?page=x",
    ] {
        for operation in ["list_company_documents", "list_company_usage"] {
            if operation == "list_company_usage" && query.starts_with("?isDeleted") {
                continue; // not a parameter of the usage lists: ignored, as unknown ones are
            }
            let (status, _) = h
                .call(
                    operation,
                    &[("company_id", company_id.clone())],
                    query,
                    None,
                    OWNER,
                )
                .await;
            assert_eq!(status, 400, "{operation}{query}");
        }
    }
    // A method on a path that also fits another operation whose id is malformed answers that
    // operation's documented 400, not an undocumented 405.
    let status = h
        .http
        .patch(format!("{}/connection/company/status", h.base))
        .header("X-API-Key", OWNER)
        .json(&json!({"confirm": true}))
        .send()
        .await
        .expect("the emulator answers")
        .status();
    assert_eq!(status, 400);
    // Delete last: it removes the objects above.
    h.call(
        "delete_company",
        &[("company_id", company_id.clone())],
        "",
        None,
        OWNER,
    )
    .await;
    assert_eq!(
        h.call(
            "get_company",
            &[("company_id", company_id.clone())],
            "",
            None,
            OWNER
        )
        .await
        .0,
        404
    );

    // ---- coverage: every operation answered with success, and every documented error ----
    let mut missing = Vec::new();
    for op in h.spec.operations() {
        let statuses: BTreeSet<u16> = h
            .seen
            .keys()
            .filter(|(id, _)| *id == op.id)
            .map(|(_, s)| *s)
            .collect();
        if !statuses.iter().any(|s| *s < 300) {
            missing.push(format!("{}: no success answer", op.id));
        }
        for status in op.responses.keys().filter(|s| **s >= 400) {
            if !statuses.contains(status) {
                missing.push(format!("{}: documented {status} never seen", op.id));
            }
        }
    }
    assert!(missing.is_empty(), "not covered:\n{}", missing.join("\n"));
    let validated: usize = h.seen.values().sum();
    println!(
        "conformance: {} operations, {} (operation, status) pairs, {validated} responses validated against spec/openapi.json",
        h.spec.operations().len(),
        h.seen.len()
    );
}

/// Ids of the data a connected sandbox connection produced.
struct Data {
    document: String,
    usage: String,
    meter: String,
    account: String,
}

impl Data {
    async fn of(h: &mut Harness, company: &str, connection: &str, key: &str) -> Data {
        let (_, page) = h
            .call(
                "list_company_documents",
                &[("company_id", company.to_owned())],
                "",
                None,
                key,
            )
            .await;
        let document = page["documents"][0]["id"]
            .as_str()
            .expect("a document")
            .to_owned();
        let (_, page) = h
            .call(
                "list_company_usage",
                &[("company_id", company.to_owned())],
                "",
                None,
                key,
            )
            .await;
        let usage = &page["usageData"][0];
        let (_, connection) = h
            .call(
                "get_connection",
                &[("connection_id", connection.to_owned())],
                "",
                None,
                key,
            )
            .await;
        Data {
            document,
            usage: usage["id"].as_str().expect("a usage row").to_owned(),
            meter: usage["meter"].as_str().expect("a meter").to_owned(),
            account: connection["accounts"][0]["id"]
                .as_str()
                .expect("an account")
                .to_owned(),
        }
    }
}
