//! The string formats xAPI restricts: IRIs and IRLs, UUIDs, `mailto:`
//! addresses, hex hashes, Internet media types and ISO 8601 durations, plus
//! the normalisations statement comparison needs. Language tags live in
//! `langtag`, timestamps in `time`.
//!
//! These are hand-written because each is a few lines of grammar and the
//! crates that parse them in full (URLs, e-mail) accept forms xAPI refuses or
//! refuse IRIs xAPI accepts.

/// Checks an IRI (or IRL) the best-effort way the specification allows
/// (2.2.s4.b6): a scheme (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")`, so
/// relative references and fragments are refused, 2.2.s4.b1.b8), something
/// after it, no whitespace or control characters, none of the characters RFC
/// 3987 excludes (`<>"{}|\^` and backtick), well-formed percent escapes and
/// at most one `#`. Non-ASCII characters are welcome: that is what makes it
/// an IRI.
pub fn check_iri(s: &str) -> Result<(), String> {
    let Some((scheme, rest)) = s.split_once(':') else {
        return Err(format!(
            "\"{s}\" is not an IRI: it has no scheme (like \"https:\")"
        ));
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(format!(
            "\"{s}\" is not an IRI: \"{scheme}\" is not a scheme"
        ));
    }
    if rest.is_empty() {
        return Err(format!("\"{s}\" is not an IRI: nothing follows the scheme"));
    }
    if let Some(c) = s.chars().find(|&c| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    }) {
        return Err(format!("\"{s}\" is not an IRI: it contains {c:?}"));
    }
    if s.matches('#').count() > 1 {
        return Err(format!("\"{s}\" is not an IRI: it has more than one '#'"));
    }
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let hex = bytes.get(i + 1..i + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(format!(
                "\"{s}\" is not an IRI: '%' must start a %XX escape"
            ));
        }
    }
    Ok(())
}

/// Checks a UUID in the standard string form (4.4: 8-4-4-4-12 hex digits,
/// either case) and returns it lower-cased. Any version and variant is
/// accepted: RFC 4122's variant is only recommended.
pub fn check_uuid(s: &str) -> Result<String, String> {
    let ok = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "\"{s}\" is not a UUID in standard form (like 8f87ccde-bb56-4c2e-ab83-44982ef22df0)"
        ))
    }
}

/// Checks an `mbox` value, `mailto:` then one e-mail address (2.4.2.3), and
/// returns its canonical form: scheme and domain lower-cased, since both are
/// case-insensitive (2.3.1.b7); the local part is kept.
pub(super) fn check_mailto(s: &str) -> Result<String, String> {
    let bad = || format!("\"{s}\" is not of the form \"mailto:name@example.org\"");
    let addr = match s.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &s[7..],
        _ => return Err(bad()),
    };
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return Err(bad());
    };
    let clean = |part: &str| {
        !part.is_empty()
            && !part.chars().any(|c| {
                c.is_control() || c.is_whitespace() || matches!(c, '@' | '?' | '<' | '>' | '"')
            })
    };
    if !clean(local) || !clean(domain) || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad());
    }
    Ok(format!("mailto:{local}@{}", domain.to_lowercase()))
}

/// Checks an `mbox_sha1sum` (40 hex digits) and returns it lower-cased.
pub(super) fn check_sha1_hex(s: &str) -> Result<String, String> {
    if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "\"{s}\" is not a SHA-1 hash: expected 40 hex digits"
        ))
    }
}

/// Checks an attachment's `sha2`: the hex of a SHA-224, -256, -384 or -512
/// digest (or their SHA-512/t cousins of the same lengths).
pub(super) fn check_sha2_hex(s: &str) -> Result<(), String> {
    if matches!(s.len(), 56 | 64 | 96 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!(
            "\"{s}\" is not a SHA-2 hash: expected 56, 64, 96 or 128 hex digits"
        ))
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Checks an Internet media type (RFC 2046 via 2.4.11): `type/subtype`
/// followed by `; name=value` parameters, values tokens or quoted strings.
pub(super) fn check_media_type(s: &str) -> Result<(), String> {
    let bad = |why: &str| format!("\"{s}\" is not a media type like \"text/plain\": {why}");
    let (essence, mut params) = s.split_once(';').map_or((s, ""), |(e, p)| (e, p));
    let (ty, sub) = essence
        .trim_end()
        .split_once('/')
        .ok_or_else(|| bad("no '/'"))?;
    if !is_token(ty) || !is_token(sub) {
        return Err(bad("type and subtype must be tokens"));
    }
    while !params.is_empty() {
        let (name, rest) = params
            .split_once('=')
            .ok_or_else(|| bad("a parameter has no '='"))?;
        if !is_token(name.trim_start()) {
            return Err(bad("a parameter name is not a token"));
        }
        let rest = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted_end(quoted).ok_or_else(|| bad("a quoted value is not closed"))?;
            &quoted[end + 1..]
        } else {
            let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            if end == 0 {
                return Err(bad("a parameter has no value"));
            }
            &rest[end..]
        };
        params = match rest.trim_start().strip_prefix(';') {
            Some(next) => next,
            None if rest.trim().is_empty() => "",
            None => return Err(bad("parameters must be separated by ';'")),
        };
    }
    Ok(())
}

