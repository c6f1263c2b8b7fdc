//! Invitations end to end, through the typed client against the emulator, with a test playing
//! the end user at the link (`GET`/`POST /p/i/{token}`): every state and transition (ACTIVE,
//! FULFILLED at `maxUses`, EXPIRED after `expiresInSeconds`, REVOKED), allowed e-mails, the audit
//! log, a contributor invitation creating a connection, and a reconnect invitation fixing one.

use std::{num::NonZeroU32, time::Duration};

use futures_util::TryStreamExt;
use nectar_api::{
    Client, ErrorKind, Paginate,
    types::{
        ConnectionInvitationCreate, ConnectionStatus, Country, DatasourceType, Invitation,
        InvitationPrefill, InvitationStatus, InvitationType, ReconnectInvitationCreate,
    },
};
use nectar_sandbox::{SANDBOX_PASSWORD, SANDBOX_URL, SANDBOX_USERNAME, Sandbox, flows};
use serde_json::{Value, json};
use uuid::Uuid;

async fn sandbox() -> (Sandbox, Client) {
    let sandbox = Sandbox::builder()
        .validation_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = sandbox.client();
    (sandbox, client)
}

/// The end user opens the link: what the form shows.
async fn open(invitation: &Invitation) -> (u16, Value) {
    let response = reqwest::get(invitation.invitation_url.expose_secret())
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The end user submits the form.
async fn submit(invitation: &Invitation, form: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(invitation.invitation_url.expose_secret())
        .json(&form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn sandbox_credentials(email: &str) -> Value {
    json!({"email": email, "url": SANDBOX_URL, "username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD})
}

fn events(invitation: &Invitation) -> Vec<&str> {
    invitation
        .events
        .iter()
        .map(|e| e.event_type.as_str())
        .collect()
}

#[tokio::test]
async fn a_contributor_invitation_creates_a_connection_and_is_fulfilled_at_max_uses() {
    let (sandbox, client) = sandbox().await;
    let (company, sites) = flows::company_with_sites(&client, "Invited Co", 1)
        .await
        .unwrap();
    let body = ConnectionInvitationCreate::builder()
        .allowed_emails(vec!["user@example.com".try_into().unwrap()])
        .expires_in_seconds(Some(3600))
        .max_uses(NonZeroU32::new(1))
        .prefill(Some(
            InvitationPrefill::builder()
                .url(Some(SANDBOX_URL.to_owned()))
                .initial_sites(sites.clone())
                .utility_types(vec![DatasourceType::Electricity])
                .country(Some(Country::Us))
                .try_into()
                .unwrap(),
        ));
    let invitation = client
        .create_connection_invitation()
        .company_id(company)
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(invitation.invitation_type, InvitationType::CreateConnection);
    assert_eq!(invitation.status, InvitationStatus::Active);
    assert_eq!(invitation.connection_id, None);
    assert_eq!(invitation.use_count, 0);
    let shown = format!("{invitation:?}");
    assert!(
        !shown.contains(invitation.token.expose_secret()),
        "the token is a credential: {shown}"
    );

    // The end user opens the link; an address that is not allowed is refused.
    let (status, form) = open(&invitation).await;
    assert_eq!(status, 200);
    assert_eq!(form["emailRequired"], true);
    assert_eq!(form["prefill"]["url"], SANDBOX_URL);
    let (status, _) = submit(&invitation, sandbox_credentials("intruder@example.com")).await;
    assert_eq!(status, 403);
    // The allowed address, the sandbox credentials, the pre-filled sites and country.
    let (status, answer) = submit(&invitation, sandbox_credentials("USER@example.com")).await;
    assert_eq!(status, 200, "{answer}");
    let connection: Uuid = answer["connectionId"].as_str().unwrap().parse().unwrap();
    let connected = client
        .wait_for_connection(connection)
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(connected.status, Some(ConnectionStatus::Connected));
    assert_eq!(connected.initial_sites, sites);

    let detail = client
        .get_invitation()
        .invitation_id(invitation.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        detail.status,
        InvitationStatus::Fulfilled,
        "maxUses 1 is used up"
    );
    assert_eq!(detail.use_count, 1);
    assert_eq!(detail.created_connections.len(), 1);
    assert_eq!(detail.created_connections[0].id, connection);
    assert_eq!(events(&detail), ["VIEWED", "EMAIL_VERIFIED", "USED"]);
    assert_eq!(detail.events[1].email.as_deref(), Some("USER@example.com"));
    // Used up: the link no longer works.
    let (status, answer) = submit(&invitation, sandbox_credentials("user@example.com")).await;
    assert_eq!(status, 403);
    assert!(
        answer["detail"].as_str().unwrap().contains("FULFILLED"),
        "{answer}"
    );
    drop(sandbox);
}

#[tokio::test]
async fn invitations_expire_and_can_be_revoked() {
    let (sandbox, client) = sandbox().await;
    let (company, _) = flows::company_with_sites(&client, "Expiring Co", 1)
        .await
        .unwrap();
    let create = |seconds: Option<u32>| {
        client
            .create_connection_invitation()
            .company_id(company)
            .body(ConnectionInvitationCreate::builder().expires_in_seconds(seconds))
            .send()
    };
    let expiring = create(Some(60)).await.unwrap().into_inner();
    let forever = create(None).await.unwrap().into_inner();
    assert!(expiring.expires_at.is_some() && forever.expires_at.is_none());
    assert_eq!(forever.max_uses, None, "unlimited");

    sandbox.advance_clock(Duration::from_secs(59));
    assert_eq!(open(&expiring).await.0, 200, "not yet");
    sandbox.advance_clock(Duration::from_secs(2));
    let (status, answer) = open(&expiring).await;
    assert_eq!(status, 403);
    assert!(answer["detail"].as_str().unwrap().contains("EXPIRED"));
    let get = |id: Uuid| client.get_invitation().invitation_id(id).send();
    assert_eq!(
        get(expiring.id).await.unwrap().status,
        InvitationStatus::Expired
    );

    // Revoking: REVOKED at once, logged once, harmless twice; the link stops working.
    let revoked = client
        .revoke_invitation()
        .invitation_id(forever.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    let again = client
        .revoke_invitation()
        .invitation_id(forever.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(events(&again), ["REVOKED"]);
    assert_eq!(open(&forever).await.0, 403);

    // The list: newest first, without audit logs.
    let listed = client
        .list_invitations()
        .company_id(company)
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<Uuid> = listed.iter().map(|i| i.id).collect();
    assert_eq!(ids, [forever.id, expiring.id]);
    assert!(listed.iter().all(|i| i.events.is_empty()));
}

#[tokio::test]
async fn a_reconnect_invitation_fixes_a_connection_with_a_credential_error() {
    let (sandbox, client) = sandbox().await;
    let (company, _, connection) = flows::sandbox_connection(&client, 1, SANDBOX_PASSWORD)
        .await
        .unwrap();
    client
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(50))
        .await
        .unwrap();
    let documents = || {
        client
            .list_company_documents()
            .company_id(company)
            .items()
            .try_collect::<Vec<_>>()
    };
    let before = documents().await.unwrap().len();
    assert!(sandbox.set_connection_status(connection.id, ConnectionStatus::PasswordIncorrect));

    let invitation = client
        .create_reconnect_invitation()
        .connection_id(connection.id)
        .body(
            ReconnectInvitationCreate::builder()
                .max_uses(NonZeroU32::new(1))
                .expires_in_seconds(Some(3600)),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(invitation.invitation_type, InvitationType::EditConnection);
    assert_eq!(invitation.connection_id, Some(connection.id));
    assert!(invitation.created_connections.is_empty());
    let (status, form) = open(&invitation).await;
    assert_eq!((status, form["emailRequired"].clone()), (200, json!(false)));
    let (status, answer) = submit(
        &invitation,
        json!({"username": SANDBOX_USERNAME, "password": SANDBOX_PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let fixed = client
        .wait_for_connection(connection.id)
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(fixed.status, Some(ConnectionStatus::Connected));
    assert_eq!(
        documents().await.unwrap().len(),
        before,
        "a reconnected connection keeps its data; nothing is duplicated"
    );
    let detail = client
        .get_invitation()
        .invitation_id(invitation.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(detail.status, InvitationStatus::Fulfilled);
    assert_eq!(events(&detail), ["VIEWED", "USED"]);
}

#[tokio::test]
async fn body_rules_and_access_are_enforced() {
    let (_sandbox, client) = sandbox().await;
    let (company, _) = flows::company_with_sites(&client, "Rules Co", 1)
        .await
        .unwrap();
    // maxUses is a NonZeroU32: 0 cannot be expressed (NonZeroU32::new(0) is None: unlimited).
    let error = client
        .create_connection_invitation()
        .company_id(company)
        .body_map(|b| b.max_uses(NonZeroU32::new(0)).expires_in_seconds(Some(120)))
        .send()
        .await;
    assert!(error.is_ok(), "None is unlimited: {error:?}");
    // expiresInSeconds under 60: Nectar (the emulator) answers 400 naming the field.
    let error = client
        .create_connection_invitation()
        .company_id(company)
        .body_map(|b| b.expires_in_seconds(Some(59)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error}");
    assert!(error.to_string().contains("expiresInSeconds"), "{error}");
    // A pre-filled site of another company is refused.
    let error = client
        .create_connection_invitation()
        .company_id(company)
        .body(
            ConnectionInvitationCreate::builder().prefill(Some(
                InvitationPrefill::builder()
                    .initial_sites(vec![Uuid::new_v4()])
                    .try_into()
                    .unwrap(),
            )),
        )
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("initialSites"), "{error}");
    let error = client
        .get_invitation()
        .invitation_id(Uuid::new_v4())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.kind(), ErrorKind::Api);
}
