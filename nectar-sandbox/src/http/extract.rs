//! Extractors: the authenticated user (`X-API-Key`), ids from the path, and JSON bodies
//! validated against the spec.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, MatchedPath, Path, Request},
    http::request::Parts,
};
use serde_json::Value;
use uuid::Uuid;

use super::{PREFIX, store};
use crate::store::query::uuid_param;
use crate::{Shared, store::Failure};

/// The authenticated user, from `X-API-Key` (header names are case-insensitive).
pub(crate) struct User(pub(crate) String);

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

/// The one id in the path (`company_id`, `site_id`, `connection_id`), parsed; a malformed one is
/// a 400 that names the parameter.
pub(crate) struct ObjectId(pub(crate) Uuid);

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
pub(crate) struct TextId(pub(crate) String);

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
pub(crate) struct Body(pub(crate) Value);

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