/// The byte index of the closing quote of a quoted string whose opening
/// quote was already consumed, honouring backslash escapes.
fn quoted_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Checks an ISO 8601:2004 duration in the format of section 4.4.3.2
/// (4.6): `P[nY][nM][nD][T[nH][nM][nS]]` or `PnW` alone, at least one
/// component, a `T` only before time components, a decimal fraction (`.` or
/// `,`) only on the last component. The alternative format
/// (`P0003-01-29T04:35:59`) and signs are refused.
pub(super) fn check_duration(s: &str) -> Result<(), String> {
    let bad = |why: &str| format!("\"{s}\" is not an ISO 8601 duration like \"PT1H30M\": {why}");
    let body = s
        .strip_prefix('P')
        .ok_or_else(|| bad("it must start with 'P'"))?;
    if let Some(weeks) = body.strip_suffix('W') {
        return if !weeks.is_empty() && number_end(weeks) == Some(weeks.len()) {
            Ok(())
        } else {
            Err(bad("weeks cannot be combined with other components"))
        };
    }
    let (date, time) = match body.split_once('T') {
        Some((_, "")) => return Err(bad("'T' must be followed by hours, minutes or seconds")),
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let mut fractions = components(date, "YMD").map_err(|why| bad(&why))?;
    if let Some(t) = time {
        fractions.extend(components(t, "HMS").map_err(|why| bad(&why))?);
    }
    match fractions.iter().position(|&f| f) {
        _ if fractions.is_empty() => Err(bad("it has no component")),
        Some(i) if i + 1 != fractions.len() => {
            Err(bad("only the last component may have a fraction"))
        }
        _ => Ok(()),
    }
}

/// Where a number (digits, optionally a `.`/`,` fraction) ending at a
/// designator stops, if `s` starts with one.
fn number_end(s: &str) -> Option<usize> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    match s.as_bytes().get(digits) {
        Some(b'.' | b',') => {
            let frac = s[digits + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            (frac > 0).then_some(digits + 1 + frac)
        }
        _ => Some(digits),
    }
}

/// Parses `n<designator>` components in the order `designators` gives,
/// returning for each whether it had a fraction.
fn components(mut s: &str, designators: &str) -> Result<Vec<bool>, String> {
    let mut out = Vec::new();
    let mut allowed = designators;
    while !s.is_empty() {
        let end = number_end(s).ok_or("expected a number")?;
        let designator = s[end..]
            .chars()
            .next()
            .ok_or("a number has no designator")?;
        let pos = allowed
            .find(designator)
            .ok_or_else(|| format!("'{designator}' is out of place"))?;
        out.push(s[..end].contains(['.', ',']));
        allowed = &allowed[pos + 1..];
        s = &s[end + 1..];
    }
    Ok(out)
}

/// Drops precision beyond hundredths of a second, which duration comparison
/// ignores (4.6.s1.b5), and the trailing zeros of the seconds, so that
/// `PT12.500S`, `PT12.5S` and `PT12.503S` compare equal.
pub(super) fn truncate_duration(s: &str) -> String {
    let Some(body) = s.strip_suffix('S') else {
        return s.to_owned();
    };
    let start = body
        .rfind(|c: char| !c.is_ascii_digit() && c != '.' && c != ',')
        .map_or(0, |i| i + 1);
    let (head, number) = body.split_at(start);
    let Some((whole, fraction)) = number.split_once(['.', ',']) else {
        return s.to_owned();
    };
    let kept = fraction.get(..2).unwrap_or(fraction).trim_end_matches('0');
    if kept.is_empty() {
        format!("{head}{whole}S")
    } else {
        format!("{head}{whole}.{kept}S")
    }
}

/// Syntax-based normalisation for comparing IRIs (3.1.s2.b1, RFC 3987
/// 5.3.2): scheme and host lower-cased, percent escapes upper-cased.
pub(super) fn normalize_iri(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once(':') else {
        return s.to_owned();
    };
    let mut out = scheme.to_ascii_lowercase();
    out.push(':');
    let rest = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let (authority, path) = after.split_at(end);
            let (userinfo, host) = authority
                .rsplit_once('@')
                .map_or(("", authority), |(u, h)| (u, h));
            out.push_str("//");
            if !userinfo.is_empty() {
                out.push_str(userinfo);
                out.push('@');
            }
            out.push_str(&host.to_lowercase());
            path
        }
        None => rest,
    };
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_uppercase());
                }
            }
        }
    }
    out
}
