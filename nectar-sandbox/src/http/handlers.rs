//! One handler per operation (and the end user's side of an invitation link): each reads its
//! extractors, asks the store, and answers.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, Request, State},
    http::StatusCode,
    response::IntoResponse,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    Shared,
    store::{Failure, MAX_UPLOAD},
};

use super::{extract::*, *};
use crate::store::query::*;

pub(crate) async fn not_found() -> Failure {
    Failure {
        status: 404,
        detail: "Not found.".to_owned(),
    }
}

/// A method the matched route does not serve. When the path also fits another documented
/// operation with that method whose id would be malformed (`PATCH /connection/company/status`
/// fits `PATCH /connection/{connection_id}/status` with `connection_id` "company"), the answer
/// is that operation's documented 400; otherwise 405.
pub(crate) async fn method_not_allowed(
    State(shared): State<Arc<Shared>>,
    request: Request,
) -> Failure {
    let method = request.method().as_str();
    let path = request.uri().path();
    let path = path.strip_prefix(PREFIX).unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    for operation in shared.spec.operations() {
        if operation.method != method {
            continue;
        }
        let template: Vec<&str> = operation.path.split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut malformed = None;
        let fits = template.iter().zip(&segments).all(|(t, s)| {
            match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                Some(name) => {
                    if malformed.is_none() && s.parse::<Uuid>().is_err() {
                        malformed = Some((name.to_owned(), (*s).to_owned()));
                    }
                    true
                }
                None => t == s,
            }
        });
        if let (true, Some((name, value))) = (fits, malformed) {
            return uuid_param(&name, &value)
                .err()
                .unwrap_or_else(|| Failure::bad_request("malformed id"));
        }
    }
    Failure {
        status: 405,
        detail: "Method not allowed.".to_owned(),
    }
}

pub(crate) async fn ping(_user: User) -> Answer {
    ok(json!({ "version": "v2.2", "emulator": "nectar-sandbox" }))
}

pub(crate) async fn list_companies(State(shared): State<Arc<Shared>>, User(user): User) -> Answer {
    ok(store(&shared).list_companies(&user))
}

pub(crate) async fn create_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_company(&user, &body)?)
}

pub(crate) async fn get_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_company(&user, id)?)
}

pub(crate) async fn update_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_company(&user, id, &body)?)
}

pub(crate) async fn delete_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    store(&shared).delete_company(&user, id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn create_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_site(&user, company_id, &body)?)
}

pub(crate) async fn get_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_site(&user, id)?)
}

pub(crate) async fn update_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_site(&user, id, &body)?)
}

pub(crate) async fn list_connections(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    RawQuery(query): RawQuery,
) -> Answer {
    let (filter, page, limit) = list_query(query.as_deref())?;
    json_bytes(store(&shared).list_connections(&user, company_id, &filter, page, limit)?)
}

pub(crate) async fn create_connection(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    let (id, connection, outcome) = store(&shared).create_connection(&user, company_id, &body)?;
    shared.schedule_validation(id, outcome);
    created(connection)
}

/// `GET /connection/{id}/details`, and the deprecated magic link `GET /connection/{id}`, which
/// answers the same connection with its secret.
pub(crate) async fn get_connection(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_connection(&user, id)?)
}

pub(crate) async fn update_connection(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_connection(&user, id, &body)?)
}

pub(crate) async fn confirm_accounts(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).confirm_accounts(&user, id, &body)?)
}

pub(crate) async fn company_magic_link(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
) -> Answer {
    ok(store(&shared).company_magic_link(&user, company_id)?)
}

pub(crate) async fn update_account(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_account(&user, &id, &body)?)
}

pub(crate) async fn get_meter(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_meter(&user, id)?)
}

