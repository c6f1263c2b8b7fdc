//! The emulator's HTTP surface: every operation of the spec, under `/v2.2`.

use std::{
    sync::{Arc, MutexGuard, atomic::Ordering},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, MatchedPath, Path, RawQuery, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::NaiveDate;
use nectar_api::types::{ConnectionStatus, DatasourceType, DateType};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    RequestRecord, Shared,
    faults::{Fault, RetryAfter},
    store::{ConnectionFilter, DataFilter, Failure, MAX_UPLOAD, Store, normalize_identifier},
};

/// Marker put on each request by the server loop: notifying it closes the connection.
#[derive(Clone)]
pub(crate) struct DropConnection(pub(crate) Arc<tokio::sync::Notify>);

/// The API's path prefix, part of the base URL.
pub(crate) const PREFIX: &str = "/v2.2";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/ping", get(ping))
        .route("/company", get(list_companies).post(create_company))
        .route(
            "/company/{company_id}",
            get(get_company)
                .patch(update_company)
                .delete(delete_company),
        )
        .route(
            "/site/company/{company_id}",
            axum::routing::post(create_site),
        )
        .route("/site/{site_id}", get(get_site).patch(update_site))
        .route(
            "/connection/company/{company_id}",
            get(list_connections).post(create_connection),
        )
        .route(
            "/connection/company/{company_id}/link",
            get(company_magic_link),
        )
        .route(
            "/connection/{connection_id}/details",
            get(get_connection).patch(update_connection),
        )
        .route(
            "/connection/{connection_id}/status",
            axum::routing::patch(confirm_accounts),
        )
        .route("/connection/{connection_id}", get(get_connection))
        .route(
            "/account/{account_id}",
            axum::routing::patch(update_account),
        )
        .route("/meter/{meter_id}", get(get_meter))
        .route(
            "/document/company/{company_id}",
            get(list_company_documents),
        )
        .route("/document/site/{site_id}", get(list_site_documents))
        .route(
            "/document/connection/{connection_id}",
            get(list_connection_documents),
        )
        .route("/document/{document_id}", get(get_document))
        .route("/usage/company/{company_id}", get(list_company_usage))
        .route("/usage/site/{site_id}", get(list_site_usage))
        .route(
            "/usage/connection/{connection_id}",
            get(list_connection_usage),
        )
        .route("/usage/document/{document_id}", get(list_document_usage))
        .route("/usage/{usage_data_id}", get(get_usage_data))
        .route(
            "/invitation/company/{company_id}",
            get(list_invitations).post(create_connection_invitation),
        )
        .route(
            "/invitation/connection/{connection_id}",
            axum::routing::post(create_reconnect_invitation),
        )
        .route("/invitation/{invitation_id}", get(get_invitation))
        .route(
            "/invitation/{invitation_id}/revoke",
            axum::routing::post(revoke_invitation),
        )
        .route(
            "/job/company/{company_id}",
            axum::routing::post(upload_document)
                // Room for a 25 MB file and the form around it; the handler answers 400 past 25 MB.
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD + (1 << 20))),
        )
        .route(
            "/job/company/{company_id}/bulk",
            axum::routing::post(create_bulk_job),
        )
        .route("/job/{job_id}", get(get_job))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // The end user's side of an invitation link (Nectar serves it as a web page on its
    // dashboard): no API key, the token is the credential.
    let links = Router::new().route("/p/i/{token}", get(open_invitation).post(use_invitation));
    Router::new()
        .nest(PREFIX, api)
        .merge(links)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), faults))
        .with_state(shared)
}

type Answer = Result<Response, Failure>;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_response(self.status, &json!({ "detail": self.detail }))
    }
}

fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

fn ok(body: Value) -> Answer {
    Ok(json_response(200, &body))
}

fn created(body: Value) -> Answer {
    Ok(json_response(201, &body))
}

fn store(shared: &Shared) -> MutexGuard<'_, Store> {
    // A panic while holding the lock poisons it; the emulator's state is still usable.
    shared
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---- faults and the request log -------------------------------------------------------------

