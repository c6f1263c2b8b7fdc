//! Invitations: contributor (create a connection) and reconnect (fix one) links, with their
//! lifecycle (`ACTIVE`, `EXPIRED` after `expiresInSeconds`, `FULFILLED` at `maxUses`, `REVOKED`),
//! `allowedEmails`, and an audit log; and the end user's side of the link (open it, verify an
//! allowed e-mail, submit credentials), which Nectar serves as a web page and the emulator as
//! `GET`/`POST /p/i/{token}`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use nectar_api::types::ConnectionStatus;

use super::{Failure, Store, Validation};

/// One entry of an invitation's audit log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Event {
    event_type: &'static str,
    created: DateTime<Utc>,
    email: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Invitation {
    id: Uuid,
    token: String,
    /// `CREATE_CONNECTION` or `EDIT_CONNECTION`.
    kind: &'static str,
    company_id: Uuid,
    connection_id: Option<Uuid>,
    allowed_emails: Vec<String>,
    expires_at: Option<DateTime<Utc>>,
    max_uses: Option<u64>,
    use_count: u64,
    created_at: DateTime<Utc>,
    revoked: bool,
    prefill: Value,
    created_connections: Vec<Uuid>,
    events: Vec<Event>,
}

/// What a use of an invitation did, for the emulator to follow up (validation, webhooks).
#[derive(Debug, Clone)]
pub enum InvitationUse {
    /// A connection was created through a contributor invitation.
    Created(Uuid, Validation),
    /// A connection's credentials were replaced through a reconnect invitation; its status
    /// before (it is `PENDING` now).
    Reconnected(Uuid, Validation, ConnectionStatus),
}

impl Invitation {
    fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked {
            "REVOKED"
        } else if self.max_uses.is_some_and(|max| self.use_count >= max) {
            "FULFILLED"
        } else if self.expires_at.is_some_and(|at| now >= at) {
            "EXPIRED"
        } else {
            "ACTIVE"
        }
    }
}

impl Store {
    fn invitation_view(&self, i: &Invitation, with_events: bool) -> Value {
        let created: Vec<Value> = i
            .created_connections
            .iter()
            .filter_map(|id| self.connections.get(id))
            .map(|c| {
                json!({
                    "id": c.id,
                    "datasourceName": super::connection::provider_name(&c.url),
                    "status": c.status,
                    "created": nectar_api::Timestamp::from(c.created),
                })
            })
            .collect();
        let mut view = json!({
            "id": i.id,
            "token": i.token,
            "invitationType": i.kind,
            "status": i.status(self.now()),
            "invitationUrl": format!("{}/p/i/{}", self.public_origin, i.token),
            "companyId": i.company_id,
            "connectionId": i.connection_id,
            "allowedEmails": i.allowed_emails,
            "expiresAt": i.expires_at.map(nectar_api::Timestamp::from),
            "maxUses": i.max_uses,
            "useCount": i.use_count,
            "createdAt": nectar_api::Timestamp::from(i.created_at),
            "prefill": i.prefill,
        });
        if i.kind == "CREATE_CONNECTION" {
            view["createdConnections"] = Value::Array(created);
        }
        if with_events {
            view["events"] = serde_json::to_value(&i.events).unwrap_or(Value::Null);
        }
        view
    }

    fn new_invitation(
        &mut self,
        kind: &'static str,
        company_id: Uuid,
        connection_id: Option<Uuid>,
        body: &Value,
    ) -> Value {
        let now = self.now();
        let invitation = Invitation {
            id: self.ids.uuid(),
            token: self.ids.token(),
            kind,
            company_id,
            connection_id,
            allowed_emails: body
                .get("allowedEmails")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect(),
            // Checked: a bound the schema did not stop must not panic the emulator.
            expires_at: body
                .get("expiresInSeconds")
                .and_then(Value::as_i64)
                .and_then(Duration::try_seconds)
                .and_then(|s| now.checked_add_signed(s)),
            max_uses: body.get("maxUses").and_then(Value::as_u64),
            use_count: 0,
            created_at: now,
            revoked: false,
            prefill: body.get("prefill").cloned().unwrap_or_else(|| json!({})),
            created_connections: Vec::new(),
            events: Vec::new(),
        };
        let view = self.invitation_view(&invitation, true);
        self.invitation_order.push(invitation.id);
        self.invitations.insert(invitation.id, invitation);
        view
    }

