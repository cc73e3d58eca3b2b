//! The server-rendered pages, grouped by audience; today the learner's:
//! home, browse, programme, capsule. They work without JavaScript, in
//! Arabic (right to left), French and English, and load nothing from any
//! origin but this one.
//!
//! Every page lives under `/{lang}/`, so a link names its language and any
//! cache can hold it; `/` sends the browser to its preferred language.

mod learn;
mod view;

use crate::i18n::UiLang;
use crate::{ApiError, Shared};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use view::Page;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(root))
        .route("/{lang}/", get(learn::home))
        .route(
            "/{lang}",
            get(
                |axum::extract::Path(lang): axum::extract::Path<String>| async move {
                    Redirect::permanent(&format!("/{lang}/"))
                },
            ),
        )
        .route("/{lang}/browse", get(learn::browse))
        .route("/{lang}/programmes/{id}", get(learn::programme))
        .route("/{lang}/capsules/{id}", get(learn::capsule))
        .fallback(not_found_anywhere)
}

/// Sends `/` to the home page in the browser's preferred language.
async fn root(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = UiLang::negotiate(accept, state.default_lang);
    let mut response = Redirect::to(&format!("/{}/", lang.code())).into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// What a page handler fails with: a page that is not there, or a fault.
pub enum PageError {
    /// The language, and the path after `/{lang}` so the language switch
    /// of the not-found page keeps it.
    NotFound(UiLang, String),
    Internal(UiLang, String),
}

impl From<(UiLang, cartable_store::StoreError)> for PageError {
    fn from((lang, e): (UiLang, cartable_store::StoreError)) -> Self {
        PageError::Internal(lang, e.to_string())
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageTemplate {
    page: Page,
    body: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, lang, title, body, rest) = match self {
            PageError::NotFound(lang, rest) => (
                StatusCode::NOT_FOUND,
                lang,
                "not-found-title",
                "not-found-body",
                rest,
            ),
            PageError::Internal(lang, cause) => {
                tracing::error!(%cause, "internal error on a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    lang,
                    "error-title",
                    "error-body",
                    "/".to_owned(),
                )
            }
        };
        let page = Page::new_static(lang, title, rest);
        let body = page.t(body);
        match (MessageTemplate { page, body }).render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

async fn not_found_anywhere(uri: axum::http::Uri, State(state): State<Shared>) -> Response {
    if uri.path().starts_with("/api/") || uri.path().starts_with("/media/") {
        return ApiError::NotFound("this path".into()).into_response();
    }
    let path = uri.path();
    match path.split('/').nth(1).and_then(UiLang::parse) {
        Some(lang) => {
            PageError::NotFound(lang, path[lang.code().len() + 1..].to_owned()).into_response()
        }
        None => PageError::NotFound(state.default_lang, path.to_owned()).into_response(),
    }
}

/// A rendered page with the cache headers every page shares: the same for
/// every visitor, so caches may keep it a minute.
pub fn html(result: askama::Result<String>, lang: UiLang) -> Result<Response, PageError> {
    let html = result.map_err(|e| PageError::Internal(lang, e.to_string()))?;
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}