async fn faults(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    // Counted while handled; a request over the throttling limit is answered 429 at once.
    struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _counted = InFlight(&shared.in_flight);
    let throttled = shared
        .faults
        .throttling()
        .filter(|(max, _)| in_flight > *max)
        .map(|(_, seconds)| Fault::TooManyRequests(Some(RetryAfter::Seconds(seconds))));
    let is_throttled = throttled.is_some();
    let fault = throttled.or_else(|| shared.faults.decide(n));
    let record = |status: Option<u16>| RequestRecord {
        n,
        method: method.clone(),
        path: path.clone(),
        fault: fault.clone(),
        status,
    };
    let latency = shared.faults.added_latency();
    // A throttled request is refused at once, as a rate limiter in front of the API would.
    if !latency.is_zero() && !is_throttled {
        tokio::time::sleep(latency).await;
    }
    let response = match &fault {
        None => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(*delay).await;
            next.run(request).await
        }
        Some(Fault::TooManyRequests(retry_after)) => {
            let seconds = match retry_after {
                Some(RetryAfter::Seconds(s)) => *s,
                Some(RetryAfter::Date(d)) => d.as_secs(),
                None => 1,
            };
            let mut response = json_response(
                429,
                &json!({ "detail": format!("Request was throttled. Expected available in {seconds} seconds.") }),
            );
            let value = match retry_after {
                Some(RetryAfter::Seconds(s)) => Some(s.to_string()),
                Some(RetryAfter::Date(d)) => Some(http_date(shared.clock.now(), *d)),
                None => None,
            };
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Some(Fault::BadGateway) => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        Some(Fault::ServiceUnavailable) => json_response(
            503,
            &json!({ "detail": "Service temporarily unavailable, try again later." }),
        ),
        Some(Fault::Drop) => {
            shared.log(record(None));
            if let Some(DropConnection(notify)) = request.extensions().get::<DropConnection>() {
                notify.notify_one();
            }
            // The server loop drops the connection; this answer is never sent.
            std::future::pending::<()>().await;
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    shared.log(record(Some(response.status().as_u16())));
    response
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) this far from `now` (the emulator's clock).
fn http_date(now: chrono::DateTime<chrono::Utc>, from_now: Duration) -> String {
    let when = chrono::Duration::from_std(from_now)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(now);
    when.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

// ---- extraction ------------------------------------------------------------------------------

/// The authenticated user, from `X-API-Key` (header names are case-insensitive).
struct User(String);

impl FromRequestParts<Arc<Shared>> for User {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Failure> {
        let Some(key) = parts.headers.get("x-api-key") else {
            return Err(Failure {
                status: 401,
                detail: "Authentication credentials were not provided.".to_owned(),
            });
        };
        let user = key
            .to_str()
            .ok()
            .and_then(|key| store(shared).user(key).map(str::to_owned));
        user.map(User).ok_or_else(|| Failure {
            status: 401,
            detail: "Invalid API key.".to_owned(),
        })
    }
}

fn uuid_param(name: &str, value: &str) -> Result<Uuid, Failure> {
    value
        .parse()
        .map_err(|_| Failure::bad_request(format!("{name}: {value:?} is not a valid UUID.")))
}

/// The one id in the path (`company_id`, `site_id`, `connection_id`), parsed; a malformed one is
/// a 400 that names the parameter.
struct ObjectId(Uuid);

impl FromRequestParts<Arc<Shared>> for ObjectId {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Failure> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, shared)
            .await
            .map_err(|e| Failure::bad_request(e.body_text()))?;
        match params.as_slice() {
            [(name, value)] => uuid_param(name, value).map(ObjectId),
            _ => Err(Failure::bad_request("expected one id in the path")),
        }
    }
}

/// The one id in the path when the spec types it as a plain string (`account_id`,
/// `usage_data_id`).
struct TextId(String);

impl FromRequestParts<Arc<Shared>> for TextId {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Failure> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, shared)
            .await
            .map_err(|e| Failure::bad_request(e.body_text()))?;
        match params.as_slice() {
            [(_, value)] => Ok(TextId(value.clone())),
            _ => Err(Failure::bad_request("expected one id in the path")),
        }
    }
}

/// A JSON body, checked against the request schema that the spec gives the operation of the
/// matched route, so validation follows the spec without naming schemas here.
struct Body(Value);

impl FromRequest<Arc<Shared>> for Body {
    type Rejection = Failure;

    async fn from_request(request: Request, shared: &Arc<Shared>) -> Result<Self, Failure> {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().trim_start_matches(PREFIX).to_owned())
            .unwrap_or_default();
        let method = request.method().to_string();
        let schema = shared
            .spec
            .operations()
            .iter()
            .find(|op| op.path == route && op.method == method)
            .and_then(|op| op.request_body.clone())
            .ok_or_else(|| Failure::bad_request(format!("{method} {route} takes no body")))?;
        let bytes = Bytes::from_request(request, shared)
            .await
            .map_err(|e| Failure::bad_request(e.body_text()))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::bad_request(format!("JSON parse error - {e}")))?;
        shared
            .spec
            .check_component(&schema, &value)
            .map_err(|mismatch| Failure::bad_request(mismatch.to_string()))?;
        Ok(Body(value))
    }
}

