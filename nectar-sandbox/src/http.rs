//! The emulator's HTTP surface: every operation of the spec, under `/v2.2`. This file is the
//! route table and the answer helpers; [`extract`] authenticates and reads ids and bodies,
//! [`handlers`] serves each operation through the store. The fault middleware is
//! `crate::faults::inject`, the query parsing `crate::store::query`.

mod extract;
mod handlers;

use std::sync::{Arc, MutexGuard};

use axum::{
    Router,
    http::{StatusCode, header},
    middleware::{self},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{
    Shared,
    store::{Failure, MAX_UPLOAD, Store},
};

use handlers::*;

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
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            crate::faults::inject::faults,
        ))
        .with_state(shared)
}

pub(crate) type Answer = Result<Response, Failure>;

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_response(self.status, &json!({ "detail": self.detail }))
    }
}

pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

pub(crate) fn ok(body: Value) -> Answer {
    Ok(json_response(200, &body))
}

pub(crate) fn created(body: Value) -> Answer {
    Ok(json_response(201, &body))
}

pub(crate) fn store(shared: &Shared) -> MutexGuard<'_, Store> {
    shared.lock()
}

/// A page answer (already JSON bytes).
pub(crate) fn json_bytes(page: Vec<u8>) -> Answer {
    Ok(([(header::CONTENT_TYPE, "application/json")], page).into_response())
}
