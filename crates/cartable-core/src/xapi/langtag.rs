//! RFC 5646 language tags, the language maps keyed by them (4.2), and the
//! `Accept-Language` matching that `format=canonical` applies to each map
//! (Communication 2.1.3.s4).
//!
//! The LRS "MUST at least validate that the sequence of token lengths for
//! language map keys matches the RFC 5646 standard" (2.2.s4.b2); this checks
//! the full grammar of section 2.1, refuses what section 2.2.9 calls invalid
//! without the registry (a repeated extension singleton or variant) and the
//! four-letter primary subtags RFC 5646 reserves. It does not look subtags up
//! in the IANA registry, which would need a copy of the registry.

use serde_json::Value;

use super::Invalid;
use super::json::{invalid, key_path, wrong_type};

/// Tags the grammar would refuse but RFC 5646 keeps ("irregular
/// grandfathered"); the regular ones already fit the grammar.
const IRREGULAR: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
];

fn alpha(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_variant(s: &str) -> bool {
    alnum(s, 5, 8) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit() && alnum(s, 4, 4))
}

/// True when `tag` is a well-formed, non-reserved RFC 5646 language tag
/// (`en`, `fr-CA`, `zh-Hant-TW`, `sr-Latn-RS`, `x-private`, `i-klingon`).
pub fn is_language_tag(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    if IRREGULAR.contains(&lower.as_str()) {
        return true;
    }
    let parts: Vec<&str> = lower.split('-').collect();
    if parts.first() == Some(&"x") {
        return private_use(&parts[1..]);
    }
    langtag(&parts)
}

fn private_use(rest: &[&str]) -> bool {
    !rest.is_empty() && rest.iter().all(|p| alnum(p, 1, 8))
}

fn langtag(parts: &[&str]) -> bool {
    let at = |i: usize| parts.get(i).copied().unwrap_or("");
    // language: 2-3 letters with up to three extlangs, or 5-8 letters.
    // Four letters are reserved for future use (RFC 5646 2.2.1).
    let mut i = 1;
    if alpha(at(0), 2, 3) {
        while i < 4 && alpha(at(i), 3, 3) {
            i += 1;
        }
    } else if !alpha(at(0), 5, 8) {
        return false;
    }
    if alpha(at(i), 4, 4) {
        i += 1; // script
    }
    if alpha(at(i), 2, 2) || digits(at(i), 3) {
        i += 1; // region
    }
    let mut variants = Vec::new();
    while is_variant(at(i)) {
        if variants.contains(&at(i)) {
            return false;
        }
        variants.push(at(i));
        i += 1;
    }
    let mut singletons = Vec::new();
    while at(i).len() == 1 && at(i) != "x" && alnum(at(i), 1, 1) {
        if singletons.contains(&at(i)) {
            return false;
        }
        singletons.push(at(i));
        i += 1;
        let start = i;
        while alnum(at(i), 2, 8) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if at(i) == "x" {
        return private_use(&parts[i + 1..]);
    }
    i == parts.len()
}

/// Checks a language map: a JSON object whose keys are language tags and
/// whose values are strings. An empty map is accepted: the specification
/// only says objects SHOULD NOT be empty (2.2.s2.b1).
pub(super) fn check_language_map(v: &Value, path: &str) -> Result<(), Invalid> {
    let map = v
        .as_object()
        .ok_or_else(|| wrong_type(path, "a language map (an object keyed by language tags)", v))?;
    for (tag, text) in map {
        let at = key_path(path, tag);
        if !is_language_tag(tag) {
            return Err(invalid(
                at,
                format!("\"{tag}\" is not an RFC 5646 language tag"),
            ));
        }
        if !text.is_string() {
            return Err(wrong_type(&at, "a string", text));
        }
    }
    Ok(())
}

/// Parses an `Accept-Language` header into language ranges, most preferred
/// first (RFC 2616 14.4): `q` weights sort them, equal weights keep header
/// order, `q=0` ranges are dropped.
pub fn accept_languages(header: &str) -> Vec<String> {
    let mut ranges: Vec<(String, f64)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim();
            if range.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f64>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then(|| (range.to_owned(), q))
        })
        .collect();
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranges.into_iter().map(|(r, _)| r).collect()
}

/// The best key of a language map for ordered preferences: for each range
/// in turn an exact match, then a tag the range is a prefix of (RFC 2616
/// 14.4, `*` matching anything); failing that, a tag with the same primary
/// language as some range; failing that, the map's first key.
pub(super) fn best_language<'m>(keys: &[&'m str], prefs: &[String]) -> Option<&'m str> {
    let matches = |range: &str, tag: &str| {
        range == "*"
            || tag.eq_ignore_ascii_case(range)
            || (tag.len() > range.len()
                && tag.as_bytes()[range.len()] == b'-'
                && tag[..range.len()].eq_ignore_ascii_case(range))
    };
    let primary = |tag: &str| tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    prefs
        .iter()
        .find_map(|r| keys.iter().find(|k| matches(r, k)))
        .or_else(|| {
            prefs
                .iter()
                .find_map(|r| keys.iter().find(|k| primary(k) == primary(r)))
        })
        .or_else(|| keys.first())
        .copied()
}
