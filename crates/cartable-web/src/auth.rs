//! Who is asking, and may they: sessions, API tokens, CSRF, roles and the
//! sign-in rate limit.
//!
//! [`layer`] runs before every page and API handler. It resolves the
//! caller from a session cookie or an `Authorization: Bearer` token, and
//! refuses any state-changing request that does not carry the CSRF token
//! of its session (or, before sign-in, of its browser). Handlers then ask
//! for a caller by type: [`Require<Admins>`] does not compile into a
//! handler that forgets the check. Anonymous visitors browse, watch and
//! search without any of this: a request without credentials costs no
//! database query.

use crate::i18n::UiLang;
use crate::{ApiError, Shared};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cartable_core::accounts::{Role, Secret, User, same_secret};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "cartable_session";
pub const CSRF_COOKIE: &str = "cartable_csrf";
/// Readable by scripts: present while a session is (see [`marker_cookie`]).
pub const SIGNED_IN_COOKIE: &str = "cartable_signed_in";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";
/// How long a session lasts: a school term's weeks are shorter than this,
/// so a shared classroom computer is signed out by the next term.
pub const SESSION_DAYS: i64 = 30;
/// Forms are small; this bounds what the CSRF check buffers.
const FORM_LIMIT: usize = 1024 * 1024;

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    /// The session's CSRF token, for the forms of the page; None for API
    /// tokens, which need none.
    pub csrf: Option<String>,
}

/// The caller as [`layer`] found them: None for anonymous visitors.
#[derive(Clone)]
struct Caller(Option<Auth>);

/// Which roles a handler admits. Admins are always among them.
pub trait Roles: Send + Sync + 'static {
    const ALLOWED: &'static [Role];
}

/// Anyone signed in.
pub struct AnyRole;
impl Roles for AnyRole {
    const ALLOWED: &'static [Role] = &Role::ALL;
}
pub struct Teachers;
impl Roles for Teachers {
    const ALLOWED: &'static [Role] = &[Role::Teacher, Role::Admin];
}
pub struct Editors;
impl Roles for Editors {
    const ALLOWED: &'static [Role] = &[Role::Editor, Role::Admin];
}
pub struct Archivists;
impl Roles for Archivists {
    const ALLOWED: &'static [Role] = &[Role::Archivist, Role::Editor, Role::Admin];
}
pub struct Admins;
impl Roles for Admins {
    const ALLOWED: &'static [Role] = &[Role::Admin];
}

/// A caller whose role is among `R`'s.
pub struct Require<R: Roles>(pub Auth, pub PhantomData<R>);

/// Why a caller was turned away, answered as JSON under `/api/` and as a
/// page (or a redirect to the sign-in page) elsewhere.
pub enum Refusal {
    /// A token that is not valid, or a fault while looking the caller up.
    Api(ApiError),
    SignIn {
        page: Option<(UiLang, String)>,
    },
    Forbidden {
        page: Option<UiLang>,
    },
}

fn page_of(parts: &Parts) -> Option<(UiLang, String)> {
    let path = parts.uri.path();
    if path.starts_with("/api/") {
        return None;
    }
    let lang = path.split('/').nth(1).and_then(UiLang::parse)?;
    let back = parts
        .uri
        .path_and_query()
        .map_or(path, |p| p.as_str())
        .to_owned();
    Some((lang, back))
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Api(e) => e.into_response(),
            Refusal::SignIn { page: None } => ApiError::SignInRequired.into_response(),
            Refusal::SignIn {
                page: Some((lang, back)),
            } => {
                let next: String = url_encode(&back);
                Redirect::to(&format!("/{}/login?next={next}", lang.code())).into_response()
            }
            Refusal::Forbidden { page: None } => ApiError::Forbidden.into_response(),
            Refusal::Forbidden { page: Some(lang) } => {
                crate::ui::PageError::Forbidden(lang).into_response()
            }
        }
    }
}

/// Percent-encodes a path for a query parameter.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl<R: Roles> FromRequestParts<Shared> for Require<R> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Refusal> {
        match caller(parts, state).await.map_err(Refusal::Api)? {
            None => Err(Refusal::SignIn {
                page: page_of(parts),
            }),
            Some(auth) if R::ALLOWED.contains(&auth.user.role) => Ok(Require(auth, PhantomData)),
            Some(_) => Err(Refusal::Forbidden {
                page: page_of(parts).map(|(l, _)| l),
            }),
        }
    }
}

/// The caller if signed in, for pages that anyone may see but that show
/// more to a signed-in user (the account page offers sign-in otherwise).
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<Shared> for MaybeAuth {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Refusal> {
        Ok(MaybeAuth(caller(parts, state).await.map_err(Refusal::Api)?))
    }
}

