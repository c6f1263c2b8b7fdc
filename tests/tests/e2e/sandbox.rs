//! End to end: the generated client against the emulator, for the documented flows, access,
//! errors and validation (lists are in `lists.rs`, injected faults in `faults.rs`).

use std::time::Duration;

use nectar_api::{
    Client,
    types::{Connection, ConnectionCreate, ConnectionStatus},
};
use nectar_sandbox::{SANDBOX_PASSWORD, Sandbox, flows};
use uuid::Uuid;

pub(super) async fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .validation_delay(Duration::from_millis(50))
        .start()
        .await
        .expect("the emulator starts")
}

async fn company_with_sites(client: &Client, sites: usize) -> (Uuid, Vec<Uuid>) {
    flows::company_with_sites(client, "Acme Test Co", sites)
        .await
        .expect("company and sites created")
}

fn sandbox_body(sites: &[Uuid], password: &str) -> ConnectionCreate {
    flows::sandbox_body(sites, password).expect("a complete body")
}

/// Polls until the connection leaves `PENDING` (bounded).
async fn settle(client: &Client, id: Uuid) -> Connection {
    for _ in 0..1000 {
        let connection = client
            .get_connection()
            .connection_id(id)
            .send()
            .await
            .expect("get")
            .into_inner();
        if connection.status != Some(ConnectionStatus::Pending) {
            return connection;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("connection {id} stayed PENDING");
}

pub(super) fn api_error(error: nectar_api::Error) -> (u16, String) {
    match (error.status(), error.detail()) {
        (Some(status), Some(detail)) => (status.as_u16(), detail.to_owned()),
        _ => panic!("expected an error answer with a detail, got {error:?}"),
    }
}

#[tokio::test]
async fn the_sandbox_connection_goes_from_pending_to_connected_with_accounts() {
    let sandbox = quick_sandbox().await;
    let client = sandbox.client();
    let (company_id, sites) = company_with_sites(&client, 2).await;

    let created = client
        .create_connection()
        .company_id(company_id)
        .body(sandbox_body(&sites, SANDBOX_PASSWORD))
        .send()
        .await
        .expect("connection created")
        .into_inner();
    assert_eq!(created.status, Some(ConnectionStatus::Pending));
    assert!(created.accounts.is_empty());
    assert_eq!(created.initial_sites, sites);

    let connected = settle(&client, created.id).await;
    assert_eq!(connected.status, Some(ConnectionStatus::Connected));
    assert_eq!(connected.accounts.len(), 2, "one account per site");
    assert!(connected.status_error_detail.is_none());
    assert!(connected.updated >= Some(created.created));

    let confirmed = client
        .confirm_connection_accounts()
        .connection_id(created.id)
        .body_map(|b| b.confirm(true))
        .send()
        .await
        .expect("confirmed")
        .into_inner();
    assert!(
        confirmed
            .accounts
            .iter()
            .all(|a| a.tracking_status == Some(nectar_api::types::TrackingStatus::Enabled))
    );

    let page = client
        .list_company_connections()
        .company_id(company_id)
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(page.total_connections, 1);
    assert_eq!(page.connections[0].id, created.id);
}

#[tokio::test]
async fn other_credentials_end_in_password_incorrect() {
    let sandbox = quick_sandbox().await;
    let client = sandbox.client();
    let (company_id, sites) = company_with_sites(&client, 1).await;
    let created = client
        .create_connection()
        .company_id(company_id)
        .body(sandbox_body(&sites, "not-the-password"))
        .send()
        .await
        .expect("created")
        .into_inner();
    let settled = settle(&client, created.id).await;
    assert_eq!(settled.status, Some(ConnectionStatus::PasswordIncorrect));
    assert!(settled.status_error_detail.is_some());
    assert!(settled.accounts.is_empty());
}

#[tokio::test]
async fn the_sandbox_takes_one_to_three_sites_of_the_same_company() {
    let sandbox = quick_sandbox().await;
    let client = sandbox.client();
    let (company_id, sites) = company_with_sites(&client, 4).await;
    let error = client
        .create_connection()
        .company_id(company_id)
        .body(sandbox_body(&sites, SANDBOX_PASSWORD))
        .send()
        .await
        .unwrap_err();
    let (status, detail) = api_error(error);
    assert_eq!(status, 400);
    assert!(
        detail.contains("initialSites") && detail.contains("got 4"),
        "{detail}"
    );

    let (_, foreign) = company_with_sites(&client, 1).await;
    let error = client
        .create_connection()
        .company_id(company_id)
        .body(sandbox_body(&foreign, SANDBOX_PASSWORD))
        .send()
        .await
        .unwrap_err();
    let (status, detail) = api_error(error);
    assert_eq!(status, 400);
    assert!(detail.contains(&foreign[0].to_string()), "{detail}");
}

#[tokio::test]
async fn keys_and_access_are_enforced() {
    let sandbox = Sandbox::builder()
        .user("key-a", "a@example.com")
        .user("key-b", "b@example.com")
        .start()
        .await
        .unwrap();
    let a = sandbox.client();
    let (company_id, sites) = company_with_sites(&a, 1).await;

    let no_key = reqwest::get(format!("{}/ping", sandbox.base_url()))
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    let body: serde_json::Value = no_key.json().await.unwrap();
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided."
    );
    let (status, detail) = api_error(
        sandbox
            .client_with_key("wrong")
            .list_companies()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((status, detail.as_str()), (401, "Invalid API key."));

    let b = sandbox.client_with_key("key-b");
    assert!(
        b.list_companies().send().await.unwrap().is_empty(),
        "b sees none of a's companies"
    );
    let (status, _) = api_error(
        b.get_company()
            .company_id(company_id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 403);
    let (status, _) = api_error(b.get_site().site_id(sites[0]).send().await.unwrap_err());
    assert_eq!(status, 403);
    let (status, detail) = api_error(
        a.get_company()
            .company_id(Uuid::nil())
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((status, detail.as_str()), (404, "Company not found."));

    // Sharing the company with b's user gives b access.
    a.update_company()
        .company_id(company_id)
        .body_map(|x| x.users(vec!["b@example.com".to_owned()]))
        .send()
        .await
        .expect("shared");
    assert_eq!(
        b.get_company()
            .company_id(company_id)
            .send()
            .await
            .unwrap()
            .sites
            .len(),
        1
    );
    let (status, detail) = api_error(
        a.update_company()
            .company_id(company_id)
            .body_map(|x| x.users(vec!["nobody@example.com".to_owned()]))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert!(detail.contains("nobody@example.com"), "{detail}");
}

#[tokio::test]
#[allow(deprecated)] // the magic-link operations are deprecated by Nectar, still served
async fn companies_and_sites_are_created_read_updated_and_deleted() {
    let sandbox = quick_sandbox().await;
    let client = sandbox.client();
    let (company_id, sites) = company_with_sites(&client, 1).await;

    let updated = client
        .update_site()
        .site_id(sites[0])
        .body_map(|b| {
            b.occupancy_percent("75.5")
                .path(vec!["US".parse().unwrap(), "CA".parse().unwrap()])
        })
        .send()
        .await
        .expect("site updated")
        .into_inner();
    assert_eq!(
        updated
            .occupancy_percent
            .as_ref()
            .map(nectar_api::Decimal::as_str),
        Some("75.5")
    );
    assert_eq!(updated.path, ["US", "CA"]);
    assert_eq!(updated.name, "Plant 0", "fields not sent are unchanged");

    // A list left out is kept; a list sent replaces, the empty list included (it clears).
    let kept = client
        .update_site()
        .site_id(sites[0])
        .body_map(|b| b.name("Plant A"))
        .send()
        .await
        .expect("site updated")
        .into_inner();
    assert_eq!(kept.path, ["US", "CA"], "a list not sent is unchanged");

    let company = client
        .update_company()
        .company_id(company_id)
        .body_map(|b| b.name("Renamed"))
        .send()
        .await
        .expect("company updated")
        .into_inner();
    assert_eq!(company.name, "Renamed");
    assert_eq!(
        company.external_id.as_deref(),
        Some("Acme Test Co-ext"),
        "a field left as Patch::Keep is not sent, so it is unchanged"
    );
    assert_eq!(company.sites.len(), 1);

    // Patch::Clear sends `null`, which Nectar reads as "clear this field".
    let clear = nectar_api::types::CompanyUpdate::builder().external_id(nectar_api::Patch::Clear);
    let body = nectar_api::types::CompanyUpdate::try_from(clear.clone()).expect("a valid body");
    assert_eq!(
        serde_json::to_value(&body).expect("serialises"),
        serde_json::json!({ "externalId": null }),
        "only the cleared field is sent, as null"
    );
    let cleared = client
        .update_company()
        .company_id(company_id)
        .body(clear)
        .send()
        .await
        .expect("company updated")
        .into_inner();
    assert_eq!(cleared.external_id, None, "null clears externalId");
    assert_eq!(cleared.name, "Renamed", "other fields are unchanged");
    let read_back = client
        .get_company()
        .company_id(company_id)
        .send()
        .await
        .expect("company read")
        .into_inner();
    assert_eq!(read_back.external_id, None, "the clear is stored");

    let site = client
        .update_site()
        .site_id(sites[0])
        .body_map(|b| {
            b.occupancy_percent(nectar_api::Patch::Clear)
                .external_id(nectar_api::Patch::Clear)
        })
        .send()
        .await
        .expect("site updated")
        .into_inner();
    assert_eq!(site.occupancy_percent, None, "null clears occupancyPercent");
    assert_eq!(site.external_id, None, "null clears externalId");
    assert_eq!(site.path, ["US", "CA"], "fields not sent are unchanged");

    let empty = nectar_api::types::SiteUpdate::builder().path(Vec::new());
    assert_eq!(
        serde_json::to_value(nectar_api::types::SiteUpdate::try_from(empty.clone()).unwrap())
            .unwrap(),
        serde_json::json!({ "path": [] }),
        "an empty list is sent, not dropped"
    );
    let cleared = client
        .update_site()
        .site_id(sites[0])
        .body(empty)
        .send()
        .await
        .expect("site updated")
        .into_inner();
    assert!(
        cleared.path.is_empty(),
        "[] clears the tags: {:?}",
        cleared.path
    );
    let no_users = nectar_api::types::CompanyUpdate::builder().users(Vec::new());
    assert_eq!(
        serde_json::to_value(nectar_api::types::CompanyUpdate::try_from(no_users).unwrap())
            .unwrap(),
        serde_json::json!({ "users": [] }),
        "an empty user list is sent, not dropped"
    );

    let link = client
        .create_company_magic_link()
        .company_id(company_id)
        .send()
        .await
        .expect("link")
        .into_inner();
    assert!(
        link.magic_link_url
            .expect("url")
            .expose_secret()
            .contains(&link.public_company_id)
    );

    let deleted = client
        .delete_company()
        .company_id(company_id)
        .send()
        .await
        .expect("deleted");
    assert_eq!(deleted.status(), 204);
    let (status, _) = api_error(
        client
            .get_company()
            .company_id(company_id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 404);
    let (status, _) = api_error(
        client
            .get_site()
            .site_id(sites[0])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 404, "sites go with their company");
}

/// What raw requests get for input the typed client cannot even send.
#[tokio::test]
async fn invalid_input_gets_400_naming_the_problem() {
    let sandbox = Sandbox::builder()
        .seed_company("Seeded", 2, 10)
        .start()
        .await
        .unwrap();
    let company = sandbox.seeded()[0].company_id;
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", sandbox.base_url()))
            .header("X-API-Key", sandbox.api_key())
            .send()
    };
    let detail = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.expect("a JSON error body");
        (
            status,
            body["detail"].as_str().unwrap_or_default().to_owned(),
        )
    };

    let cases = [
        (
            "/company/not-a-uuid".to_owned(),
            "company_id: \"not-a-uuid\" is not a valid UUID.",
        ),
        (
            format!("/connection/company/{company}?limit=0"),
            "limit: 0 is out of range",
        ),
        (
            format!("/connection/company/{company}?limit=501"),
            "limit: 501 is out of range",
        ),
        (
            format!("/connection/company/{company}?limit=ten"),
            "limit: \"ten\" is not an integer.",
        ),
        (
            format!("/connection/company/{company}?status=SUSPENDED"),
            "status: \"SUSPENDED\" is not a valid choice",
        ),
        (
            format!("/connection/company/{company}?sites=abc"),
            "sites: \"abc\" is not a valid UUID.",
        ),
        (
            format!("/connection/company/{company}?connectionOwnerEmail=nobody"),
            "connectionOwnerEmail: \"nobody\"",
        ),
    ];
    for (path, expected) in cases {
        let (status, text) = detail(get(path.clone()).await.unwrap()).await;
        assert_eq!(status, 400, "{path}");
        assert!(text.starts_with(expected), "{path}: {text}");
    }

    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{}{path}", sandbox.base_url()))
            .header("X-API-Key", sandbox.api_key())
            .json(&body)
            .send()
    };
    let (status, text) = detail(
        post(
            format!("/site/company/{company}"),
            serde_json::json!({"address": "1 Main St"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("\"name\" is a required property"), "{text}");
    let (status, text) = detail(
        post("/company".to_owned(), serde_json::json!({"name": ""}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.starts_with("name: "), "{text}");
    let (status, text) = detail(
        http.post(format!("{}/company", sandbox.base_url()))
            .header("X-API-Key", sandbox.api_key())
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.starts_with("JSON parse error"), "{text}");
}

#[tokio::test]
async fn decimal_strings_and_pages_are_refused_as_nectars_serializers_would() {
    use serde_json::{Value, json};
    let sandbox = Sandbox::start().await.unwrap();
    let http = reqwest::Client::new();
    let key = sandbox.api_key().to_owned();
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}{path}", sandbox.base_url()))
            .header("X-API-Key", &key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let company: Value = http
        .post(format!("{}/company", sandbox.base_url()))
        .header("X-API-Key", &key)
        .json(&json!({"name": "Decimals"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let company = company["id"].as_str().unwrap().to_owned();
    let post = reqwest::Method::POST;
    let patch = reqwest::Method::PATCH;
    for (value, ok) in [
        ("", false),
        ("-", false),
        ("-5", false),
        ("100.5", false),
        ("abc", false),
        ("0", true),
        ("100", true),
        ("99.9999", true),
        ("80.5", true),
    ] {
        let status = send(
            post.clone(),
            format!("/site/company/{company}"),
            Some(json!({"name": "S", "occupancyPercent": value})),
        )
        .await;
        assert_eq!(status < 300, ok, "occupancyPercent {value:?}: {status}");
    }
    for (value, ok) in [
        ("", false),
        ("-", false),
        ("-5", false),
        ("1.5", false),
        ("2", false),
        ("0", true),
        ("1.0", true),
        ("0.85", true),
        (".5", true),
    ] {
        let status = send(
            patch.clone(),
            format!("/company/{company}"),
            Some(json!({"impliedMeteringFraction": value})),
        )
        .await;
        assert_eq!(
            status < 300,
            ok,
            "impliedMeteringFraction {value:?}: {status}"
        );
    }
    for (page, expected) in [("0", 400), ("-1", 400), ("1", 200), ("99", 200)] {
        for list in ["connection", "document", "usage"] {
            let status = send(
                reqwest::Method::GET,
                format!("/{list}/company/{company}?page={page}"),
                None,
            )
            .await;
            assert_eq!(status, expected, "{list} page={page}");
        }
    }
}

/// The statuses a connection's accounts show: the connection-status guide's
/// `WORKFLOW_NOT_ACCESSIBLE` ("the parent connection has an issue, e.g. password incorrect") and
/// `COMPANY_INACTIVE` (a deactivated company's connections and accounts), entered and left as
/// the connection and company change. The connection is made at the provider's login page on
/// `www.`: Nectar matches a provider by the root of its URL.
#[tokio::test]
async fn accounts_follow_their_connection_and_company() {
    use nectar_api::types::AccountStatus;

    let sandbox = quick_sandbox().await;
    let client = sandbox.client();
    let (company, sites) = company_with_sites(&client, 1).await;
    let mut body = serde_json::to_value(sandbox_body(&sites, SANDBOX_PASSWORD)).unwrap();
    body["url"] = "https://www.nectarclimate.com/login".into();
    let body: ConnectionCreate = serde_json::from_value(body).unwrap();
    let id = client
        .create_connection()
        .company_id(company)
        .body(body)
        .send()
        .await
        .expect("created")
        .id;
    let connected = settle(&client, id).await;
    assert_eq!(
        connected.status,
        Some(ConnectionStatus::Connected),
        "the sandbox provider is found by the root of its login URL"
    );
    let own: Vec<_> = connected
        .accounts
        .iter()
        .map(|a| a.status.clone())
        .collect();
    assert!(!own.is_empty());
    assert!(
        own.iter()
            .all(|s| *s != Some(AccountStatus::WorkflowNotAccessible))
    );
    let statuses = |connection: &Connection| {
        connection
            .accounts
            .iter()
            .map(|a| a.status.clone())
            .collect::<Vec<_>>()
    };
    let read = || async {
        client
            .get_connection()
            .connection_id(id)
            .send()
            .await
            .expect("get")
            .into_inner()
    };

    // A credential error: the accounts cannot be reached through it.
    assert!(sandbox.set_connection_status(id, ConnectionStatus::PasswordIncorrect));
    let broken = read().await;
    assert!(
        statuses(&broken)
            .iter()
            .all(|s| *s == Some(AccountStatus::WorkflowNotAccessible)),
        "{:?}",
        statuses(&broken)
    );
    // A provider error is not the connection's credentials: the accounts keep their status.
    assert!(sandbox.set_connection_status(id, ConnectionStatus::WebsiteDown));
    assert_eq!(statuses(&read().await), own);
    assert!(sandbox.set_connection_status(id, ConnectionStatus::Connected));
    assert_eq!(
        statuses(&read().await),
        own,
        "fixed: the accounts' own statuses"
    );

    // A deactivated company: every connection and account shows COMPANY_INACTIVE.
    assert!(sandbox.set_company_active(company, false));
    let inactive = read().await;
    assert_eq!(inactive.status, Some(ConnectionStatus::CompanyInactive));
    assert!(
        statuses(&inactive)
            .iter()
            .all(|s| *s == Some(AccountStatus::CompanyInactive)),
        "{:?}",
        statuses(&inactive)
    );
    let listed = client
        .list_company_connections()
        .company_id(company)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed
            .connections
            .iter()
            .all(|c| c.status == Some(ConnectionStatus::CompanyInactive))
    );
    assert!(sandbox.set_company_active(company, true));
    let back = read().await;
    assert_eq!(back.status, Some(ConnectionStatus::Connected));
    assert_eq!(statuses(&back), own);
}