/// The list query: filters, `page` and `limit`, validated as the spec states them.
fn list_query(query: Option<&str>) -> Result<(ConnectionFilter, i64, usize), Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Failure::bad_request(format!("query string: {e}")))?;
    let mut filter = ConnectionFilter::default();
    let (mut page, mut limit) = (1_i64, 100_usize);
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = page_param(&value)?,
            "limit" => {
                let parsed: i64 = value.parse().map_err(|_| {
                    Failure::bad_request(format!("limit: {value:?} is not an integer."))
                })?;
                if !(1..=500).contains(&parsed) {
                    return Err(Failure::bad_request(format!(
                        "limit: {parsed} is out of range; it must be between 1 and 500."
                    )));
                }
                limit = parsed as usize;
            }
            "status" => {
                let status = ConnectionStatus::from(value.as_str());
                let valid = ConnectionStatus::KNOWN.iter().map(|s| s.as_str());
                filter.status = Some(choice(
                    "status",
                    &value,
                    status.is_unknown(),
                    valid,
                    status,
                )?);
            }
            "sites" => filter.sites.push(uuid_param("sites", &value)?),
            "connectionOwnerEmail" => {
                let valid = value.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty() && domain.contains('.') && !domain.ends_with('.')
                });
                if !valid {
                    return Err(Failure::bad_request(format!(
                        "connectionOwnerEmail: {value:?} is not a valid e-mail address."
                    )));
                }
                filter.owner_email = Some(value);
            }
            // Like the real API, parameters it does not know are ignored.
            _ => {}
        }
    }
    Ok((filter, page, limit))
}

/// `page`: an integer from 1 to `u32::MAX`, as the spec bounds it (a page past the end of the
/// list is not an error: the last page answers).
fn page_param(value: &str) -> Result<i64, Failure> {
    let page: i64 = value
        .parse()
        .map_err(|_| Failure::bad_request(format!("page: {value:?} is not an integer.")))?;
    if !(1..=i64::from(u32::MAX)).contains(&page) {
        return Err(Failure::bad_request(format!(
            "page: {page} is out of range; pages are numbered from 1 to {}.",
            u32::MAX
        )));
    }
    Ok(page)
}

/// `value` of parameter `name` if it is one of `valid` (`unknown` says it is not), else a 400
/// that lists the valid choices.
fn choice<'a, T>(
    name: &str,
    value: &str,
    unknown: bool,
    valid: impl Iterator<Item = &'a str>,
    parsed: T,
) -> Result<T, Failure> {
    if unknown {
        let valid: Vec<&str> = valid.collect();
        return Err(Failure::bad_request(format!(
            "{name}: {value:?} is not a valid choice; valid choices are {}.",
            valid.join(", ")
        )));
    }
    Ok(parsed)
}

/// The document and usage-data query: the shared filters and `page`; `isDeleted` on the
/// document lists only (elsewhere, as any parameter the API does not know, it is ignored).
fn data_query(query: Option<&str>, documents: bool) -> Result<(DataFilter, i64), Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Failure::bad_request(format!("query string: {e}")))?;
    let mut filter = DataFilter::default();
    let mut page = 1_i64;
    let date = |name: &str, value: &str| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .filter(|_| value.len() == 10)
            .ok_or_else(|| {
                Failure::bad_request(format!(
                    "{name}: {value:?} is not a date; use the format YYYY-MM-DD."
                ))
            })
    };
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = page_param(&value)?,
            "datasourceType" => {
                let kind = DatasourceType::from(value.as_str());
                let valid = DatasourceType::KNOWN.iter().map(|s| s.as_str());
                let kind = choice("datasourceType", &value, kind.is_unknown(), valid, kind)?;
                filter.datasource_types.push(kind);
            }
            "dateType" => {
                let kind = DateType::from(value.as_str());
                let valid = DateType::KNOWN.iter().map(|s| s.as_str());
                filter.date_type = choice("dateType", &value, kind.is_unknown(), valid, kind)?;
            }
            "startDate" => filter.start = Some(date("startDate", &value)?),
            "endDate" => filter.end = Some(date("endDate", &value)?),
            "identifier" => {
                if value.is_empty() {
                    return Err(Failure::bad_request(
                        "identifier: this field may not be blank.",
                    ));
                }
                filter.identifier = Some(normalize_identifier(&value));
            }
            "isDeleted" if documents => {
                filter.include_deleted = match value.as_str() {
                    "true" | "True" | "1" => true,
                    "false" | "False" | "0" => false,
                    _ => {
                        return Err(Failure::bad_request(format!(
                            "isDeleted: {value:?} is not a valid boolean."
                        )));
                    }
                };
            }
            // Like the real API, parameters it does not know are ignored.
            _ => {}
        }
    }
    Ok((filter, page))
}