/// The caller named by an `Authorization: Bearer` token or a session
/// cookie; None without credentials (or with an expired session), an
/// error for a token that is not valid.
pub(crate) async fn resolve(state: &Shared, headers: &HeaderMap) -> Result<Option<Auth>, ApiError> {
    if let Some(token) = bearer(headers) {
        let digest = Secret::from_text(token).digest();
        return match state.db.token_user(&digest).await? {
            Some(user) => Ok(Some(Auth { user, csrf: None })),
            None => Err(ApiError::BadToken),
        };
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let digest = Secret::from_text(cookie.value()).digest();
    Ok(state.db.session(&digest).await?.map(|(user, csrf)| Auth {
        user,
        csrf: Some(csrf),
    }))
}

/// The caller as the layer found it, or looked up now for a request the
/// layer let through without a lookup.
async fn caller(parts: &mut Parts, state: &Shared) -> Result<Option<Auth>, ApiError> {
    if let Some(Caller(found)) = parts.extensions.get::<Caller>() {
        return Ok(found.clone());
    }
    let found = resolve(state, &parts.headers).await?;
    parts.extensions.insert(Caller(found.clone()));
    Ok(found)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// On state-changing requests: resolves the caller, checks CSRF, and hands
/// the caller to the handlers.
pub async fn layer(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // A page anyone may read needs no lookup: most requests from signed-in
    // learners are catalog pages, and they cost no SQL. The handlers that
    // need the caller resolve it through their extractor.
    if safe {
        return next.run(request).await;
    }
    let jar = CookieJar::from_headers(request.headers());
    let api = request.uri().path().starts_with("/api/");
    let page_lang = request
        .uri()
        .path()
        .split('/')
        .nth(1)
        .and_then(UiLang::parse)
        .unwrap_or(state.settings.default_lang);
    let by_token = bearer(request.headers()).is_some();
    let caller = match resolve(&state, request.headers()).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    // Without credentials there is nothing to forge a request with, except
    // on the sign-in forms (a forged sign-in would put a learner in an
    // attacker's account); anonymous API calls go on to their 401.
    let anonymous_api = api && caller.is_none();
    let mut request = if by_token || anonymous_api {
        request
    } else {
        let expected = caller
            .as_ref()
            .and_then(|a| a.csrf.clone())
            .or_else(|| jar.get(CSRF_COOKIE).map(|c| c.value().to_owned()));
        match check_csrf(request, expected.as_deref()).await {
            Ok(request) => request,
            Err(()) if api => return ApiError::CsrfFailed.into_response(),
            Err(()) => return crate::ui::PageError::Csrf(page_lang).into_response(),
        }
    };
    request.extensions_mut().insert(Caller(caller));
    next.run(request).await
}

/// Whether a request carries its session's CSRF token in the
/// `X-CSRF-Token` header and does not come from another site (for
/// endpoints outside this layer, such as the LRS).
pub(crate) fn csrf_header_ok(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (given, expected) {
        (Some(given), Some(expected)) => !cross_site && same_secret(given, expected),
        _ => false,
    }
}

/// Passes the request on when its CSRF token (the `X-CSRF-Token` header,
/// or the `csrf` field of a form) matches `expected`. A request a browser
/// says came from another site is refused outright.
async fn check_csrf(request: Request, expected: Option<&str>) -> Result<Request, ()> {
    let headers = request.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(());
    }
    let expected = expected.ok_or(())?;
    if let Some(given) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if same_secret(given, expected) {
            Ok(request)
        } else {
            Err(())
        };
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (parts, body) = request.into_parts();
    let given = if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| ())?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| ())?;
        let given = fields
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v)
            .ok_or(())?;
        (given, bytes)
    } else if content_type.starts_with("multipart/form-data") {
        // Uploads from the archive's edit page: the token is a form field.
        let bytes = axum::body::to_bytes(body, crate::ui::MAX_UPLOAD + FORM_LIMIT)
            .await
            .map_err(|_| ())?;
        let boundary = crate::xapi::multipart::boundary(&content_type).ok_or(())?;
        let given = crate::xapi::multipart::parse(&boundary, &bytes)
            .map_err(|_| ())?
            .into_iter()
            .find(|p| {
                p.header("content-disposition")
                    .is_some_and(|d| d.contains("name=\"csrf\""))
            })
            .map(|p| String::from_utf8_lossy(&p.body).trim().to_owned())
            .ok_or(())?;
        (given, bytes)
    } else {
        return Err(());
    };
    if !same_secret(&given.0, expected) {
        return Err(());
    }
    Ok(Request::from_parts(parts, Body::from(given.1)))
}

