//! Media delivery: every blob at `/media/b/{hash}.{ext}`, and as a named
//! download at `/media/dl/{hash}/{name}`.
//!
//! The URLs are content-addressed, so responses are immutable: a strong
//! ETag (the hash), `Cache-Control: public, max-age=31536000, immutable`,
//! single byte ranges with If-Range, 304 on If-None-Match, and never a
//! cookie, so any HTTP cache or CDN in front can hold them.

use crate::{ApiError, Shared};
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use cartable_core::BlobHash;
use std::ops::RangeInclusive;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Read size for streaming a file: a 1 MB segment is a handful of reads,
/// and 2,000 slow connections hold at most this much each.
const CHUNK: usize = 64 * 1024;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/b/{file}", get(blob))
        .route("/dl/{hash}/{name}", get(download))
}

/// The media type of an extension the platform serves.
fn content_type(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "m3u8" => "application/vnd.apple.mpegurl",
        "mp4" => "video/mp4",
        "m4s" => "video/iso.segment",
        "ts" => "video/mp2t",
        "m4a" | "m4b" => "audio/mp4",
        "jpg" | "jpeg" => "image/jpeg",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "webm" => "video/webm",
        "weba" => "audio/webm",
        "mov" => "video/quicktime",
        "mkv" => "video/x-matroska",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "vtt" => "text/vtt; charset=utf-8",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        "bin" => "application/octet-stream",
        _ => return None,
    })
}

fn parse_hash(text: &str) -> Result<BlobHash, ApiError> {
    BlobHash::try_from(text).map_err(|_| ApiError::NotFound("media".into()))
}

async fn blob(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(file) = path.map_err(|_| ApiError::NotFound("media".into()))?;
    let (hash, ext) = file
        .split_once('.')
        .ok_or_else(|| ApiError::NotFound("media".into()))?;
    let mime = content_type(ext).ok_or_else(|| ApiError::NotFound("media".into()))?;
    serve(&state, &parse_hash(hash)?, mime, None, &headers).await
}

async fn download(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path((hash, name)) = path.map_err(|_| ApiError::NotFound("media".into()))?;
    let ext = name.rsplit_once('.').map_or("bin", |(_, e)| e);
    let mime = content_type(ext).unwrap_or("application/octet-stream");
    // Only plain characters in the offered file name: no header injection,
    // no path in a browser's save dialog.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    serve(&state, &parse_hash(&hash)?, mime, Some(&safe), &headers).await
}

/// Blobs this small (playlists, captions) are read whole.
const SMALL: u64 = 64 * 1024;

/// A local blob, opened: read whole when small, else an open file with
/// the blob's offset in it (0 for a blob file, more inside a satchel) and
/// its size.
enum Local {
    Small(Bytes),
    File(Arc<std::fs::File>, u64, u64),
}

impl Local {
    fn size(&self) -> u64 {
        match self {
            Local::Small(b) => b.len() as u64,
            Local::File(_, _, size) => *size,
        }
    }
}

/// Opens a local blob in one trip to the blocking pool: open, size, and
/// for a small one its bytes. `None` when the blob is not there.
async fn open_local(path: std::path::PathBuf) -> Result<Option<Local>, ApiError> {
    let opened = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Local>> {
        let mut file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let size = file.metadata()?.len();
        if size <= SMALL {
            let mut bytes = Vec::with_capacity(size as usize);
            std::io::Read::read_to_end(&mut file, &mut bytes)?;
            return Ok(Some(Local::Small(bytes.into())));
        }
        Ok(Some(Local::File(Arc::new(file), 0, size)))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(opened?)
}

/// Reads `len` bytes at `offset` in chunks. Hand-written rather than
/// `tokio::fs::File` + `ReaderStream`, which copy every byte twice and send
/// every chunk through the blocking pool: here a chunk already in the page
/// cache (the hot set of a busy origin) is read in place without waiting,
/// and only a chunk that must come from the disk goes to the pool.
fn file_stream(
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::try_unfold((file, offset, len), |(file, offset, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let want = left.min(CHUNK as u64) as usize;
        let mut buf = vec![0; want];
        let (file, buf, n) = match read_cached(&file, &mut buf, offset) {
            Some(n) => (file, buf, n),
            None => tokio::task::spawn_blocking(move || {
                let n = file.read_at(&mut buf, offset);
                n.map(|n| (file, buf, n))
            })
            .await
            .map_err(std::io::Error::other)??,
        };
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "blob shorter than its size",
            ));
        }
        let mut buf = buf;
        buf.truncate(n);
        Ok(Some((
            Bytes::from(buf),
            (file, offset + n as u64, left - n as u64),
        )))
    })
}

