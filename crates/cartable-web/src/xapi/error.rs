//! The LRS's errors, each with the status the xAPI specification names for
//! it. They are sent as JSON like the rest of the API; 500 is kept for
//! faults of the server itself, never for what a client sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartable_core::xapi::Invalid;

#[derive(Debug)]
pub enum XapiError {
    /// 400: the request or the statement breaks a rule of the spec.
    Bad(String),
    /// 401: no credentials, or wrong ones.
    Unauthorized(String),
    /// 403: credentials without the right (scope, or another learner).
    Forbidden(String),
    NotFound(String),
    /// 409: a statement id stored with other content, or a document
    /// written without a concurrency header.
    Conflict(String),
    /// 412: If-Match / If-None-Match did not hold.
    PreconditionFailed(String),
    /// 413: a body over the limit.
    TooLarge(String),
    Internal(String),
}

impl From<Invalid> for XapiError {
    fn from(e: Invalid) -> Self {
        XapiError::Bad(e.to_string())
    }
}

impl From<cartable_store::StoreError> for XapiError {
    fn from(e: cartable_store::StoreError) -> Self {
        XapiError::Internal(e.to_string())
    }
}

impl IntoResponse for XapiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            XapiError::Bad(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            XapiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
            XapiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            XapiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            XapiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            XapiError::PreconditionFailed(m) => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed", m)
            }
            XapiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m),
            XapiError::Internal(cause) => {
                tracing::error!(%cause, "internal error in the LRS");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".to_owned(),
                )
            }
        };
        let mut response = (
            status,
            Json(serde_json::json!({"error": {"code": code, "message": message}})),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"cartable LRS\""),
            );
        }
        response
    }
}

pub type XResult<T> = Result<T, XapiError>;