/// A page answer (already JSON bytes).
fn json_bytes(page: Vec<u8>) -> Answer {
    Ok(([(header::CONTENT_TYPE, "application/json")], page).into_response())
}

// ---- handlers ----------------------------------------------------------------------------------

async fn not_found() -> Failure {
    Failure {
        status: 404,
        detail: "Not found.".to_owned(),
    }
}

/// A method the matched route does not serve. When the path also fits another documented
/// operation with that method whose id would be malformed (`PATCH /connection/company/status`
/// fits `PATCH /connection/{connection_id}/status` with `connection_id` "company"), the answer
/// is that operation's documented 400; otherwise 405.
async fn method_not_allowed(State(shared): State<Arc<Shared>>, request: Request) -> Failure {
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

async fn ping(_user: User) -> Answer {
    ok(json!({ "version": "v2.2", "emulator": "nectar-sandbox" }))
}

async fn list_companies(State(shared): State<Arc<Shared>>, User(user): User) -> Answer {
    ok(store(&shared).list_companies(&user))
}

async fn create_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_company(&user, &body)?)
}

async fn get_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_company(&user, id)?)
}

async fn update_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_company(&user, id, &body)?)
}

async fn delete_company(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    store(&shared).delete_company(&user, id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_site(&user, company_id, &body)?)
}

async fn get_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_site(&user, id)?)
}

async fn update_site(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_site(&user, id, &body)?)
}

async fn list_connections(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    RawQuery(query): RawQuery,
) -> Answer {
    let (filter, page, limit) = list_query(query.as_deref())?;
    json_bytes(store(&shared).list_connections(&user, company_id, &filter, page, limit)?)
}

async fn create_connection(
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
async fn get_connection(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_connection(&user, id)?)
}

async fn update_connection(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_connection(&user, id, &body)?)
}

async fn confirm_accounts(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).confirm_accounts(&user, id, &body)?)
}

async fn company_magic_link(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
) -> Answer {
    ok(store(&shared).company_magic_link(&user, company_id)?)
}

async fn update_account(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
    Body(body): Body,
) -> Answer {
    ok(store(&shared).update_account(&user, &id, &body)?)
}

async fn get_meter(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_meter(&user, id)?)
}

/// A list handler: the path's object, the parsed query, and the store's list operation.
macro_rules! data_list {
    ($name:ident, $documents:expr, $list:ident) => {
        async fn $name(
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

async fn get_document(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_document(&user, id)?)
}

async fn get_usage_data(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
) -> Answer {
    ok(store(&shared).get_usage_data(&user, &id)?)
}

async fn create_connection_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_connection_invitation(&user, company_id, &body)?)
}

async fn create_reconnect_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(connection_id): ObjectId,
    Body(body): Body,
) -> Answer {
    created(store(&shared).create_reconnect_invitation(&user, connection_id, &body)?)
}

async fn list_invitations(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(company_id): ObjectId,
) -> Answer {
    ok(store(&shared).list_invitations(&user, company_id)?)
}

async fn get_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).get_invitation(&user, id)?)
}

async fn revoke_invitation(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    ObjectId(id): ObjectId,
) -> Answer {
    ok(store(&shared).revoke_invitation(&user, id)?)
}

/// `GET /p/i/{token}`: what the end user's form shows.
async fn open_invitation(State(shared): State<Arc<Shared>>, Path(token): Path<String>) -> Answer {
    ok(store(&shared).open_invitation(&token)?)
}

/// `POST /p/i/{token}`: the end user submits the form (JSON: `email`, `url`, `username`,
/// `password`, and for a new connection `initialSites`, `country` when not pre-filled).
async fn use_invitation(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Answer {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| Failure::bad_request(format!("JSON parse error - {e}")))?;
    let used = store(&shared).use_invitation(&token, &body)?;
    let connection = match &used {
        super::store::InvitationUse::Created(id, _)
        | super::store::InvitationUse::Reconnected(id, _, _) => *id,
    };
    shared.follow_invitation(used);
    ok(json!({ "connectionId": connection }))
}

async fn create_bulk_job(
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
async fn upload_document(
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
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                document = Some(bytes);
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
    let document =
        document.ok_or_else(|| Failure::bad_request("document: this field is required."))?;
    let (id, job) = store(&shared).upload_document(&user, company_id, &document, site)?;
    shared.schedule_job(id);
    created(job)
}

async fn get_job(
    State(shared): State<Arc<Shared>>,
    User(user): User,
    TextId(id): TextId,
) -> Answer {
    ok(store(&shared).get_job(&user, &id)?)
}
