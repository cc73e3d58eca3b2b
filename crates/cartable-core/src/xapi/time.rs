//! ISO 8601 timestamps (4.5): parsed for `timestamp`, `stored` and the
//! `since`/`until` parameters, written the way this LRS writes `stored`.
//!
//! Hand-written rather than chrono's RFC 3339 parser because xAPI asks for
//! ISO 8601's combined date and time, which is wider (basic format, offsets
//! like `+0100`, reduced precision `T10:30`), and because the conformance
//! suite expects the "unknown offset" forms `-00:00`, `-0000` and `-00` to be
//! refused, which RFC 3339 allows.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

/// Parses a timestamp as xAPI allows (ISO 8601 combined date and time,
/// extended `2026-01-01T10:00:00.123+01:00` or basic `20260101T100000Z`, `.`
/// or `,` before a fraction of any length) into a UTC instant. A timestamp
/// without an offset is read as UTC; a negative zero offset, which means
/// "offset unknown", is refused.
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    parse(s).ok_or_else(|| {
        format!("\"{s}\" is not an ISO 8601 timestamp like \"2026-01-01T10:00:00.000Z\"")
    })
}

/// Formats an instant the way the LRS writes `stored`: RFC 3339 in UTC with
/// milliseconds and `Z` (4.5.s1.b3, b6).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads `n` ASCII digits from the front of `s`.
fn take_digits(s: &mut &str, n: usize) -> Option<u32> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    *s = &s[n..];
    head.parse().ok()
}

fn take(s: &mut &str, c: char) -> bool {
    match s.strip_prefix(c) {
        Some(rest) => {
            *s = rest;
            true
        }
        None => false,
    }
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    let mut rest = s;
    let year = take_digits(&mut rest, 4)?;
    let extended = take(&mut rest, '-');
    let month = take_digits(&mut rest, 2)?;
    if extended && !take(&mut rest, '-') {
        return None;
    }
    let day = take_digits(&mut rest, 2)?;
    if !(take(&mut rest, 'T') || take(&mut rest, 't')) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = parse_time(&mut rest, extended)?;
    let offset = parse_offset(rest)?;
    let local = date.and_time(time);
    let fixed: DateTime<FixedOffset> = offset.from_local_datetime(&local).single()?;
    Some(fixed.with_timezone(&Utc))
}

/// `hh:mm[:ss[.fff]]` (or `hhmm[ss[.fff]]` in basic format).
fn parse_time(rest: &mut &str, extended: bool) -> Option<NaiveTime> {
    let hour = take_digits(rest, 2)?;
    if extended && !take(rest, ':') {
        return None;
    }
    let minute = take_digits(rest, 2)?;
    let has_seconds = if extended {
        take(rest, ':')
    } else {
        rest.starts_with(|c: char| c.is_ascii_digit())
    };
    let (second, nanos) = if has_seconds {
        let second = take_digits(rest, 2)?;
        (second, parse_fraction(rest)?)
    } else {
        (0, 0)
    };
    // A leap second is carried in the nanoseconds, as chrono expects.
    let (second, nanos) = if second == 60 {
        (59, nanos + 1_000_000_000)
    } else {
        (second, nanos)
    };
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

/// An optional `.fff` or `,fff` of any length, truncated to nanoseconds.
fn parse_fraction(rest: &mut &str) -> Option<u32> {
    if !(take(rest, '.') || take(rest, ',')) {
        return Some(0);
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut nanos = 0u32;
    for (i, b) in rest
        .bytes()
        .take(9)
        .take_while(u8::is_ascii_digit)
        .enumerate()
    {
        nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
    }
    *rest = &rest[digits..];
    Some(nanos)
}

/// `Z`, `±hh:mm`, `±hhmm`, `±hh`, or nothing (read as UTC).
fn parse_offset(rest: &str) -> Option<FixedOffset> {
    if rest.is_empty() || rest == "Z" || rest == "z" {
        return FixedOffset::east_opt(0);
    }
    let mut s = rest;
    let negative = if take(&mut s, '-') {
        true
    } else if take(&mut s, '+') {
        false
    } else {
        return None;
    };
    let hours = take_digits(&mut s, 2)?;
    let colon = take(&mut s, ':');
    let minutes = if s.is_empty() && !colon {
        0
    } else {
        take_digits(&mut s, 2)?
    };
    if !s.is_empty() || hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    if negative && seconds == 0 {
        return None;
    }
    FixedOffset::east_opt(if negative { -seconds } else { seconds })
}
