//! The server-rendered pages, grouped by audience; today the learner's:
//! home, browse, programme, capsule. They work without JavaScript, in
//! Arabic (right to left), French and English, and load nothing from any
//! origin but this one.
//!
//! Every page lives under `/{lang}/`, so a link names its language and any
//! cache can hold it; `/` sends the browser to its preferred language.

mod account;
mod admin;
mod archive;
mod boxes;
mod charts;
mod competition;
mod course;
mod dashboard;
mod indicators;
mod learn;
mod learning;
pub mod library;
mod literacy;
pub mod live;
mod pictures;
mod quiz;
mod school;
mod search;
mod view;

use crate::i18n::UiLang;
use crate::{ApiError, Shared};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use view::Page;

pub use archive::MAX_UPLOAD;

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
        .route("/{lang}/library", get(library::list))
        .route("/{lang}/library/{id}", get(library::book))
        .route("/{lang}/series/{id}", get(library::series))
        .route("/{lang}/search", get(search::page))
        .route("/{lang}/archive", get(archive::home))
        .route("/{lang}/archive/collections/{id}", get(archive::collection))
        .route("/{lang}/archive/items/{id}", get(archive::item))
        .fallback(not_found_anywhere)
}

/// The pages that depend on who asks: never cached.
pub fn personal_router() -> Router<Shared> {
    Router::new()
        .route(
            "/{lang}/login",
            get(account::login_page).post(account::login),
        )
        .route("/{lang}/logout", post(account::logout))
        .route(
            "/{lang}/logout-everywhere",
            post(account::logout_everywhere),
        )
        .route("/{lang}/account", get(account::account))
        .route("/{lang}/learning", get(learning::page))
        .route("/{lang}/indicators", get(indicators::page))
        .route("/{lang}/indicators.csv", get(indicators::csv))
        .route("/{lang}/account/tokens", post(account::create_token))
        .route(
            "/{lang}/account/tokens/{id}/revoke",
            post(account::revoke_token),
        )
        .route(
            "/{lang}/archive/new",
            get(archive::new_form).post(archive::create),
        )
        .route(
            "/{lang}/archive/collections",
            post(archive::create_collection),
        )
        .route(
            "/{lang}/archive/items/{id}/edit",
            get(archive::edit_form).post(archive::update),
        )
        .route(
            "/{lang}/archive/items/{id}/media",
            post(archive::upload).layer(axum::extract::DefaultBodyLimit::max(
                archive::MAX_UPLOAD + 1024 * 1024,
            )),
        )
        .route("/{lang}/literacy", get(literacy::home))
        .route("/{lang}/literacy/{course}/{lesson}", get(literacy::lesson))
        .route(
            "/{lang}/literacy/{course}/{lesson}/practice",
            get(literacy::practice).post(literacy::answer),
        )
        .route("/{lang}/teach/classes/{id}/literacy", get(literacy::class))
        .route("/{lang}/live", get(live::schedule))
        .route("/{lang}/live/new", get(live::new_form).post(live::create))
        .route("/{lang}/live/{id}", get(live::room))
        .route("/{lang}/live/{id}/questions", post(live::ask))
        .route("/{lang}/live/{id}/questions/{q}", post(live::moderate))
        .route("/{lang}/live/{id}/hand", post(live::hand))
        .route("/{lang}/live/{id}/polls", post(live::open_poll))
        .route("/{lang}/live/{id}/polls/{p}/vote", post(live::vote))
        .route("/{lang}/live/{id}/polls/{p}/close", post(live::close_poll))
        .route(
            "/{lang}/live/{id}/slide",
            post(live::slide).layer(axum::extract::DefaultBodyLimit::max(
                live::MAX_SLIDE + 64 * 1024,
            )),
        )
        .route("/{lang}/live/{id}/end", post(live::end))
        .route("/{lang}/live/{id}/register", post(live::register))
        .route("/{lang}/quizzes", get(quiz::list))
        .route("/{lang}/quizzes/{id}", get(quiz::page))
        .route("/{lang}/quizzes/{id}/start", post(quiz::start))
        .route(
            "/{lang}/quizzes/{id}/attempts/{aid}",
            get(quiz::attempt).post(quiz::save),
        )
        .route("/{lang}/quizzes/{id}/results", get(quiz::results))
        .route("/{lang}/courses", get(course::list))
        .route("/{lang}/courses/{id}", get(course::page))
        .route("/{lang}/courses/{id}/enrol", post(course::enrol))
        .route(
            "/{lang}/courses/{id}/readings/{module}/{item}",
            post(course::read),
        )
        .route("/{lang}/courses/{id}/certificate", get(course::certificate))
        .route("/{lang}/certificates/{code}", get(course::verify))
        .route("/{lang}/competitions", get(competition::list))
        .route("/{lang}/competitions/{id}", get(competition::page))
        .route(
            "/{lang}/competitions/{id}/teams",
            post(competition::register),
        )
        .route(
            "/{lang}/competitions/{id}/submission",
            post(competition::submit).layer(axum::extract::DefaultBodyLimit::max(
                archive::MAX_UPLOAD + 1024 * 1024,
            )),
        )
        .route("/{lang}/competitions/{id}/jury", get(competition::jury))
        .route(
            "/{lang}/competitions/{id}/jury/{team}",
            post(competition::score),
        )
        .route(
            "/{lang}/competitions/{id}/publish",
            post(competition::publish),
        )
        .route("/{lang}/admin", get(admin::admin))
        .route("/{lang}/admin/boxes", get(boxes::admin))
        .route("/{lang}/admin/users", post(admin::add_user))
        .route("/{lang}/admin/users/{login}", post(admin::update_user))
        .route("/{lang}/admin/groups", post(admin::add_group))
        .route("/{lang}/admin/enrol", post(admin::enrol))
        .route("/{lang}/teach", get(admin::teach))
        .route("/{lang}/teach/classes/{id}", get(admin::class))
        .route("/{lang}/teach/classes/{id}/progress", get(dashboard::page))
        .route("/{lang}/teach/schools/{id}/progress", get(school::page))
        .route(
            "/{lang}/teach/classes/{id}/assignments",
            post(dashboard::assign),
        )
        .route(
            "/{lang}/teach/classes/{id}/assignments/{aid}/delete",
            post(dashboard::unassign),
        )
        .route(
            "/{lang}/teach/classes/{id}/progress.csv",
            get(dashboard::csv),
        )
        .route(
            "/{lang}/teach/classes/{id}/pictures",
            post(admin::class_pictures),
        )
        .route("/{lang}/signin/pictures", get(account::picture_classes))
        .route("/{lang}/signin/pictures-then", get(account::pictures_then))
        .route(
            "/{lang}/signin/pictures/{class}",
            get(account::picture_learners),
        )
        .route(
            "/{lang}/signin/pictures/{class}/{login}",
            get(account::picture_keypad).post(account::picture_signin),
        )
}

/// The interface language named by a path, or a 404.
pub fn ui_lang(code: &str) -> Result<UiLang, PageError> {
    UiLang::parse(code).ok_or(PageError::NotFound(UiLang::Fr, "/".into()))
}

/// Sends `/` to the home page in the browser's preferred language.
async fn root(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = UiLang::negotiate(accept, state.settings.default_lang);
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
    /// Signed in, but the role does not allow it.
    Forbidden(UiLang),
    /// A form without the CSRF token of its session or browser.
    Csrf(UiLang),
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
            PageError::Forbidden(lang) => (
                StatusCode::FORBIDDEN,
                lang,
                "forbidden-title",
                "forbidden-body",
                "/".to_owned(),
            ),
            PageError::Csrf(lang) => (
                StatusCode::FORBIDDEN,
                lang,
                "csrf-title",
                "csrf-body",
                "/".to_owned(),
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
        None => PageError::NotFound(state.settings.default_lang, path.to_owned()).into_response(),
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

/// A time as `2026-11-29 14:00 UTC`, for messages that are not pages.
pub fn utc_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A text in the best language for the page, without its language tag.
pub fn text_in(texts: &cartable_core::Translations, lang: crate::UiLang) -> String {
    view::text(texts, lang).text
}
