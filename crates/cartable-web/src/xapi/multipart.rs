//! multipart/mixed bodies, as xAPI sends statements with attachments: the
//! first part is the statement JSON, each further part one attachment
//! named by its `X-Experience-API-Hash`.
//!
//! Written here because the body is already in memory (with a size
//! limit) and the format is small (RFC 2046 §5.1: boundary lines, headers,
//! bytes); the multipart crates in use target streaming form-data uploads.

use bytes::Bytes;

/// One part: its headers (names lower-cased) and bytes.
#[derive(Debug, Clone)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Part {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The boundary of a `multipart/mixed; boundary=…` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Splits a body into its parts; Err says what is malformed.
pub fn parse(boundary: &str, body: &Bytes) -> Result<Vec<Part>, String> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err("the multipart boundary must be 1 to 70 characters".into());
    }
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut at = find(body, d, 0).ok_or("the body does not contain its multipart boundary")?;
    let mut parts = Vec::new();
    loop {
        at += d.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        at = skip_line_end(body, at).ok_or("a boundary line is not followed by a line end")?;
        let next = find(body, d, at).ok_or("the multipart body has no closing boundary")?;
        // The CRLF before a boundary belongs to the boundary.
        let end = if next >= 2 && &body[next - 2..next] == b"\r\n" {
            next - 2
        } else if next >= 1 && body[next - 1] == b'\n' {
            next - 1
        } else {
            return Err("a multipart boundary does not start a line".into());
        };
        parts.push(part(body.slice(at..end))?);
        at = next;
    }
}

fn part(bytes: Bytes) -> Result<Part, String> {
    let (head_end, body_start) = match find(&bytes, b"\r\n\r\n", 0) {
        Some(i) => (i, i + 4),
        None => match find(&bytes, b"\n\n", 0) {
            Some(i) => (i, i + 2),
            None if bytes.starts_with(b"\r\n") => (0, 2),
            None => return Err("a multipart part has no blank line after its headers".into()),
        },
    };
    let head = std::str::from_utf8(&bytes[..head_end])
        .map_err(|_| "a multipart part's headers are not UTF-8".to_owned())?;
    let mut headers = Vec::new();
    for line in head.lines().filter(|l| !l.trim().is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("a multipart header line has no colon: {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(Part {
        headers,
        body: bytes.slice(body_start..),
    })
}

fn skip_line_end(body: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    while i < body.len() && (body[i] == b' ' || body[i] == b'\t') {
        i += 1;
    }
    if body[i..].starts_with(b"\r\n") {
        Some(i + 2)
    } else if body[i..].starts_with(b"\n") {
        Some(i + 1)
    } else {
        None
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Writes parts as a multipart/mixed body with a boundary none of them
/// contains; returns the boundary and the bytes.
pub fn compose(parts: &[Part]) -> Result<(String, Vec<u8>), String> {
    let boundary = loop {
        let mut random = [0_u8; 12];
        getrandom::fill(&mut random).map_err(|e| e.to_string())?;
        let candidate: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let marker = format!("--{candidate}");
        if parts
            .iter()
            .all(|p| find(&p.body, marker.as_bytes(), 0).is_none())
        {
            break candidate;
        }
    };
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        for (name, value) in &p.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((boundary, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip_and_keep_their_bytes() {
        let parts = vec![
            Part {
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::from_static(b"{\"a\":1}"),
            },
            Part {
                headers: vec![("x-experience-api-hash".into(), "ab".into())],
                body: Bytes::from_static(b"line\r\n\r\nbinary \x00\xff"),
            },
        ];
        let (boundary, body) = compose(&parts).unwrap();
        let back = parse(&boundary, &Bytes::from(body)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].header("content-type"), Some("application/json"));
        assert_eq!(back[1].body, parts[1].body);
    }

    #[test]
    fn a_body_without_its_closing_boundary_is_refused() {
        let body = Bytes::from_static(b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
        assert!(parse("b", &body).unwrap_err().contains("closing boundary"));
        assert!(parse("b", &Bytes::from_static(b"nothing")).is_err());
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type() {
        assert_eq!(
            boundary("multipart/mixed; boundary=\"abc def\"").as_deref(),
            Some("abc def")
        );
        assert_eq!(boundary("multipart/mixed").as_deref(), None);
    }
}
