//! Accounts: who may do what, and how they prove who they are.
//!
//! A user has a [`Login`] and one [`Role`]. They sign in with a password
//! (hashed with argon2id, see [`hash_password`]), or, in a class whose
//! teacher enabled it, by picking their [`Avatar`] and then a short
//! [`PicturePassword`]. Scripts use API tokens. Sessions and tokens are
//! random [`Secret`]s of which only the BLAKE3 digest is stored. The SQL
//! lives in `cartable-store`'s `accounts` module, the HTTP side in
//! `cartable-web`'s `auth` module.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user may do. Admins may do everything; the others only what
/// their role names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Learner,
    Teacher,
    Editor,
    Archivist,
    Broadcaster,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Learner,
        Role::Teacher,
        Role::Editor,
        Role::Archivist,
        Role::Broadcaster,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Teacher => "teacher",
            Role::Editor => "editor",
            Role::Archivist => "archivist",
            Role::Broadcaster => "broadcaster",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AccountError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| AccountError::UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user's mistakes an account operation can meet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error(
        "role \"{0}\" does not exist: use learner, teacher, editor, archivist, broadcaster or admin"
    )]
    UnknownRole(String),
    #[error(
        "login \"{0}\" is not valid: use 1 to 64 lowercase ASCII letters, digits, '.', '_' and '-', starting with a letter or digit"
    )]
    Login(String),
    #[error("the password is too short: use at least {MIN_PASSWORD} characters")]
    PasswordTooShort,
    #[error("the password is too long: use at most {MAX_PASSWORD} bytes")]
    PasswordTooLong,
    #[error("the name is empty or longer than 200 characters")]
    Name,
    #[error(
        "a picture password is {PICTURE_PASSWORD_LEN} pictures, each one of: {}",
        KEY_PICTURES.join(", ")
    )]
    PicturePassword,
    #[error("the system's random number generator failed")]
    Random,
}

pub const MIN_PASSWORD: usize = 8;
/// Longer passwords only make argon2 work harder for an attacker's benefit.
pub const MAX_PASSWORD: usize = 1024;

/// A user's login: what they type to sign in, and their id everywhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

impl Login {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Login {
    type Error = AccountError;
    fn try_from(s: &str) -> Result<Login, AccountError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && s.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Login(s.to_owned()))
        } else {
            Err(AccountError::Login(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Login {
    type Error = AccountError;
    fn try_from(s: String) -> Result<Login, AccountError> {
        Login::try_from(s.as_str())
    }
}

impl From<Login> for String {
    fn from(l: Login) -> String {
        l.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as every part of the platform sees them (never their secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub login: Login,
    pub name: String,
    pub role: Role,
    /// Their picture for picture sign-in (`sun-red`), once a teacher gave one.
    pub avatar: Option<String>,
    pub disabled: bool,
}

/// A school: a group of classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct School {
    pub id: String,
    pub name: String,
    /// The district (or province) the school belongs to; "" when not given.
    pub district: String,
}

/// A class of a school: teachers belong to it, learners are enrolled in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    pub id: String,
    pub school: String,
    pub school_name: String,
    pub name: String,
    /// Whether its learners may sign in with pictures.
    pub picture_login: bool,
}

/// Who a member of a class is there as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Membership {
    Teacher,
    Learner,
}

impl Membership {
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Teacher => "teacher",
            Membership::Learner => "learner",
        }
    }

    pub fn parse(s: &str) -> Option<Membership> {
        match s {
            "teacher" => Some(Membership::Teacher),
            "learner" => Some(Membership::Learner),
            _ => None,
        }
    }
}

/// A display name: trimmed, non-empty, at most 200 characters.
pub fn check_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AccountError::Name);
    }
    Ok(name.to_owned())
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.len() > MAX_PASSWORD {
        Err(AccountError::PasswordTooLong)
    } else if password.chars().count() < MIN_PASSWORD {
        Err(AccountError::PasswordTooShort)
    } else {
        Ok(())
    }
}

/// argon2id with OWASP's first recommended setting: 19 MiB of memory, two
/// passes, one lane. One hash takes about 25 ms on one core of the
/// benchmark machine (see BENCHMARKS.md), and 19 MiB per sign-in in flight
/// stays small on a 1 GB box when the web layer lets only a few run at once.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// Hashes a password (or a picture password's canonical text) into a PHC
/// string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Slow by design: call it
/// off the async runtime.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AccountError::Random)?;
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AccountError::Random)
}

/// Whether `password` matches a PHC string made by [`hash_password`]; a
/// damaged hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random secret: 32 bytes from the OS, in lowercase hex. Sessions, CSRF
/// tokens, API tokens and generated passwords are made from these.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new() -> Result<Secret, AccountError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| AccountError::Random)?;
        Ok(Secret(hex(&bytes)))
    }

    pub fn from_text(text: &str) -> Secret {
        Secret(text.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored in place of the secret. Secrets carry 256 random
    /// bits, so a fast hash is enough: nobody can guess one from it.
    pub fn digest(&self) -> String {
        blake3::hash(self.0.as_bytes()).to_hex().to_string()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A password for a new learner: twelve characters from an alphabet
/// without look-alikes (no 0/o, 1/l/i), easy to copy from a printed list.
pub fn generate_password() -> Result<String, AccountError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|_| AccountError::Random)?;
    // 256 is not a multiple of 31: the slight bias leaves ~58 bits, ample
    // for a first password that a teacher hands out.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

fn random_below(n: usize) -> Result<usize, AccountError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|_| AccountError::Random)?;
    Ok(u32::from_le_bytes(bytes) as usize % n)
}

