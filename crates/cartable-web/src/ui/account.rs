//! Signing in and out, the account page with its API tokens, and picture
//! sign-in for learners who cannot type a password. None of these pages
//! is cached: they carry a CSRF token or show who is signed in.

use super::pictures::{avatar_svg, key_svg};
use super::view::Page;
use super::{PageError, ui_lang};
use crate::api::accounts::make_token;
use crate::auth::{AnyRole, MaybeAuth, Require, browser_csrf, removal_cookie, session_cookie};
use crate::metrics::ClientAddr;
use crate::{ApiError, Shared, signin};
use askama::Template;
use axum::Extension;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use cartable_core::accounts::{
    KEY_PICTURES, Membership, PICTURE_PASSWORD_LEN, PicturePassword, Role, User,
};
use cartable_store::accounts::TokenInfo;
use fluent_bundle::FluentArgs;
use serde::Deserialize;
use std::net::IpAddr;

/// A personal page: never kept by any cache.
pub fn personal(
    lang: crate::UiLang,
    status: StatusCode,
    html: askama::Result<String>,
) -> Result<Response, PageError> {
    let html = html.map_err(|e| PageError::Internal(lang, e.to_string()))?;
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The client's address, for the rate limit (absent in unit setups
/// without a listener).
type Peer = Option<Extension<ConnectInfo<ClientAddr>>>;

fn address(info: Peer) -> Option<IpAddr> {
    info.map(|Extension(ConnectInfo(ClientAddr(a)))| a.ip())
}

/// The cookie naming where a picture sign-in returns to (set by the
/// literacy path's sign-in button).
pub const AFTER_PICTURES: &str = "cartable_after_pictures";

/// Starts a picture sign-in that comes back to `next` (a path on this
/// site), for learners who cannot read the page it would otherwise end on.
pub async fn pictures_then(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let next = safe_next(q.next.as_deref(), lang);
    let cookie = Cookie::build((AFTER_PICTURES, next))
        .http_only(true)
        .secure(state.settings.secure_cookies)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::minutes(30))
        .build();
    Ok(with_cookie(
        Redirect::to(&format!("/{}/signin/pictures", lang.code())).into_response(),
        Some(cookie),
    ))
}

/// Where to go after signing in: a path on this site only.
fn safe_next(next: Option<&str>, lang: crate::UiLang) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => format!("/{}/account", lang.code()),
    }
}

/// A response that also sets `cookie`, when there is one.
fn with_cookie(mut response: Response, cookie: Option<Cookie<'static>>) -> Response {
    if let Some(c) = cookie {
        // The session cookie goes with a marker scripts can read (the
        // session itself is HttpOnly), so the player asks for progress
        // only when someone is signed in.
        let marker =
            (c.name() == crate::auth::SESSION_COOKIE).then(|| crate::auth::marker_cookie(&c));
        crate::auth::set_header(&mut response, header::SET_COOKIE, &c.to_string());
        if let Some(m) = marker {
            crate::auth::set_header(&mut response, header::SET_COOKIE, &m.to_string());
        }
    }
    response
}

/// A refused sign-in: 429 when the limit was reached, else 401.
fn refusal_status(e: &ApiError) -> StatusCode {
    if matches!(e, ApiError::TooManyAttempts(_)) {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    }
}

