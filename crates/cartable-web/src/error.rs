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
    /// A route for signed-in users, asked anonymously.
    SignInRequired,
    /// Signed in, but the role does not allow it.
    Forbidden,
    CsrfFailed,
    BadToken,
    WrongCredentials,
    TooManyAttempts(crate::auth::Limited),
    /// The thing to create exists already.
    Conflict(String),
    /// A well-formed request whose content is refused (with the reason).
    Invalid(String),
    /// A secret in the request (an ingest token) that is not the right one.
    WrongSecret(String),
    /// An upload larger than the route allows.
    TooLarge(String),
    /// An upload that is not of a type the route takes.
    UnsupportedType(String),
    /// A file (CSV) with bad rows; each names its line and column.
    BadRows(Vec<cartable_core::manifest::Problem>),
    Internal(String),
}

impl ApiError {
    /// The message the client is told.
    pub fn message(&self) -> String {
        self.parts().2
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

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
            ApiError::SignInRequired => (
                StatusCode::UNAUTHORIZED,
                "sign_in_required",
                "sign in, or send an API token as \"Authorization: Bearer …\"".into(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role does not allow this".into(),
            ),
            ApiError::CsrfFailed => (
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "this request lacks the CSRF token of your session (X-CSRF-Token header or csrf form field)".into(),
            ),
            ApiError::BadToken => (
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "this API token is not valid: it was revoked, or its user disabled".into(),
            ),
            ApiError::WrongCredentials => (
                StatusCode::UNAUTHORIZED,
                "wrong_credentials",
                "the login or the password is wrong".into(),
            ),
            ApiError::TooManyAttempts(limited) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                match limited {
                    crate::auth::Limited::Account(wait) => format!(
                        "too many failed sign-ins for this account: try again in {} minutes",
                        crate::auth::minutes(*wait)
                    ),
                    crate::auth::Limited::Address(wait) => format!(
                        "too many failed sign-ins from this address: try again in {} minutes",
                        crate::auth::minutes(*wait)
                    ),
                },
            ),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            ApiError::Invalid(m) => (StatusCode::BAD_REQUEST, "invalid", m.clone()),
            ApiError::WrongSecret(m) => (StatusCode::FORBIDDEN, "wrong_secret", m.clone()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", m.clone()),
            ApiError::UnsupportedType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                m.clone(),
            ),
            ApiError::BadRows(problems) => (
                StatusCode::BAD_REQUEST,
                "bad_rows",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
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

impl From<cartable_core::accounts::AccountError> for ApiError {
    fn from(e: cartable_core::accounts::AccountError) -> Self {
        match e {
            cartable_core::accounts::AccountError::Random => ApiError::Internal(e.to_string()),
            _ => ApiError::Invalid(e.to_string()),
        }
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
        if let ApiError::TooManyAttempts(
            crate::auth::Limited::Account(wait) | crate::auth::Limited::Address(wait),
        ) = self
        {
            crate::auth::set_header(
                &mut response,
                axum::http::header::RETRY_AFTER,
                &wait.as_secs().max(1).to_string(),
            );
        }
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
