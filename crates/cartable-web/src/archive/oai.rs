//! OAI-PMH 2.0 at `/oai`: the archive as national and international
//! portals harvest it.
//!
//! Six verbs, one metadata format (`oai_dc`, the dcterms refinements dumbed
//! down to the fifteen elements), collections as sets, seconds granularity
//! (`YYYY-MM-DDThh:mm:ssZ`; day-granularity arguments are accepted too),
//! deleted records kept for ever (`persistent`; an item made staff-only is
//! reported deleted as well).
//!
//! Lists come [`PAGE`] records at a time. A resumption token carries the
//! selection, the position as (datestamp, identifier) of the last record
//! sent, the list's size, and the upper datestamp frozen at the first
//! request: the next page starts after that record whatever was added,
//! changed or deleted meanwhile, so no record is sent twice, and one that
//! changed during the harvest comes with the next incremental harvest
//! (`from` = this harvest's first responseDate), as the protocol
//! recommends.
//!
//! The XML is written by hand: a handful of fixed elements around escaped
//! text, far simpler than driving an XML writer for it.

use crate::Shared;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cartable_core::archive::simple_element;
use cartable_store::archive::{Selection, StoredItem};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Records per page of a list.
pub const PAGE: i64 = 100;
const VERBS: [&str; 6] = [
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "ListIdentifiers",
    "ListRecords",
    "GetRecord",
];

/// An OAI-PMH error: its code and message; the code [`FAULT`] is the
/// repository's own fault, answered 503 rather than as a protocol error.
struct OaiError(&'static str, String);

const FAULT: &str = "fault";

fn fault(e: cartable_store::StoreError) -> OaiError {
    tracing::error!(error = %e, "OAI-PMH");
    OaiError(FAULT, String::new())
}

fn bad(code: &'static str, message: impl Into<String>) -> OaiError {
    OaiError(code, message.into())
}

/// Appends `text` escaped for XML, leaving out the characters XML 1.0
/// cannot carry (control characters from real exports).
pub fn xml_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn esc(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    xml_text(&mut s, text);
    s
}

/// A datestamp as OAI-PMH writes it.
pub fn datestamp(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A `from` or `until` argument: seconds, and whether it was a day.
fn parse_date(text: &str, end_of_day: bool) -> Option<(i64, bool)> {
    if text.len() == 10 {
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let t = if end_of_day {
            day.and_hms_opt(23, 59, 59)?
        } else {
            day.and_hms_opt(0, 0, 0)?
        };
        return Some((t.and_utc().timestamp(), true));
    }
    if text.len() == 20 && text.ends_with('Z') {
        let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").ok()?;
        return Some((t.and_utc().timestamp(), false));
    }
    None
}

/// What a resumption token carries.
#[derive(Serialize, Deserialize)]
struct Token {
    /// The verb it continues.
    v: String,
    from: Option<i64>,
    until: i64,
    set: Option<String>,
    /// Records sent before this page.
    cursor: i64,
    size: i64,
    /// The last record sent: datestamp and id.
    at: i64,
    id: String,
}

fn encode_token(t: &Token) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode_token(s: &str) -> Option<Token> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
}

/// The request's arguments, from the query (GET) or the form body (POST).
fn arguments(query: Option<&str>, body: &[u8]) -> Result<Vec<(String, String)>, OaiError> {
    let pairs: Vec<(String, String)> = match query.filter(|q| !q.is_empty()) {
        Some(q) => serde_urlencoded::from_str(q),
        None => serde_urlencoded::from_bytes(body),
    }
    .map_err(|_| bad("badArgument", "the arguments are not a valid query string"))?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(bad(
                "badArgument",
                format!("the argument {k} is given twice"),
            ));
        }
    }
    Ok(pairs)
}

pub async fn get(
    State(state): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&state, &headers, query.as_deref(), &[]).await
}

pub async fn post(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    answer(&state, &headers, None, &body).await
}

/// The repository's identifier, the middle of every OAI identifier: the
/// platform's host name.
pub fn repository_id(state: &Shared) -> String {
    let url = &state.settings.public_url;
    let host = url.split("://").nth(1).unwrap_or(url);
    host.split(['/', ':'])
        .next()
        .unwrap_or("cartable")
        .to_owned()
}

pub fn oai_identifier(state: &Shared, id: &str) -> String {
    format!("oai:{}:{id}", repository_id(state))
}