/// Reads what the page cache already holds at `offset`, without ever
/// waiting for the disk (`preadv2` with `RWF_NOWAIT`); `None` when the
/// bytes are not cached or the kernel cannot tell.
#[cfg(target_os = "linux")]
fn read_cached(file: &std::fs::File, buf: &mut [u8], offset: u64) -> Option<usize> {
    use rustix::io::{ReadWriteFlags, preadv2};
    let mut slices = [std::io::IoSliceMut::new(buf)];
    preadv2(file, &mut slices, offset, ReadWriteFlags::NOWAIT)
        .ok()
        .filter(|n| *n > 0)
}

#[cfg(not(target_os = "linux"))]
fn read_cached(_: &std::fs::File, _: &mut [u8], _: u64) -> Option<usize> {
    None
}

/// Whether an `If-None-Match` or `If-Range` value names this ETag.
fn names_etag(value: Option<&HeaderValue>, etag: &str) -> bool {
    value.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
        })
    })
}

/// The single range to send, `Ok(None)` for the whole file, or an error for
/// a range that lies wholly outside it. Several ranges, or a header that
/// does not parse, get the whole file, as RFC 9110 allows.
fn wanted_range(
    headers: &HeaderMap,
    etag: &str,
    size: u64,
) -> Result<Option<RangeInclusive<u64>>, ApiError> {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    if headers.contains_key(header::IF_RANGE) && !names_etag(headers.get(header::IF_RANGE), etag) {
        return Ok(None);
    }
    let Ok(parsed) = http_range_header::parse_range_header(range) else {
        return Ok(None);
    };
    match parsed.validate(size) {
        Ok(ranges) if ranges.len() == 1 => Ok(ranges.into_iter().next()),
        Ok(_) => Ok(None),
        Err(_) => Err(ApiError::RangeNotSatisfiable(size)),
    }
}

async fn serve(
    state: &Shared,
    hash: &BlobHash,
    mime: &'static str,
    download: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let etag = format!("\"{hash}\"");
    // A satchel or a local store answers from its file; any other from
    // object_store.
    let (local, size) = match state.blobs.local_path(hash) {
        _ if let Some((file, at, n)) = state.blobs.satchel_slice(hash) => {
            (Some(Local::File(file, at, n)), Some(n))
        }
        Some(path) => {
            let local = open_local(path).await?;
            let size = local.as_ref().map(Local::size);
            (local, size)
        }
        None => (None, state.blobs.size(hash).await?),
    };
    let size = size.ok_or_else(|| ApiError::NotFound("media".into()))?;
    let mut response = if names_etag(headers.get(header::IF_NONE_MATCH), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let range = wanted_range(headers, &etag, size)?;
        let (start, len) = range
            .as_ref()
            .map_or((0, size), |r| (*r.start(), r.end() - r.start() + 1));
        let body = match local {
            Some(Local::Small(bytes)) => {
                Body::from(bytes.slice(start as usize..(start + len) as usize))
            }
            Some(Local::File(file, at, _)) => Body::from_stream(file_stream(file, at + start, len)),
            None if len == 0 => Body::empty(),
            None => Body::from(state.blobs.get_range(hash, start..start + len).await?),
        };
        let mut response = Response::new(body);
        let h = response.headers_mut();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(r) = &range {
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start(), r.end()))
            {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        response
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A picture in SVG opened on its own runs no script (other types are
    // left alone: a sandboxed PDF would not show in Chromium's viewer).
    if mime == "image/svg+xml" {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(name) = download
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