    pub fn create_connection_invitation(
        &mut self,
        user: &str,
        company_id: Uuid,
        body: &Value,
    ) -> Result<Value, Failure> {
        self.company(user, company_id)?;
        let sites = body
            .pointer("/prefill/initialSites")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str()?.parse::<Uuid>().ok());
        for site in sites {
            if self
                .sites
                .get(&site)
                .is_none_or(|s| s.company_id != company_id)
            {
                return Err(Failure::bad_request(format!(
                    "prefill.initialSites: site {site} does not belong to this company"
                )));
            }
        }
        Ok(self.new_invitation("CREATE_CONNECTION", company_id, None, body))
    }

    pub fn create_reconnect_invitation(
        &mut self,
        user: &str,
        connection_id: Uuid,
        body: &Value,
    ) -> Result<Value, Failure> {
        let company_id = self.connection(user, connection_id)?.company_id;
        Ok(self.new_invitation("EDIT_CONNECTION", company_id, Some(connection_id), body))
    }

    pub fn list_invitations(&self, user: &str, company_id: Uuid) -> Result<Value, Failure> {
        self.company(user, company_id)?;
        Ok(Value::Array(
            self.invitation_order
                .iter()
                .rev()
                .filter_map(|id| self.invitations.get(id))
                .filter(|i| i.company_id == company_id)
                .map(|i| self.invitation_view(i, false))
                .collect(),
        ))
    }

    fn invitation(&self, user: &str, id: Uuid) -> Result<&Invitation, Failure> {
        let invitation = self
            .invitations
            .get(&id)
            .ok_or_else(|| Failure::not_found("Invitation"))?;
        self.company_for(user, invitation.company_id, "invitation")?;
        Ok(invitation)
    }

    pub fn get_invitation(&self, user: &str, id: Uuid) -> Result<Value, Failure> {
        Ok(self.invitation_view(self.invitation(user, id)?, true))
    }

    pub fn revoke_invitation(&mut self, user: &str, id: Uuid) -> Result<Value, Failure> {
        self.invitation(user, id)?;
        let now = self.now();
        let invitation = self
            .invitations
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Invitation"))?;
        if !invitation.revoked {
            invitation.revoked = true;
            invitation.events.push(Event {
                event_type: "REVOKED",
                created: now,
                email: None,
            });
        }
        let invitation = invitation.clone();
        Ok(self.invitation_view(&invitation, true))
    }

    /// The invitation behind a token, if it is still usable (else 403 naming its state).
    fn usable(&self, token: &str) -> Result<Uuid, Failure> {
        let invitation = self
            .invitations
            .values()
            .find(|i| i.token == token)
            .ok_or_else(|| Failure::not_found("Invitation"))?;
        match invitation.status(self.now()) {
            "ACTIVE" => Ok(invitation.id),
            status => Err(Failure {
                status: 403,
                detail: format!("This invitation can no longer be used ({status})."),
            }),
        }
    }

    /// The end user opens the link: what the form shows. Logged as `VIEWED`.
    pub fn open_invitation(&mut self, token: &str) -> Result<Value, Failure> {
        let id = self.usable(token)?;
        let now = self.now();
        let invitation = self
            .invitations
            .get_mut(&id)
            .ok_or_else(|| Failure::not_found("Invitation"))?;
        invitation.events.push(Event {
            event_type: "VIEWED",
            created: now,
            email: None,
        });
        let invitation = invitation.clone();
        let company = self.companies.get(&invitation.company_id);
        Ok(json!({
            "invitationType": invitation.kind,
            "company": company.map(|c| c.name.clone()),
            "connectionId": invitation.connection_id,
            "prefill": invitation.prefill,
            "emailRequired": !invitation.allowed_emails.is_empty(),
        }))
    }

    /// The end user submits the form: `email` (when the invitation restricts it) and the
    /// portal credentials (`url`, `username`, `password`; for a new connection also
    /// `initialSites` and `country`, else the pre-filled ones). Creates the connection, or
    /// replaces the credentials of the one being fixed; logged as `EMAIL_VERIFIED` and `USED`.
    pub fn use_invitation(&mut self, token: &str, body: &Value) -> Result<InvitationUse, Failure> {
        let id = self.usable(token)?;
        let now = self.now();
        let invitation = self
            .invitations
            .get(&id)
            .cloned()
            .ok_or_else(|| Failure::not_found("Invitation"))?;
        let email = body.get("email").and_then(Value::as_str).map(str::to_owned);
        let mut events = Vec::new();
        if !invitation.allowed_emails.is_empty() {
            let allowed = email.as_deref().is_some_and(|e| {
                invitation
                    .allowed_emails
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(e))
            });
            if !allowed {
                return Err(Failure {
                    status: 403,
                    detail: "This invitation is restricted to other e-mail addresses.".to_owned(),
                });
            }
            events.push(Event {
                event_type: "EMAIL_VERIFIED",
                created: now,
                email: email.clone(),
            });
        }
        let outcome = match invitation.connection_id {
            None => {
                // The form, pre-filled: what the user did not give comes from `prefill`.
                let mut form = invitation.prefill.clone();
                if let (Some(form), Some(given)) = (form.as_object_mut(), body.as_object()) {
                    for (key, value) in given {
                        form.insert(key.clone(), value.clone());
                    }
                }
                if let Some(types) = invitation.prefill.get("utilityTypes") {
                    form["initialDatasourceTypes"] = types.clone();
                }
                if let Some(owner) = invitation.prefill.get("connectionOwnerEmail") {
                    form["workflowOwnerEmail"] = owner.clone();
                }
                let (connection, _, validation) =
                    self.create_connection_in(invitation.company_id, &form)?;
                InvitationUse::Created(connection, validation)
            }
            Some(connection) => {
                let (validation, previous) = self
                    .replace_credentials(connection, body)
                    .ok_or_else(|| Failure::not_found("Connection"))?;
                InvitationUse::Reconnected(connection, validation, previous)
            }
        };
        events.push(Event {
            event_type: "USED",
            created: now,
            email,
        });
        if let Some(invitation) = self.invitations.get_mut(&id) {
            invitation.use_count += 1;
            invitation.events.extend(events);
            if let InvitationUse::Created(connection, _) = &outcome {
                let connection = *connection;
                invitation.created_connections.push(connection);
            }
        }
        Ok(outcome)
    }
}