/// A list handler: the path's object, the parsed query, and the store's list operation.
macro_rules! data_list {
    ($name:ident, $documents:expr, $list:ident) => {
        pub(crate) async fn $name(
            State(shared): State<Arc<Shared>>,
            User(user): User,
            ObjectId(id): ObjectId,
            RawQuery(query): RawQuery,
        ) -> Answer {
            let (filter, page) = data_query(query.as_deref(), $documents)?;
            json_bytes(store(&shared).$list(&user, id, &filter, page)?)
        }
    };
}

data_list!(list_company_documents, true, list_company_documents);
data_list!(list_site_documents, true, list_site_documents);
data_list!(list_connection_documents, true, list_connection_documents);
data_list!(list_company_usage, false, list_company_usage);
data_list!(list_site_usage, false, list_site_usage);
data_list!(list_connection_usage, false, list_connection_usage);
data_list!(list_document_usage, false, list_document_usage);

pub(crate) async fn get_document(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_document(&user, id)?)
}

pub(crate) async fn get_usage_data(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
) -> Answer {
    ok(store(&shared).get_usage_data(&user, &id)?)
}

pub(crate) async fn create_connection_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_connection_invitation(&user, company_id, &body)?)
}

pub(crate) async fn create_reconnect_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(connection_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_reconnect_invitation(&user, connection_id, &body)?)
}

pub(crate) async fn list_invitations(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
) -> Answer {
    ok(store(&shared).list_invitations(&user, company_id)?)
}

pub(crate) async fn get_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_invitation(&user, id)?)
}

pub(crate) async fn revoke_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).revoke_invitation(&user, id)?)
}

/// `GET /p/i/{token}`: what the end user's form shows.
pub(crate) async fn open_invitation(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
) -> Answer {
    ok(store(&shared).open_invitation(&token)?)
}

/// `POST /p/i/{token}`: the end user submits the form (JSON: `email`, `url`, `username`,
/// `password`, and for a new connection `initialSites`, `country` when not pre-filled).
pub(crate) async fn use_invitation(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Answer {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| Failure::bad_request(format!("JSON parse error - {e}")))?;
    let used = store(&shared).use_invitation(&token, &body)?;
    let connection = match &used {
        crate::store::InvitationUse::Created(id, _)
        | crate::store::InvitationUse::Reconnected(id, _, _) => *id,
    };
    shared.follow_invitation(used);
    ok(json!({ "connectionId": connection }))
}

pub(crate) async fn create_bulk_job(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    let (id, job) = store(&shared).create_bulk_job(&user, company_id, &body)?;
    shared.schedule_job(id);
    created(job)
}

/// `POST /job/company/{company_id}`: one file as `multipart/form-data` (`document`, optional
/// `siteId`).
pub(crate) async fn upload_document(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Answer {
    // Access first (403/404), then the form (400).
    store(&shared).check_company(&user, company_id)?;
    let mut form = form.map_err(|e| {
        Failure::bad_request(format!(
            "the body must be multipart/form-data: {}",
            e.body_text()
        ))
    })?;
    let (mut document, mut site) = (None, None);
    let too_large = || {
        Failure::bad_request(format!(
            "document: the file is larger than 25 MB ({MAX_UPLOAD} bytes)."
        ))
    };
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Failure::bad_request(format!("multipart body: {}", e.body_text())))?
    {
        match field.name() {
            Some("document") => {
                let name = field.file_name().unwrap_or("document").to_owned();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                document = Some((name, bytes));
            }
            Some("siteId") => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| Failure::bad_request(format!("siteId: {}", e.body_text())))?;
                site = Some(uuid_param("siteId", &text)?);
            }
            _ => {}
        }
    }
    let (name, document) =
        document.ok_or_else(|| Failure::bad_request("document: this field is required."))?;
    let (id, job) = store(&shared).upload_document(&user, company_id, &name, &document, site)?;
    shared.schedule_job(id);
    created(job)
}

pub(crate) async fn get_job(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
) -> Answer {
    ok(store(&shared).get_job(&user, &id)?)
}
