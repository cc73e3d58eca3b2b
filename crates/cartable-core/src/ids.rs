//! Validated identifiers. Each is built through `TryFrom<&str>`, so an invalid
//! one cannot exist past the edge of the program.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "{kind} \"{value}\" is not valid: use 1 to 64 lowercase ASCII letters, digits and '-', starting with a letter or digit"
    )]
    Slug { kind: &'static str, value: String },
    #[error(
        "language \"{0}\" is not a language code: use 2 or 3 lowercase letters (ar, fr, en, tr, zgh …)"
    )]
    Lang(String),
    #[error("\"{0}\" is not a BLAKE3 hash: expected 64 lowercase hex digits")]
    Hash(String),
}

/// Whether `s` is a slug: 1 to 64 lowercase ASCII letters, digits and
/// '-', not starting with '-'. Capsules, programmes, banks, quizzes,
/// courses and competitions are named so.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.as_bytes()[0] != b'-'
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $check:expr, $err:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    let err: fn(&'static str, String) -> IdError = $err;
                    Err(err($kind, s.to_owned()))
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::try_from(s.as_str())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A capsule's id, chosen by the editor in the manifest (`fractions-1`).
    CapsuleId, "capsule id", is_slug, |kind, value| IdError::Slug { kind, value }
);
string_id!(
    /// A programme's id (`math-bac-2`).
    ProgrammeId, "programme id", is_slug, |kind, value| IdError::Slug { kind, value }
);
string_id!(
    /// A level of the taxonomy (`primary-5`).
    LevelId, "level id", is_slug, |kind, value| IdError::Slug { kind, value }
);
string_id!(
    /// A subject of the taxonomy (`mathematics`).
    SubjectId, "subject id", is_slug, |kind, value| IdError::Slug { kind, value }
);
string_id!(
    /// A language code as in BCP 47's primary subtag: `ar`, `fr`, `en`, `tr`, `zgh`.
    Lang, "language", |s| (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase()),
    |_, value| IdError::Lang(value)
);
string_id!(
    /// The BLAKE3 hash of a blob, in lowercase hex: the blob's name everywhere.
    BlobHash, "blob hash", |s| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
    |_, value| IdError::Hash(value)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_refuse_what_would_break_a_url_or_a_path() {
        for bad in ["", "-a", "A", "a b", "a/b", "..", "é", &"a".repeat(65)] {
            assert!(CapsuleId::try_from(bad).is_err(), "{bad:?} accepted");
        }
        assert!(CapsuleId::try_from("fractions-1").is_ok());
    }

    #[test]
    fn languages_are_short_lowercase_codes() {
        assert!(Lang::try_from("zgh").is_ok());
        assert!(Lang::try_from("FR").is_err());
        assert!(Lang::try_from("french").is_err());
    }
}
