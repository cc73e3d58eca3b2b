//! Signing in: checking a password or a picture password against its
//! argon2id hash, under the rate limit, and opening a session.
//!
//! argon2id takes ~19 MiB and tens of milliseconds per check, on purpose:
//! checks run on a few threads of their own ([`Hashing`]), so a burst of
//! sign-ins queues instead of eating a small box's memory. An unknown login
//! is checked against a dummy hash, so the answer takes as long as for a
//! real one and does not reveal who has an account.

use crate::auth::Limited;
use crate::{ApiError, Shared};
use cartable_core::accounts::{
    Login, Membership, PicturePassword, Secret, User, hash_password, verify_password,
};
use std::net::IpAddr;
use std::sync::OnceLock;

type Job = Box<dyn FnOnce() + Send>;

/// The threads that hash passwords, [`crate::HASHING_AT_ONCE`] of them.
///
/// Hand-written rather than tokio's blocking pool: that pool runs each job
/// on whichever of its many threads is idle, and the C allocator keeps a
/// freed 19 MiB argon2 buffer in each thread's own arena, so memory grew
/// to ~500 MiB under a sign-in burst (measured by `bench/login.sh`). The
/// same few threads reuse the same buffers.
pub struct Hashing(std::sync::Mutex<std::sync::mpsc::Sender<Job>>);

impl Hashing {
    pub fn new(threads: usize) -> Hashing {
        let (send, receive) = std::sync::mpsc::channel::<Job>();
        let receive = std::sync::Arc::new(std::sync::Mutex::new(receive));
        for n in 0..threads.max(1) {
            let receive = receive.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = receive.lock().map(|r| r.recv());
                        match job {
                            Ok(Ok(job)) => job(),
                            _ => break,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hashing(std::sync::Mutex::new(send))
    }

    /// Runs `work` on a hashing thread and waits for its answer.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        self.0
            .lock()
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .send(job)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        rx.await
            .map_err(|_| ApiError::Internal("the hashing threads stopped".into()))
    }

    /// Hashes a password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash_password(&password))
            .await?
            .map_err(ApiError::from)
    }

    async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, ApiError> {
        self.run(move || {
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
