//! The words of cartable as Rust types: ids, languages, the level and subject
//! taxonomy, capsule manifests and the rendition sets the media pipeline
//! produces.
//!
//! This crate does no networking and runs no async runtime, so it builds in
//! seconds and every other crate can lean on it. Start with [`manifest`] to
//! see what an editor hands to `cartable import capsules`, and
//! [`renditions`] for what the transcoder hands back.

pub mod accounts;
pub mod archive;
pub mod catalog;
pub mod competition;
pub mod course;
pub mod enrolment;
pub mod ids;
pub mod library;
pub mod literacy;
pub mod live;
pub mod manifest;
pub mod progress;
pub mod quiz;
pub mod renditions;
pub mod satchel;
pub mod sync;
pub mod taxonomy;
pub mod xapi;

pub use ids::{BlobHash, CapsuleId, IdError, Lang, LevelId, ProgrammeId, SubjectId};
pub use taxonomy::Taxonomy;

use std::collections::BTreeMap;

/// Text given in several languages, keyed by language code.
pub type Translations = BTreeMap<Lang, String>;

/// Picks the best text for `want`: that language, then French, English and
/// Arabic (the platform's three interface languages), then any.
pub fn pick<'a>(texts: &'a Translations, want: &str) -> Option<&'a str> {
    [want, "fr", "en", "ar"]
        .iter()
        .find_map(|l| texts.get(*l))
        .or_else(|| texts.values().next())
        .map(String::as_str)
}

/// Appends `text` to `out` escaped for HTML text and attribute values.
pub fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
