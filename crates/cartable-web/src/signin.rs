//! Signing in: checking a password or a picture password against its
//! argon2id hash, under the rate limit, and opening a session.
//!
//! argon2id takes ~19 MiB and tens of milliseconds per check, on purpose:
//! checks run on the blocking pool, at most [`crate::HASHING_AT_ONCE`] at
//! a time, so a burst of sign-ins queues instead of eating a small box's
//! memory. An unknown login is checked against a dummy hash, so the answer
//! takes as long as for a real one and does not reveal who has an account.

use crate::auth::Limited;
use crate::{ApiError, Shared};
use cartable_core::accounts::{
    Login, Membership, PicturePassword, Secret, User, hash_password, verify_password,
};
use std::net::IpAddr;
use std::sync::OnceLock;

/// The budget of argon2id hashes that may run at once.
pub struct Hashing(tokio::sync::Semaphore);

impl Hashing {
    pub fn new(at_once: usize) -> Hashing {
        Hashing(tokio::sync::Semaphore::new(at_once))
    }

    /// Hashes a password on the blocking pool, within the budget.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self
            .0
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(ApiError::from)
    }

    async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, ApiError> {
        let _permit = self
            .0
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let real = hash.is_some();
            let hash = match hash {
                Some(h) => h,
                None => DUMMY
                    .get_or_init(|| hash_password("cartable dummy password").unwrap_or_default())
                    .clone(),
            };
            verify_password(&hash, &password) && real
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
    }
}

/// The user whose login and password these are.
pub async fn with_password(
    state: &Shared,
    login: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<User, ApiError> {
    let login = login.trim().to_lowercase();
    state
        .limiter
        .check(&login, address)
        .map_err(ApiError::TooManyAttempts)?;
    let row = match Login::try_from(login.as_str()) {
        Ok(l) => state.db.user(l.as_str()).await?,
        Err(_) => None,
    };
    let hash = row
        .as_ref()
        .filter(|r| !r.user.disabled)
        .and_then(|r| r.password_hash.clone());
    if state.hashing.verify(hash, password.to_owned()).await?
        && let Some(row) = row
    {
        state.limiter.succeeded(&login);
        return Ok(row.user);
    }
    state.limiter.failed(&login, address);
    Err(ApiError::WrongCredentials)
}

/// The learner of `class` who picked these pictures, when the class
/// allows picture sign-in.
pub async fn with_pictures(
    state: &Shared,
    class: &str,
    login: &str,
    pictures: &PicturePassword,
    address: Option<IpAddr>,
) -> Result<User, ApiError> {
    state
        .limiter
        .check(login, address)
        .map_err(ApiError::TooManyAttempts)?;
    let allowed = state
        .db
        .class(class)
        .await?
        .is_some_and(|c| c.picture_login);
    let member = allowed
        && state
            .db
            .class_members(class)
            .await?
            .iter()
            .any(|(u, m)| u.login.as_str() == login && *m == Membership::Learner);
    let row = if member {
        state.db.user(login).await?
    } else {
        None
    };
    let hash = row
        .as_ref()
        .filter(|r| !r.user.disabled)
        .and_then(|r| r.picture_hash.clone());
    if state.hashing.verify(hash, pictures.canonical()).await?
        && let Some(row) = row
    {
        state.limiter.succeeded(login);
        return Ok(row.user);
    }
    state.limiter.failed(login, address);
    Err(ApiError::WrongCredentials)
}

/// A new session for `user`: the secret for the cookie, and the session's
/// CSRF token.
pub async fn open_session(state: &Shared, user: &User) -> Result<Secret, ApiError> {
    let secret = Secret::new()?;
    let csrf = Secret::new()?;
    let expires = cartable_store::now() + crate::auth::SESSION_DAYS * 86_400;
    state
        .db
        .create_session(&secret.digest(), &user.login, csrf.expose(), expires)
        .await?;
    Ok(secret)
}

/// The message a sign-in page shows for a refusal, by key and minutes.
pub fn refusal_key(e: &ApiError) -> (&'static str, u64) {
    match e {
        ApiError::TooManyAttempts(Limited::Account(w)) => {
            ("signin-locked-account", crate::auth::minutes(*w))
        }
        ApiError::TooManyAttempts(Limited::Address(w)) => {
            ("signin-locked-address", crate::auth::minutes(*w))
        }
        _ => ("signin-wrong", 0),
    }
}