fn refusal_text(page: &Page, e: &ApiError) -> String {
    let (key, minutes) = signin::refusal_key(e);
    let mut args = FluentArgs::new();
    args.set("minutes", minutes);
    crate::i18n::I18N.message(page.lang, key, Some(&args))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    page: Page,
    csrf: String,
    next: String,
    login: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_response(
    lang: crate::UiLang,
    jar: &CookieJar,
    state: &Shared,
    status: StatusCode,
    next: String,
    login: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = browser_csrf(jar, state.settings.secure_cookies)
        .map_err(|e| PageError::Internal(lang, format!("{e:?}")))?;
    let page = Page::new_static(lang, "login-title", "/login".into());
    let template = LoginTemplate {
        page,
        csrf,
        next,
        login,
        error,
    };
    Ok(with_cookie(
        personal(lang, status, template.render())?,
        cookie,
    ))
}

pub async fn login_page(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    jar: CookieJar,
    query: Result<Query<NextQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let next = safe_next(query.as_ref().ok().and_then(|q| q.next.as_deref()), lang);
    login_response(
        lang,
        &jar,
        &state,
        StatusCode::OK,
        next,
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

/// Signs in, and sends the browser on with its new session.
fn signed_in(state: &Shared, secret: &cartable_core::accounts::Secret, to: &str) -> Response {
    let cookie = session_cookie(secret, state.settings.secure_cookies);
    with_cookie(Redirect::to(to).into_response(), Some(cookie))
}

pub async fn login(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    info: Peer,
    jar: CookieJar,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let Ok(Form(form)) = form else {
        let next = safe_next(None, lang);
        return login_response(
            lang,
            &jar,
            &state,
            StatusCode::BAD_REQUEST,
            next,
            String::new(),
            None,
        );
    };
    let next = safe_next(form.next.as_deref(), lang);
    match signin::with_password(&state, &form.login, &form.password, address(info)).await {
        Ok(user) => {
            let secret = signin::open_session(&state, &user)
                .await
                .map_err(|e| PageError::Internal(lang, format!("{e:?}")))?;
            Ok(signed_in(&state, &secret, &next))
        }
        Err(ApiError::Internal(cause)) => Err(PageError::Internal(lang, cause)),
        Err(e) => {
            let status = refusal_status(&e);
            let page = Page::new(lang, String::new(), String::new());
            let text = refusal_text(&page, &e);
            login_response(lang, &jar, &state, status, next, form.login, Some(text))
        }
    }
}

pub async fn logout(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    if let Some(c) = jar.get(crate::auth::SESSION_COOKIE) {
        let digest = cartable_core::accounts::Secret::from_text(c.value()).digest();
        state
            .db
            .delete_session(&digest)
            .await
            .map_err(|e| (lang, e))?;
    }
    let cookie = removal_cookie(state.settings.secure_cookies);
    Ok(with_cookie(
        Redirect::to(&format!("/{}/", lang.code())).into_response(),
        Some(cookie),
    ))
}

pub async fn logout_everywhere(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    state
        .db
        .delete_sessions(auth.user.login.as_str())
        .await
        .map_err(|e| (lang, e))?;
    let cookie = removal_cookie(state.settings.secure_cookies);
    Ok(with_cookie(
        Redirect::to(&format!("/{}/login", lang.code())).into_response(),
        Some(cookie),
    ))
}

pub struct ClassLine {
    pub name: String,
    pub school: String,
    pub teacher: bool,
    pub url: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate {
    page: Page,
    user: User,
    role: String,
    csrf: String,
    classes: Vec<ClassLine>,
    tokens: Vec<TokenInfo>,
    new_token: Option<String>,
    teacher: bool,
    admin: bool,
    /// May read the city indicators.
    staff: bool,
}

async fn account_page(
    state: &Shared,
    lang: crate::UiLang,
    auth: &crate::auth::Auth,
    new_token: Option<String>,
) -> Result<Response, PageError> {
    let login = auth.user.login.as_str();
    let classes = state.db.classes_of(login).await.map_err(|e| (lang, e))?;
    let tokens = state.db.tokens(login).await.map_err(|e| (lang, e))?;
    let page = Page::new_static(lang, "account-title", "/account".into());
    let role = page.t(&format!("role-{}", auth.user.role));
    let template = AccountTemplate {
        role,
        user: auth.user.clone(),
        csrf: auth.csrf.clone().unwrap_or_default(),
        classes: classes
            .iter()
            .map(|(c, m)| ClassLine {
                name: c.name.clone(),
                school: c.school_name.clone(),
                teacher: *m == Membership::Teacher,
                url: format!("/{}/teach/classes/{}", lang.code(), c.id),
            })
            .collect(),
        tokens,
        new_token,
        teacher: matches!(auth.user.role, Role::Teacher | Role::Admin),
        admin: auth.user.role == Role::Admin,
        staff: matches!(auth.user.role, Role::Editor | Role::Admin),
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

pub async fn account(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    MaybeAuth(auth): MaybeAuth,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    match auth {
        Some(auth) => account_page(&state, lang, &auth, None).await,
        None => Ok(Redirect::to(&format!("/{}/login", lang.code())).into_response()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(state): State<Shared>,
    Path(lang): Path<String>,
    Require(auth, ..): Require<AnyRole>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let name = form.map(|Form(f)| f.name).unwrap_or_default();
    let name = if name.trim().is_empty() {
        "token".to_owned()
    } else {
        name
    };
    let (_, token) = make_token(&state.db, &auth.user, &name)
        .await
        .map_err(|e| PageError::Internal(lang, format!("{e:?}")))?;
    account_page(&state, lang, &auth, Some(token)).await
}

pub async fn revoke_token(
    State(state): State<Shared>,
    Path((lang, id)): Path<(String, String)>,
    Require(auth, ..): Require<AnyRole>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    state
        .db
        .revoke_token(auth.user.login.as_str(), &id)
        .await
        .map_err(|e| (lang, e))?;
    Ok(Redirect::to(&format!("/{}/account", lang.code())).into_response())
}

/// One choice on a picture sign-in page.
pub struct PictureChoice {
    pub url: String,
    pub label: String,
    pub svg: String,
}

/// One key of the keypad.
pub struct Key {
    pub value: &'static str,
    pub label: String,
    pub svg: String,
}

#[derive(Template)]
#[template(path = "pictures.html")]
struct PicturesTemplate {
    page: Page,
    heading: String,
    choices: Vec<PictureChoice>,
    /// Set on the keypad step: the learner's picture, name and the form.
    keypad: Option<Keypad>,
    back: Option<String>,
}

pub struct Keypad {
    pub avatar: String,
    pub name: String,
    pub action: String,
    pub csrf: String,
    pub steps: Vec<(u64, Vec<Key>)>,
    pub error: Option<String>,
}

pub async fn picture_classes(
    State(state): State<Shared>,
    Path(lang): Path<String>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let classes = state.db.classes().await.map_err(|e| (lang, e))?;
    let page = Page::new_static(lang, "pictures-title", "/signin/pictures".into());
    let template = PicturesTemplate {
        heading: page.t("pictures-pick-class"),
        choices: classes
            .iter()
            .filter(|c| c.picture_login)
            .map(|c| PictureChoice {
                url: format!("/{}/signin/pictures/{}", lang.code(), c.id),
                label: format!("{} · {}", c.name, c.school_name),
                svg: String::new(),
            })
            .collect(),
        keypad: None,
        back: Some(format!("/{}/login", lang.code())),
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

async fn picture_class(
    state: &Shared,
    lang: crate::UiLang,
    class: &str,
) -> Result<cartable_core::accounts::Class, PageError> {
    match state.db.class(class).await.map_err(|e| (lang, e))? {
        Some(c) if c.picture_login => Ok(c),
        _ => Err(PageError::NotFound(
            lang,
            format!("/signin/pictures/{class}"),
        )),
    }
}

pub async fn picture_learners(
    State(state): State<Shared>,
    Path((lang, class)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let c = picture_class(&state, lang, &class).await?;
    let members = state
        .db
        .class_members(&class)
        .await
        .map_err(|e| (lang, e))?;
    let page = Page::new(lang, c.name.clone(), format!("/signin/pictures/{class}"));
    let template = PicturesTemplate {
        heading: page.t("pictures-pick-yourself"),
        choices: members
            .iter()
            .filter(|(u, m)| *m == Membership::Learner && u.avatar.is_some() && !u.disabled)
            .map(|(u, _)| PictureChoice {
                url: format!("/{}/signin/pictures/{class}/{}", lang.code(), u.login),
                label: u.name.clone(),
                svg: avatar_svg(u.avatar.as_deref().unwrap_or_default()),
            })
            .collect(),
        keypad: None,
        back: Some(format!("/{}/signin/pictures", lang.code())),
        page,
    };
    personal(lang, StatusCode::OK, template.render())
}

async fn keypad_page(
    state: &Shared,
    lang: crate::UiLang,
    jar: &CookieJar,
    class: &str,
    login: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let c = picture_class(state, lang, class).await?;
    let members = state.db.class_members(class).await.map_err(|e| (lang, e))?;
    let Some((user, _)) = members.iter().find(|(u, m)| {
        u.login.as_str() == login && *m == Membership::Learner && u.avatar.is_some()
    }) else {
        return Err(PageError::NotFound(
            lang,
            format!("/signin/pictures/{class}/{login}"),
        ));
    };
    let (csrf, cookie) = browser_csrf(jar, state.settings.secure_cookies)
        .map_err(|e| PageError::Internal(lang, format!("{e:?}")))?;
    let page = Page::new(
        lang,
        c.name.clone(),
        format!("/signin/pictures/{class}/{login}"),
    );
    let keys = |_: u64| {
        KEY_PICTURES
            .iter()
            .map(|k| Key {
                value: k,
                label: page.t(&format!("picture-{k}")),
                svg: key_svg(k),
            })
            .collect::<Vec<_>>()
    };
    let template = PicturesTemplate {
        heading: page.t("pictures-pick-password"),
        choices: vec![],
        keypad: Some(Keypad {
            avatar: avatar_svg(user.avatar.as_deref().unwrap_or_default()),
            name: user.name.clone(),
            action: format!("/{}/signin/pictures/{class}/{login}", lang.code()),
            csrf,
            steps: (1..=PICTURE_PASSWORD_LEN as u64)
                .map(|i| (i, keys(i)))
                .collect(),
            error,
        }),
        back: Some(format!("/{}/signin/pictures/{class}", lang.code())),
        page,
    };
    Ok(with_cookie(
        personal(lang, status, template.render())?,
        cookie,
    ))
}

pub async fn picture_keypad(
    State(state): State<Shared>,
    Path((lang, class, login)): Path<(String, String, String)>,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    keypad_page(&state, lang, &jar, &class, &login, StatusCode::OK, None).await
}

pub async fn picture_signin(
    State(state): State<Shared>,
    Path((lang, class, login)): Path<(String, String, String)>,
    info: Peer,
    jar: CookieJar,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, PageError> {
    let lang = ui_lang(&lang)?;
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    let picked: Vec<&str> = (1..=PICTURE_PASSWORD_LEN)
        .map(|i| {
            let name = format!("p{i}");
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map_or("", |(_, v)| v.as_str())
        })
        .collect();
    let page = Page::new(lang, String::new(), String::new());
    let Ok(pictures) = PicturePassword::parse(&picked) else {
        let text = page.t("pictures-incomplete");
        return keypad_page(
            &state,
            lang,
            &jar,
            &class,
            &login,
            StatusCode::BAD_REQUEST,
            Some(text),
        )
        .await;
    };
    match signin::with_pictures(&state, &class, &login, &pictures, address(info)).await {
        Ok(user) => {
            let secret = signin::open_session(&state, &user)
                .await
                .map_err(|e| PageError::Internal(lang, format!("{e:?}")))?;
            // The literacy path sends its learners here and wants them back.
            let next = jar
                .get(AFTER_PICTURES)
                .map(|c| safe_next(Some(c.value()), lang))
                .unwrap_or_else(|| format!("/{}/", lang.code()));
            let mut response = signed_in(&state, &secret, &next);
            let mut gone = Cookie::build((AFTER_PICTURES, "")).path("/").build();
            gone.make_removal();
            if let Ok(value) = gone.encoded().to_string().parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Err(ApiError::Internal(cause)) => Err(PageError::Internal(lang, cause)),
        Err(e) => {
            let status = refusal_status(&e);
            let text = match e {
                ApiError::WrongCredentials => page.t("pictures-wrong"),
                e => refusal_text(&page, &e),
            };
            keypad_page(&state, lang, &jar, &class, &login, status, Some(text)).await
        }
    }
}
