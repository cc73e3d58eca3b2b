//! Who is calling the LRS, and what they may do.
//!
//! Two kinds of caller: an xAPI client with a key made by `cartable lrs key
//! add` (HTTP Basic auth, scopes named as in xAPI's OAuth scopes), and a
//! signed-in user of the platform's own pages (session cookie, CSRF token
//! on writes), who may write and read only their own records unless they
//! are an admin. A key's lookup is kept for a few seconds, so a busy
//! client costs no SQL per request; a revoked key stops working within
//! that time.

use super::error::{XResult, XapiError};
use crate::Shared;
use crate::auth::{self, Auth};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use cartable_core::accounts::{Role, Secret, same_secret};
use cartable_core::xapi::Ifi;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scopes of xAPI 1.0.3 (§ OAuth authorization scope).
pub const SCOPES: &[&str] = &[
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
];

/// How long a checked key is trusted without asking SQL again.
const KEY_CACHE_TIME: Duration = Duration::from_secs(10);

/// A caller the LRS has recognised.
#[derive(Debug, Clone)]
pub struct Client {
    /// The Agent set as `authority` on what this caller stores.
    pub authority: Value,
    /// The key of this authority in SQL (`key:…` or `user:…`).
    pub authority_id: String,
    /// The authority's IFI, as the agent index names it.
    pub authority_ifi: String,
    scopes: Vec<String>,
    /// For a learner signed in to the platform: their own agent, the only
    /// one whose records they may write and read.
    pub learner: Option<Ifi>,
}

/// What a caller may read of the statements.
pub enum ReadRight {
    All,
    /// Only what this authority stored (statements/read/mine).
    Mine,
}

impl Client {
    fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == "all")
    }

    pub fn may_write_statements(&self) -> XResult<()> {
        if self.has("statements/write") {
            Ok(())
        } else {
            Err(XapiError::Forbidden(
                "this key lacks the statements/write scope".into(),
            ))
        }
    }

    pub fn may_read_statements(&self) -> XResult<ReadRight> {
        if self.has("statements/read") || self.has("all/read") {
            Ok(ReadRight::All)
        } else if self.has("statements/read/mine") {
            Ok(ReadRight::Mine)
        } else {
            Err(XapiError::Forbidden(
                "this key lacks a statements/read scope".into(),
            ))
        }
    }

    /// Documents: `scope` is "state" or "profile"; reads are also allowed
    /// by all/read.
    pub fn may_use_documents(&self, scope: &str, write: bool) -> XResult<()> {
        if self.has(scope) || (!write && self.has("all/read")) {
            Ok(())
        } else {
            Err(XapiError::Forbidden(format!(
                "this key lacks the {scope} scope"
            )))
        }
    }

    /// For learners: refuses an agent that is not their own.
    pub fn may_act_for(&self, ifi: &Ifi) -> XResult<()> {
        match &self.learner {
            Some(own) if own != ifi => Err(XapiError::Forbidden(
                "a learner may only use their own records".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// The agent that names a platform user in learning records.
pub fn user_agent(home_page: &str, login: &str, name: &str) -> Value {
    json!({
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": home_page, "name": login},
    })
}

/// The IFI of a platform user's agent.
pub fn user_ifi(home_page: &str, login: &str) -> Ifi {
    Ifi(format!("account:{home_page}|{login}"))
}

/// Recently checked keys, by the whole Authorization header.
pub struct KeyCache(quick_cache::sync::Cache<String, (Instant, Option<Arc<Client>>)>);

impl KeyCache {
    pub fn new() -> KeyCache {
        KeyCache(quick_cache::sync::Cache::new(1024))
    }
}

impl FromRequestParts<Shared> for Client {
    type Rejection = XapiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> XResult<Client> {
        if let Some(basic) = basic(&parts.headers) {
            return by_key(state, basic).await;
        }
        match auth::resolve(state, &parts.headers).await {
            Ok(Some(auth)) => by_session(state, auth, parts),
            Ok(None) => Err(XapiError::Unauthorized(
                "send a key as HTTP Basic credentials (cartable lrs key add), or sign in".into(),
            )),
            Err(e) => Err(XapiError::Unauthorized(e.message())),
        }
    }
}

fn basic(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
}

async fn by_key(state: &Shared, basic: &str) -> XResult<Client> {
    let cache = &state.lrs.keys.0;
    if let Some((at, client)) = cache.get(basic)
        && at.elapsed() < KEY_CACHE_TIME
    {
        return client.map(|c| (*c).clone()).ok_or_else(wrong_key);
    }
    let client = check_key(state, basic).await?;
    cache.insert(
        basic.to_owned(),
        (Instant::now(), client.clone().map(Arc::new)),
    );
    client.ok_or_else(wrong_key)
}

fn wrong_key() -> XapiError {
    XapiError::Unauthorized("the key or its secret is wrong, or the key was revoked".into())
}

async fn check_key(state: &Shared, basic: &str) -> XResult<Option<Client>> {
    let Some((key, secret)) = base64::engine::general_purpose::STANDARD
        .decode(basic)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(k, v)| (k.to_owned(), v.to_owned())))
    else {
        return Err(XapiError::Unauthorized(
            "the Basic credentials are not base64 of key:secret".into(),
        ));
    };
    let Some(found) = state.db.lrs_key(&key).await? else {
        return Ok(None);
    };
    if found.revoked_at.is_some()
        || !same_secret(&Secret::from_text(&secret).digest(), &found.secret_digest)
    {
        return Ok(None);
    }
    let home_page = format!("{}/xapi/keys", state.lrs.home_page);
    Ok(Some(Client {
        authority_ifi: format!("account:{home_page}|{}", found.key),
        authority: json!({
            "objectType": "Agent",
            "name": found.name,
            "account": {"homePage": home_page, "name": found.key},
        }),
        authority_id: format!("key:{}", found.key),
        scopes: found.scopes,
        learner: None,
    }))
}

fn by_session(state: &Shared, auth: Auth, parts: &Parts) -> XResult<Client> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !auth::csrf_header_ok(&parts.headers, auth.csrf.as_deref()) {
        return Err(XapiError::Forbidden(
            "this request lacks the CSRF token of your session (X-CSRF-Token header)".into(),
        ));
    }
    let home = &state.lrs.home_page;
    let login = auth.user.login.as_str();
    let admin = auth.user.role == Role::Admin;
    Ok(Client {
        authority_ifi: user_ifi(home, login).0,
        authority: user_agent(home, login, &auth.user.name),
        authority_id: format!("user:{login}"),
        scopes: vec![
            if admin { "all" } else { "statements/write" }.into(),
            "statements/read".into(),
            "state".into(),
            "profile".into(),
        ],
        learner: (!admin).then(|| user_ifi(home, login)),
    })
}