/// The pictures a learner who cannot read signs in with. Each has a name
/// that the page reads out to screen readers, translated in the UI.
pub const PICTURES: [&str; 12] = [
    "sun", "moon", "star", "tree", "flower", "fish", "house", "heart", "apple", "ball", "cloud",
    "boat",
];
/// The colours an avatar's picture comes in, so that a class of up to 72
/// learners has a different avatar for each.
pub const COLOURS: [&str; 6] = ["red", "blue", "green", "orange", "purple", "teal"];
/// The nine pictures of the picture-password keypad.
pub const KEY_PICTURES: [&str; 9] = [
    "sun", "moon", "star", "tree", "flower", "fish", "house", "heart", "apple",
];
pub const PICTURE_PASSWORD_LEN: usize = 3;

/// A learner's own picture: one of [`PICTURES`] in one of [`COLOURS`],
/// written `sun-red`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Avatar {
    pub picture: &'static str,
    pub colour: &'static str,
}

impl Avatar {
    pub fn parse(s: &str) -> Option<Avatar> {
        let (p, c) = s.split_once('-')?;
        Some(Avatar {
            picture: PICTURES.into_iter().find(|x| *x == p)?,
            colour: COLOURS.into_iter().find(|x| *x == c)?,
        })
    }

    /// An avatar not in `taken` when one is left, else any.
    pub fn pick(taken: &[String]) -> Result<Avatar, AccountError> {
        let all: Vec<Avatar> = COLOURS
            .into_iter()
            .flat_map(|c| {
                PICTURES.into_iter().map(move |p| Avatar {
                    picture: p,
                    colour: c,
                })
            })
            .collect();
        let free: Vec<&Avatar> = all
            .iter()
            .filter(|a| !taken.contains(&a.to_string()))
            .collect();
        let from = if free.is_empty() {
            all.iter().collect()
        } else {
            free
        };
        Ok(from[random_below(from.len())?].clone())
    }
}

impl fmt::Display for Avatar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.picture, self.colour)
    }
}

/// Three pictures from the keypad, in order. 729 possibilities: weak on
/// its own, which is why picture sign-in is per class, opt-in, and
/// limited to a few failures per learner (see the web crate's limiter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicturePassword(pub Vec<&'static str>);

impl PicturePassword {
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<PicturePassword, AccountError> {
        if names.len() != PICTURE_PASSWORD_LEN {
            return Err(AccountError::PicturePassword);
        }
        names
            .iter()
            .map(|n| {
                KEY_PICTURES
                    .into_iter()
                    .find(|k| *k == n.as_ref())
                    .ok_or(AccountError::PicturePassword)
            })
            .collect::<Result<_, _>>()
            .map(PicturePassword)
    }

    pub fn generate() -> Result<PicturePassword, AccountError> {
        (0..PICTURE_PASSWORD_LEN)
            .map(|_| random_below(KEY_PICTURES.len()).map(|i| KEY_PICTURES[i]))
            .collect::<Result<_, _>>()
            .map(PicturePassword)
    }

    /// The text that is hashed: names joined by spaces.
    pub fn canonical(&self) -> String {
        self.0.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsE"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn logins_roles_and_passwords_are_checked() {
        assert!(Login::try_from("amina.b_2").is_ok());
        for bad in ["", "Amina", "-a", "a b", "é", &"a".repeat(65)] {
            assert!(Login::try_from(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Role::parse("teacher"), Ok(Role::Teacher));
        assert!(Role::parse("root").is_err());
        assert_eq!(check_password("short"), Err(AccountError::PasswordTooShort));
        assert_eq!(
            check_password(&"x".repeat(1025)),
            Err(AccountError::PasswordTooLong)
        );
    }

    #[test]
    fn generated_secrets_differ_and_compare_in_constant_time() {
        let a = Secret::new().unwrap();
        let b = Secret::new().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 64);
        assert!(same_secret(a.expose(), a.expose()));
        assert!(!same_secret(a.expose(), b.expose()));
        let p = generate_password().unwrap();
        assert_eq!(p.len(), 12);
        assert!(check_password(&p).is_ok());
    }

    #[test]
    fn picture_passwords_and_avatars_round_trip() {
        let p = PicturePassword::generate().unwrap();
        assert_eq!(
            PicturePassword::parse(&p.canonical().split(' ').collect::<Vec<_>>()),
            Ok(p)
        );
        assert!(PicturePassword::parse(&["sun", "moon"]).is_err());
        assert!(PicturePassword::parse(&["sun", "moon", "dragon"]).is_err());
        let taken: Vec<String> = (0..71)
            .map(|i| format!("{}-{}", PICTURES[i % 12], COLOURS[i / 12]))
            .collect();
        let last = Avatar::pick(&taken).unwrap();
        assert_eq!(last.to_string(), "boat-teal");
        assert_eq!(Avatar::parse("boat-teal"), Some(last));
        assert_eq!(Avatar::parse("boat-black"), None);
    }
}
