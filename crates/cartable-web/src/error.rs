//! The one table of error codes: each error maps here to a stable
//! snake_case code and an HTTP status, and is sent as
//! `{"error": {"code": …, "message": …}}`. Internal faults are logged once
//! and reach the client as a bare "internal error".

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    InvalidParameter(String),
    BadCursor,
    RangeNotSatisfiable(u64),
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ApiError::InvalidParameter(m) => {
                (StatusCode::BAD_REQUEST, "invalid_parameter", m.clone())
            }
            ApiError::BadCursor => (
                StatusCode::BAD_REQUEST,
                "bad_cursor",
                "the cursor is not one this server gave out".into(),
            ),
            ApiError::RangeNotSatisfiable(size) => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the range lies outside the {size} bytes of this file"),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
            ),
        }
    }
}

impl From<cartable_store::StoreError> for ApiError {
    fn from(e: cartable_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let (status, code, message) = self.parts();
        let body = Json(serde_json::json!({"error": {"code": code, "message": message}}));
        let mut response = (status, body).into_response();
        if let ApiError::RangeNotSatisfiable(size) = self
            && let Ok(value) = format!("bytes */{size}").parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::CONTENT_RANGE, value);
        }
        response
    }
}
