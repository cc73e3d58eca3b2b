//! Signed statements (2.6): the checks an LRS must make on the JSON web
//! signature carried as an attachment before it stores the statement.
//!
//! It decodes the JWS, checks the algorithm is RS256, RS384 or RS512 and
//! that the signed payload is the same statement as the one received
//! (2.6.s5.b3). It does not verify the RSA signature against an `x5c`
//! certificate: that needs an RSA and X.509 implementation this crate does
//! not carry, and the specification presents it as a way to catch mistakes,
//! not as security (2.6.s5 note).

use serde_json::Value;

use super::compare::same_statement;

/// Checks a signature attachment's content (`jws`, JWS compact serialization
/// or, discouraged but allowed, JWS JSON serialization) against the
/// statement it was received with. Err says why the signature is malformed;
/// the LRS answers 400 (2.6.s5.b1).
pub fn check_signature(jws: &str, statement: &Value) -> Result<(), String> {
    let (header, payload) = split_jws(jws.trim())?;
    let header: Value =
        serde_json::from_slice(&header).map_err(|e| format!("the JWS header is not JSON: {e}"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("RS256" | "RS384" | "RS512") => {}
        Some(other) => {
            return Err(format!(
                "the JWS algorithm must be RS256, RS384 or RS512, not {other}"
            ));
        }
        None => return Err("the JWS header has no \"alg\"".into()),
    }
    let signed: Value = serde_json::from_slice(&payload)
        .map_err(|e| format!("the JWS payload is not a JSON statement: {e}"))?;
    // The payload is the statement "before the signature was added", so the
    // attachments (the signature among them) are left out of the comparison.
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("attachments");
        }
        v
    };
    if same_statement(&strip(&signed), &strip(statement)) {
        Ok(())
    } else {
        Err("the signed payload is not the statement it was sent with".into())
    }
}

/// The decoded protected header and payload of a JWS, from its compact form
/// (`header.payload.signature`) or its JSON forms (flattened or general).
fn split_jws(jws: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    if jws.starts_with('{') {
        let doc: Value =
            serde_json::from_str(jws).map_err(|e| format!("the JWS is not JSON: {e}"))?;
        let sig = doc.get("signatures").and_then(|s| s.get(0)).unwrap_or(&doc);
        let part = |v: Option<&Value>, what: &str| {
            v.and_then(Value::as_str)
                .ok_or_else(|| format!("the JWS has no {what}"))
                .and_then(|s| {
                    base64url(s).ok_or_else(|| format!("the JWS {what} is not base64url"))
                })
        };
        part(sig.get("signature"), "signature")?;
        return Ok((
            part(sig.get("protected"), "protected header")?,
            part(doc.get("payload"), "payload")?,
        ));
    }
    let parts: Vec<&str> = jws.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err("a JWS has three parts separated by '.'".into());
    };
    let decode = |s: &str, what: &str| {
        base64url(s).ok_or_else(|| format!("the JWS {what} is not base64url"))
    };
    if decode(signature, "signature")?.is_empty() {
        return Err("the JWS has an empty signature".into());
    }
    Ok((decode(header, "header")?, decode(payload, "payload")?))
}

/// Decodes unpadded (or padded) base64url. Written here because this crate
/// depends on no base64 library for these twenty lines.
fn base64url(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone trailing character carries fewer than eight bits: malformed.
    (bits < 6).then_some(out)
}