fn base_url(state: &Shared, headers: &HeaderMap) -> String {
    format!("{}/oai", super::iiif::origin(state, headers))
}

async fn answer(state: &Shared, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Response {
    let now = cartable_store::now();
    let base = base_url(state, headers);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
"#);
    let _ = writeln!(out, "<responseDate>{}</responseDate>", datestamp(now));
    let args = arguments(query, body);
    let result = match &args {
        Ok(args) => {
            let mut body = String::with_capacity(64 * 1024);
            match respond(state, args, now, &base, &mut body).await {
                Ok(()) => {
                    out.push_str("<request");
                    for (k, v) in args {
                        let _ = write!(out, " {}=\"{}\"", k, esc(v));
                    }
                    let _ = writeln!(out, ">{}</request>", esc(&base));
                    out.push_str(&body);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Err(_) => Err(bad(
            "badArgument",
            "the arguments are not a valid query string",
        )),
    };
    if let Err(OaiError(FAULT, _)) = result {
        let mut r = (
            StatusCode::SERVICE_UNAVAILABLE,
            "the repository could not answer; try again\n",
        )
            .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return r;
    }
    if let Err(OaiError(code, message)) = result {
        // With badVerb and badArgument the request element carries no
        // attributes (the protocol, 3.2); with the others, the arguments.
        match (&args, code) {
            (Ok(args), c) if c != "badVerb" && c != "badArgument" => {
                out.push_str("<request");
                for (k, v) in args {
                    let _ = write!(out, " {}=\"{}\"", k, esc(v));
                }
                let _ = writeln!(out, ">{}</request>", esc(&base));
            }
            _ => {
                let _ = writeln!(out, "<request>{}</request>", esc(&base));
            }
        }
        let _ = writeln!(out, "<error code=\"{code}\">{}</error>", esc(&message));
    }
    out.push_str("</OAI-PMH>\n");
    let mut response = (StatusCode::OK, out).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn only(args: &[(String, String)], allowed: &[&str], required: &[&str]) -> Result<(), OaiError> {
    for (k, _) in args {
        if k != "verb" && !allowed.contains(&k.as_str()) {
            return Err(bad(
                "badArgument",
                format!("the argument {k} is not one of this verb's"),
            ));
        }
    }
    for r in required {
        if !args.iter().any(|(k, _)| k == r) {
            return Err(bad("badArgument", format!("the argument {r} is required")));
        }
    }
    Ok(())
}

fn arg<'a>(args: &'a [(String, String)], name: &str) -> Option<&'a str> {
    args.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn respond(
    state: &Shared,
    args: &[(String, String)],
    now: i64,
    base: &str,
    out: &mut String,
) -> Result<(), OaiError> {
    let verb = match arg(args, "verb") {
        Some(v) if VERBS.contains(&v) => v,
        Some(v) => return Err(bad("badVerb", format!("\"{v}\" is not an OAI-PMH verb"))),
        None => return Err(bad("badVerb", "the verb argument is missing")),
    };
    match verb {
        "Identify" => {
            only(args, &[], &[])?;
            let earliest = state
                .db
                .archive_earliest()
                .await
                .map_err(fault)?
                .unwrap_or(now);
            let s = &state.settings;
            let _ = writeln!(
                out,
                "<Identify><repositoryName>{}</repositoryName><baseURL>{}</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>{}</adminEmail><earliestDatestamp>{}</earliestDatestamp><deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>",
                esc(&s.archive_name),
                esc(base),
                esc(&s.archive_email),
                datestamp(earliest)
            );
            Ok(())
        }
        "ListMetadataFormats" => {
            only(args, &["identifier"], &[])?;
            if let Some(identifier) = arg(args, "identifier") {
                find(state, identifier).await?;
            }
            out.push_str("<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix><schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat></ListMetadataFormats>\n");
            Ok(())
        }
        "ListSets" => {
            only(args, &["resumptionToken"], &[])?;
            if let Some(t) = arg(args, "resumptionToken") {
                return Err(bad(
                    "badResumptionToken",
                    format!("\"{t}\" is not a token this repository gave: set lists come whole"),
                ));
            }
            let sets = state.db.archive_collection_list().await.map_err(fault)?;
            if sets.is_empty() {
                return Err(bad("noSetHierarchy", "this archive has no collections"));
            }
            out.push_str("<ListSets>");
            for c in sets {
                let _ = write!(
                    out,
                    "<set><setSpec>{}</setSpec><setName>{}</setName></set>",
                    esc(&c.id),
                    esc(&c.title)
                );
            }
            out.push_str("</ListSets>\n");
            Ok(())
        }
        "GetRecord" => {
            only(
                args,
                &["identifier", "metadataPrefix"],
                &["identifier", "metadataPrefix"],
            )?;
            prefix(arg(args, "metadataPrefix"))?;
            let item = find(state, arg(args, "identifier").unwrap_or_default()).await?;
            out.push_str("<GetRecord>");
            record(state, out, &item, true);
            out.push_str("</GetRecord>\n");
            Ok(())
        }
        _ => list(state, args, verb, now, out).await,
    }
}

fn prefix(p: Option<&str>) -> Result<(), OaiError> {
    match p {
        Some("oai_dc") => Ok(()),
        Some(p) => Err(bad(
            "cannotDisseminateFormat",
            format!("\"{p}\" is not offered: only oai_dc"),
        )),
        None => Err(bad(
            "badArgument",
            "the argument metadataPrefix is required",
        )),
    }
}

/// The item an OAI identifier names.
async fn find(state: &Shared, identifier: &str) -> Result<StoredItem, OaiError> {
    let not_found = || {
        bad(
            "idDoesNotExist",
            format!("\"{identifier}\" is not in this repository"),
        )
    };
    let prefix = format!("oai:{}:", repository_id(state));
    let id = identifier.strip_prefix(&prefix).ok_or_else(not_found)?;
    state
        .db
        .archive_item(id)
        .await
        .map_err(fault)?
        .ok_or_else(not_found)
}

async fn list(
    state: &Shared,
    args: &[(String, String)],
    verb: &str,
    now: i64,
    out: &mut String,
) -> Result<(), OaiError> {
    let token = match arg(args, "resumptionToken") {
        Some(t) => {
            if args.len() != 2 {
                return Err(bad(
                    "badArgument",
                    "resumptionToken is an exclusive argument",
                ));
            }
            let token = decode_token(t).filter(|tok| tok.v == verb).ok_or_else(|| {
                bad(
                    "badResumptionToken",
                    format!("\"{t}\" is not a token this repository gave for {verb}"),
                )
            })?;
            Some(token)
        }
        None => {
            only(
                args,
                &["metadataPrefix", "from", "until", "set"],
                &["metadataPrefix"],
            )?;
            prefix(arg(args, "metadataPrefix"))?;
            None
        }
    };
    let token = match token {
        Some(t) => t,
        None => {
            let from = arg(args, "from")
                .map(|f| {
                    parse_date(f, false).ok_or_else(|| {
                        bad(
                            "badArgument",
                            format!("from: \"{f}\" is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"),
                        )
                    })
                })
                .transpose()?;
            let until = arg(args, "until")
                .map(|u| {
                    parse_date(u, true).ok_or_else(|| {
                        bad(
                            "badArgument",
                            format!("until: \"{u}\" is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"),
                        )
                    })
                })
                .transpose()?;
            if let (Some((_, a)), Some((_, b))) = (from, until)
                && a != b
            {
                return Err(bad(
                    "badArgument",
                    "from and until must have the same granularity",
                ));
            }
            if let (Some((f, _)), Some((u, _))) = (from, until)
                && f > u
            {
                return Err(bad("badArgument", "from is later than until"));
            }
            let set = arg(args, "set").map(str::to_owned);
            if set.is_some()
                && state
                    .db
                    .archive_collection_list()
                    .await
                    .map_err(fault)?
                    .is_empty()
            {
                return Err(bad("noSetHierarchy", "this archive has no collections"));
            }
            // The list is frozen at this moment: what changes later comes
            // with the next harvest.
            let until = until.map_or(now, |(u, _)| u.min(now));
            let sel = Selection {
                from: from.map(|f| f.0),
                until: Some(until),
                set: set.clone(),
            };
            let size = state.db.archive_page_count(&sel).await.map_err(fault)?;
            Token {
                v: verb.to_owned(),
                from: sel.from,
                until,
                set,
                cursor: 0,
                size,
                at: i64::MIN,
                id: String::new(),
            }
        }
    };
    let sel = Selection {
        from: token.from,
        until: Some(token.until),
        set: token.set.clone(),
    };
    let after = (token.at != i64::MIN).then_some((token.at, token.id.as_str()));
    let page = state
        .db
        .archive_page(&sel, after, PAGE)
        .await
        .map_err(fault)?;
    if page.is_empty() {
        return Err(if token.cursor == 0 {
            bad("noRecordsMatch", "no record matches these arguments")
        } else {
            bad(
                "badResumptionToken",
                "this token's list has no more records",
            )
        });
    }
    out.push_str(if verb == "ListRecords" {
        "<ListRecords>"
    } else {
        "<ListIdentifiers>"
    });
    for item in &page {
        record(state, out, item, verb == "ListRecords");
    }
    let sent = token.cursor + page.len() as i64;
    let more = page.len() as i64 == PAGE && sent < token.size;
    if more || token.cursor > 0 {
        let next = if more {
            let last = page
                .last()
                .map(|i| (i.updated_at, i.item.id.clone()))
                .unwrap_or_default();
            encode_token(&Token {
                cursor: sent,
                at: last.0,
                id: last.1,
                ..token
            })
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<resumptionToken completeListSize=\"{}\" cursor=\"{}\">{}</resumptionToken>",
            token.size.max(sent),
            token.cursor,
            next
        );
    }
    out.push_str(if verb == "ListRecords" {
        "</ListRecords>\n"
    } else {
        "</ListIdentifiers>\n"
    });
    Ok(())
}

/// One record (or header only, for ListIdentifiers).
fn record(state: &Shared, out: &mut String, s: &StoredItem, metadata: bool) {
    let deleted = s.withdrawn();
    if metadata {
        out.push_str("<record>");
    }
    out.push_str(if deleted {
        "<header status=\"deleted\">"
    } else {
        "<header>"
    });
    let _ = write!(
        out,
        "<identifier>{}</identifier><datestamp>{}</datestamp>",
        esc(&oai_identifier(state, &s.item.id)),
        datestamp(s.updated_at)
    );
    for set in &s.item.collections {
        let _ = write!(out, "<setSpec>{}</setSpec>", esc(set));
    }
    out.push_str("</header>");
    if metadata {
        if !deleted {
            out.push_str("<metadata>");
            oai_dc(state, out, s);
            out.push_str("</metadata>");
        }
        out.push_str("</record>");
    }
    out.push('\n');
}

/// The item in `oai_dc`.
fn oai_dc(state: &Shared, out: &mut String, s: &StoredItem) {
    out.push_str(r#"<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">"#);
    for v in &s.item.values {
        let element = simple_element(&v.element);
        match &v.lang {
            Some(l) => {
                let _ = write!(out, "<{element} xml:lang=\"{}\">", esc(l));
            }
            None => {
                let _ = write!(out, "<{element}>");
            }
        }
        xml_text(out, &v.value);
        let _ = write!(out, "</{element}>");
    }
    if let Some(r) = &s.item.rights {
        let _ = write!(out, "<dc:rights>{}</dc:rights>", esc(r));
    }
    let _ = write!(
        out,
        "<dc:identifier>{}/{}/archive/items/{}</dc:identifier>",
        esc(state.settings.public_url.trim_end_matches('/')),
        state.settings.default_lang.code(),
        esc(&crate::auth::url_encode(&s.item.id))
    );
    out.push_str("</oai_dc:dc>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_granularities() {
        let midnight = parse_date("2026-11-29T00:00:00Z", false).unwrap();
        assert_eq!(parse_date("2026-11-29", false), Some((midnight.0, true)));
        assert_eq!(
            parse_date("2026-11-29", true).unwrap().0,
            parse_date("2026-11-29T23:59:59Z", false).unwrap().0
        );
        assert!(parse_date("2026-11-29T10:00:00", false).is_none());
        assert!(parse_date("29/11/2026", false).is_none());
        assert_eq!(datestamp(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let t = Token {
            v: "ListRecords".into(),
            from: None,
            until: 5,
            set: Some("maps".into()),
            cursor: 100,
            size: 250,
            at: 3,
            id: "A1".into(),
        };
        let back = decode_token(&encode_token(&t)).unwrap();
        assert_eq!(
            (back.cursor, back.at, back.id.as_str(), back.set.as_deref()),
            (100, 3, "A1", Some("maps"))
        );
        assert!(decode_token("not a token!").is_none());
        assert!(decode_token(&URL_SAFE_NO_PAD.encode(b"{\"v\":1}")).is_none());
    }

    #[test]
    fn control_characters_never_reach_the_xml() {
        assert_eq!(esc("a\u{b}b & <c>\u{FFFE}"), "ab &amp; &lt;c&gt;");
    }
}