fn base_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .secure(secure)
        .path("/")
        .build()
}

/// The cookie that carries a new session.
pub fn session_cookie(secret: &Secret, secure: bool) -> Cookie<'static> {
    let mut c = base_cookie(SESSION_COOKIE, secret.expose().to_owned(), secure);
    c.set_same_site(SameSite::Lax);
    c.set_max_age(cookie::time::Duration::days(SESSION_DAYS));
    c
}

/// The readable companion of a session cookie: it says "signed in" to the
/// pages' scripts and nothing more; it lives and dies with the session
/// cookie it is made from.
pub fn marker_cookie(session: &Cookie<'static>) -> Cookie<'static> {
    let mut c = Cookie::build((SIGNED_IN_COOKIE, "1"))
        .path("/")
        .secure(session.secure().unwrap_or(false))
        .same_site(SameSite::Lax)
        .build();
    if session.value().is_empty() {
        c.make_removal();
    } else if let Some(age) = session.max_age() {
        c.set_max_age(age);
    }
    c
}

/// The cookie that ends a session in this browser.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = base_cookie(SESSION_COOKIE, String::new(), secure);
    c.make_removal();
    c
}

/// The browser's CSRF token for forms shown before sign-in, and the
/// cookie to set when it had none.
pub fn browser_csrf(
    jar: &CookieJar,
    secure: bool,
) -> Result<(String, Option<Cookie<'static>>), ApiError> {
    if let Some(c) = jar.get(CSRF_COOKIE).filter(|c| c.value().len() == 64) {
        return Ok((c.value().to_owned(), None));
    }
    let secret = Secret::new().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut c = base_cookie(CSRF_COOKIE, secret.expose().to_owned(), secure);
    c.set_same_site(SameSite::Strict);
    Ok((secret.expose().to_owned(), Some(c)))
}

/// Sign-in attempts per account and per address. An account is closed
/// for [`WINDOW`] after [`ACCOUNT_FAILURES`] failures; an address after
/// [`ADDRESS_FAILURES`], which is high because a whole school may share
/// one address. Kept in each node's memory: behind a load balancer an
/// attacker gets the limit once per node, which still bounds guessing.
pub struct Limiter {
    accounts: Mutex<HashMap<String, Window>>,
    addresses: Mutex<HashMap<IpAddr, Window>>,
}

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const ACCOUNT_FAILURES: u32 = 5;
pub const ADDRESS_FAILURES: u32 = 100;
/// Beyond this many remembered keys, expired windows are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

/// Which limit a sign-in ran into, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Account(Duration),
    Address(Duration),
}

impl Limiter {
    pub fn new() -> Limiter {
        Limiter {
            accounts: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    fn closed<K: std::hash::Hash + Eq>(
        map: &Mutex<HashMap<K, Window>>,
        key: &K,
        max: u32,
    ) -> Option<Duration> {
        let map = map.lock().unwrap_or_else(|e| e.into_inner());
        let w = map.get(key)?;
        let age = w.start.elapsed();
        (age < WINDOW && w.failures >= max).then(|| WINDOW - age)
    }

    /// Err when this account or this address may not try now.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Limited> {
        if let Some(wait) = Self::closed(&self.accounts, &account.to_owned(), ACCOUNT_FAILURES) {
            return Err(Limited::Account(wait));
        }
        if let Some(ip) = address
            && let Some(wait) = Self::closed(&self.addresses, &ip, ADDRESS_FAILURES)
        {
            return Err(Limited::Address(wait));
        }
        Ok(())
    }

    fn bump<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, Window>>, key: K) {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_AT {
            map.retain(|_, w| w.start.elapsed() < WINDOW);
        }
        let w = map.entry(key).or_insert(Window {
            start: Instant::now(),
            failures: 0,
        });
        if w.start.elapsed() >= WINDOW {
            *w = Window {
                start: Instant::now(),
                failures: 0,
            };
        }
        w.failures += 1;
    }

    pub fn failed(&self, account: &str, address: Option<IpAddr>) {
        Self::bump(&self.accounts, account.to_owned());
        if let Some(ip) = address {
            Self::bump(&self.addresses, ip);
        }
    }

    pub fn succeeded(&self, account: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(account);
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new()
    }
}

/// Minutes to wait, rounded up, for messages.
pub fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60).max(1)
}

/// Sets a header when its value is valid, for cookies and `Retry-After`.
pub fn set_header(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, v);
    }
}
