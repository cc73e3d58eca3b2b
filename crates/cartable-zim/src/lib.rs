//! A writer for ZIM archives (openZIM), the offline format Kiwix reads.
//!
//! One call, [`write`], turns a list of entries into a finished `.zim`.
//!
//! # Layout
//!
//! In file order: the 80-byte header, the MIME list, the clusters, the
//! directory entries (dirents) in path order, the path pointer list, the
//! cluster pointer list, and the MD5 of everything before it.
//!
//! Namespaces follow the "new scheme" of libzim 7+ (format 6.1): content in
//! `C`, metadata in `M`, `W/mainPage` as a redirect to the main page (the
//! header's main page points at that redirect), listings in `X`.
//!
//! # The zimcheck 3.1.3 constraint
//!
//! Debian bookworm ships zim-tools 3.1.3 and kiwix-tools 3.3.0, both on
//! libzim 8. Their integrity check reads the header's title pointer as the
//! "v0" full title index: one u32 per entry, every namespace included,
//! sorted by (namespace, title or path if untitled). libzim 9 stopped
//! writing it, and its files fail there with "Full Title index table
//! outside … ZIM file". So this crate writes what libzim 8 writes: the v0
//! list is the blob of `X/listing/titleOrdered/v0`, stored in an
//! uncompressed cluster so that the header's `titlePtrPos` can point at its
//! bytes inside the cluster; `X/listing/titleOrdered/v1` lists the front
//! articles only (and is left out when there are none, as libzim 8 does).
//! There are no Xapian indexes (that needs the Xapian C++ library): Kiwix
//! offers no full-text search, and title suggestions fall back to prefix
//! matches on the listings. kiwix-serve 3.3.0 then repeats each match, a
//! reader quirk that files written by libzim 8 without Xapian share.
//!
//! # Clusters
//!
//! Text-like MIME types go to zstd clusters (about 2 MiB before compression);
//! media and anything else goes to uncompressed clusters, which readers (and
//! HTTP range requests in kiwix-serve) can seek into without decompressing.
//! Offsets switch to 64 bits per cluster only when a cluster passes 4 GiB.
//! [`Content::File`] is streamed through a fixed buffer: memory use does not
//! grow with the size of the videos.
//!
//! # Determinism and atomicity
//!
//! Entries are sorted by path before anything is laid out, zstd runs
//! single-threaded, nothing reads a clock, and the UUID is the BLAKE3 hash
//! of everything after the header. The same inputs give the same bytes,
//! whatever their order. The archive is written to `<out>.tmp` beside `out`
//! and renamed only once complete and synced; on error the temporary file
//! is removed. The checksum covers the header, which is only final at the
//! end, so the file is read back once to compute it.

mod cluster;
mod format;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use cluster::{Cluster, Compression, Packer, Source};
use format::{Header, Target};

/// The `M` entries Kiwix shows in its library. All text fields but `tags`
/// are required by zimcheck.
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    pub name: String,
    pub title: String,
    pub description: String,
    /// ISO 639-3 codes, comma-separated: "fra" or "fra,ara".
    pub language: String,
    pub creator: String,
    pub publisher: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// Semicolon-separated; may be empty.
    pub tags: String,
    /// A 48×48 PNG, stored as `Illustration_48x48@1` (Kiwix's book icon).
    pub illustration_48x48_png: Vec<u8>,
}

#[derive(Clone, Debug)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Streamed at write time, never read whole into memory. Its size must
    /// not change between the call to [`write`] and the end of the write.
    File(PathBuf),
}

/// A content entry, served by Kiwix at `<path>` relative to the book.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Path inside the `C` namespace, without a leading `/`: "index.html".
    pub path: String,
    /// Empty means "use the path".
    pub title: String,
    pub mime: String,
    pub content: Content,
    /// Listed in title search suggestions and random-page picks.
    pub front_article: bool,
}

/// An alias: `path` answers with the content of `target`, both in `C`.
#[derive(Clone, Debug)]
pub struct Redirect {
    pub path: String,
    pub title: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Every dirent, metadata and listings included.
    pub entry_count: u32,
    pub cluster_count: u32,
    pub file_size: u64,
    pub uuid: [u8; 16],
}

#[derive(Debug, thiserror::Error)]
pub enum ZimError {
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} changed size while being archived (expected {expected} bytes)", path.display())]
    ContentChanged { path: PathBuf, expected: u64 },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ZimError + '_ {
    move |source| ZimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, ZimError> {
    Err(ZimError::Invalid(msg.into()))
}

/// Writes a complete ZIM archive at `out`, replacing any file there.
/// `main_page` is the path of an entry or redirect in `entries`/`redirects`.
pub fn write(
    out: &Path,
    meta: &Metadata,
    main_page: &str,
    entries: Vec<Entry>,
    redirects: Vec<Redirect>,
) -> Result<Stats, ZimError> {
    let plan = Plan::new(meta, main_page, entries, redirects)?;
    let Some(name) = out.file_name() else {
        return invalid(format!("output path {} has no file name", out.display()));
    };
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let mut tmp = TempFile {
        path: out.with_file_name(tmp_name),
        keep: false,
    };
    let stats = plan.write_to(&tmp.path)?;
    fs::rename(&tmp.path, out).map_err(io_err(out))?;
    tmp.keep = true;
    Ok(stats)
}

/// Removes the partial file on any early return.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

const TEXT_MIME: &str = "text/plain;charset=UTF-8";
const LISTING_MIME: &str = "application/octet-stream+zimlisting";
const TITLE_V0: &str = "listing/titleOrdered/v0";
const TITLE_V1: &str = "listing/titleOrdered/v1";
const COPY_BUFFER: usize = 256 << 10;

fn compression_for(mime: &str) -> Compression {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let texty = essence.starts_with("text/")
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(
            essence.as_str(),
            "application/javascript" | "application/json" | "application/xml"
        );
    if texty {
        Compression::Zstd
    } else {
        // Media is already compressed; storing it raw also lets readers
        // serve byte ranges straight from the file.
        Compression::None
    }
}

struct Node {
    ns: u8,
    path: String,
    title: String,
    front: bool,
    body: Body,
}

enum Body {
    Item {
        mime: String,
        source: Source,
    },
    /// `index` is the target's position in path order, once sorted.
    Redirect {
        target: String,
        index: u32,
    },
}

impl Node {
    fn item(ns: u8, path: &str, mime: &str, source: Source) -> Node {
        Node {
            ns,
            path: path.to_owned(),
            title: String::new(),
            front: false,
            body: Body::Item {
                mime: mime.to_owned(),
                source,
            },
        }
    }

    fn title_key(&self) -> (u8, &str) {
        let t = if self.title.is_empty() {
            &self.path
        } else {
            &self.title
        };
        (self.ns, t)
    }
}

/// Everything decided before the first byte is written.
struct Plan {
    /// Sorted by (namespace, path): this order is the entry numbering.
    nodes: Vec<Node>,
    mimes: Vec<String>,
    clusters: Vec<Cluster>,
    /// (cluster, blob) of each item, by entry number.
    locations: Vec<(u32, u32)>,
    main_page: u32,
}

impl Plan {
    fn new(
        meta: &Metadata,
        main_page: &str,
        entries: Vec<Entry>,
        redirects: Vec<Redirect>,
    ) -> Result<Plan, ZimError> {
        let mut nodes = gather_nodes(meta, main_page, entries, redirects)?;
        // Byte order of UTF-8 is code point order, what libzim compares.
        nodes.sort_by(|a, b| (a.ns, a.path.as_str()).cmp(&(b.ns, b.path.as_str())));
        if let Some(w) = nodes
            .windows(2)
            .find(|w| (w[0].ns, &w[0].path) == (w[1].ns, &w[1].path))
        {
            return invalid(format!("duplicate path {}/{}", w[0].ns as char, w[0].path));
        }
        // u32::MAX itself means "none" in the header.
        if nodes.len() >= u32::MAX as usize {
            return invalid("too many entries");
        }
        let find = |nodes: &[Node], ns: u8, path: &str| {
            nodes
                .binary_search_by(|n| (n.ns, n.path.as_str()).cmp(&(ns, path)))
                .ok()
        };
        resolve_redirects(&mut nodes, |n, t| find(n, b'C', t))?;
        let Some(main) = find(&nodes, b'W', "mainPage") else {
            return invalid("internal: mainPage missing");
        };

        let mut by_title: Vec<u32> = (0..nodes.len() as u32).collect();
        // Stable: equal titles keep path order, so the result is unique.
        by_title.sort_by(|&a, &b| {
            nodes[a as usize]
                .title_key()
                .cmp(&nodes[b as usize].title_key())
        });
        let listing = |ids: &mut dyn Iterator<Item = u32>| -> Vec<u8> {
            ids.flat_map(u32::to_le_bytes).collect()
        };
        let v0 = listing(&mut by_title.iter().copied());
        let v1 = listing(
            &mut by_title
                .iter()
                .copied()
                .filter(|&i| nodes[i as usize].front),
        );
        let mut listings = Vec::new();
        for (path, bytes) in [(TITLE_V0, v0), (TITLE_V1, v1)] {
            if let Some(i) = find(&nodes, b'X', path) {
                nodes[i].body = Body::Item {
                    mime: LISTING_MIME.into(),
                    source: Source::Bytes(bytes),
                };
                listings.push(i);
            }
        }

        let mimes: Vec<String> = nodes
            .iter()
            .filter_map(|n| match &n.body {
                Body::Item { mime, .. } => Some(mime.clone()),
                Body::Redirect { .. } => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if mimes.len() > format::MAX_MIME_TYPES {
            return invalid("too many distinct MIME types");
        }

        let mut packer = Packer::default();
        for (i, n) in nodes.iter().enumerate() {
            if let Body::Item { mime, source } = &n.body
                && n.ns != b'X'
            {
                packer.add(i, source.len(), compression_for(mime));
            }
        }
        let mut clusters = packer.finish();
        // Its own uncompressed cluster, v0 first: the header's title
        // pointer must address raw bytes in the file.
        clusters.push(Cluster {
            compression: Compression::None,
            members: listings,
        });
        let mut locations = vec![(0, 0); nodes.len()];
        for (c, cluster) in clusters.iter().enumerate() {
            for (b, &m) in cluster.members.iter().enumerate() {
                locations[m] = (c as u32, b as u32);
            }
        }
        Ok(Plan {
            nodes,
            mimes,
            clusters,
            locations,
            main_page: main as u32,
        })
    }

    fn source(&self, i: usize) -> Option<&Source> {
        match &self.nodes[i].body {
            Body::Item { source, .. } => Some(source),
            Body::Redirect { .. } => None,
        }
    }

    fn write_to(&self, path: &Path) -> Result<Stats, ZimError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(io_err(path))?;
        let mut w = Sink {
            inner: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
            hasher: blake3::Hasher::new(),
        };
        w.inner
            .write_all(&[0; format::HEADER_LEN as usize])
            .map_err(io_err(path))?;
        w.pos = format::HEADER_LEN;
        let mime_list_pos = w.pos;
        w.write_all(&format::encode_mime_list(&self.mimes))
            .map_err(io_err(path))?;

        let mut buf = vec![0u8; COPY_BUFFER];
        let mut cluster_ptrs = Vec::with_capacity(self.clusters.len());
        let mut title_ptr_pos = 0;
        for (c, cluster) in self.clusters.iter().enumerate() {
            cluster_ptrs.push(w.pos);
            let blobs: Vec<&Source> = cluster
                .members
                .iter()
                .filter_map(|&m| self.source(m))
                .collect();
            if c + 1 == self.clusters.len() {
                let sizes: Vec<u64> = blobs.iter().map(|s| s.len()).collect();
                title_ptr_pos = w.pos + 1 + cluster::offset_table(&sizes).1.len() as u64;
            }
            cluster::write_cluster(&mut w, path, cluster.compression, &blobs, &mut buf)?;
        }

        let mut url_ptrs = Vec::with_capacity(self.nodes.len());
        let mut dirent = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            url_ptrs.push(w.pos);
            let target = match &n.body {
                Body::Item { mime, .. } => {
                    let (cluster, blob) = self.locations[i];
                    let mime = self.mimes.binary_search(mime).unwrap_or(0) as u16;
                    Target::Blob {
                        mime,
                        cluster,
                        blob,
                    }
                }
                Body::Redirect { index, .. } => Target::Redirect { entry: *index },
            };
            dirent.clear();
            format::encode_dirent(&mut dirent, n.ns, &n.path, &n.title, target);
            w.write_all(&dirent).map_err(io_err(path))?;
        }
        let url_ptr_pos = w.pos;
        for p in &url_ptrs {
            w.write_all(&p.to_le_bytes()).map_err(io_err(path))?;
        }
        let cluster_ptr_pos = w.pos;
        for p in &cluster_ptrs {
            w.write_all(&p.to_le_bytes()).map_err(io_err(path))?;
        }
        let checksum_pos = w.pos;

        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&w.hasher.finalize().as_bytes()[..16]);
        // Mark it as an RFC 9562 version-8 (custom) UUID, as it is not random.
        uuid[6] = (uuid[6] & 0x0f) | 0x80;
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
        let header = Header {
            uuid,
            entry_count: self.nodes.len() as u32,
            cluster_count: self.clusters.len() as u32,
            url_ptr_pos,
            title_ptr_pos,
            cluster_ptr_pos,
            mime_list_pos,
            main_page: self.main_page,
            checksum_pos,
        };
        let mut file = w
            .inner
            .into_inner()
            .map_err(|e| io_err(path)(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
        file.write_all(&header.encode()).map_err(io_err(path))?;
        let digest = md5_prefix(&mut file, checksum_pos, &mut buf).map_err(io_err(path))?;
        file.write_all(&digest).map_err(io_err(path))?;
        file.sync_all().map_err(io_err(path))?;
        Ok(Stats {
            entry_count: header.entry_count,
            cluster_count: header.cluster_count,
            file_size: checksum_pos + 16,
            uuid,
        })
    }
}

/// Every entry of the archive, unsorted, listings still empty.
fn gather_nodes(
    meta: &Metadata,
    main_page: &str,
    entries: Vec<Entry>,
    redirects: Vec<Redirect>,
) -> Result<Vec<Node>, ZimError> {
    let mut nodes = Vec::with_capacity(entries.len() + redirects.len() + 16);
    let mut counter: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        check_path(&e.path)?;
        check_text("title", &e.title)?;
        if e.mime.is_empty() || e.mime.contains('\0') {
            return invalid(format!("bad MIME type {:?} for {}", e.mime, e.path));
        }
        let source = match e.content {
            Content::Bytes(b) => Source::Bytes(b),
            Content::File(path) => {
                let md = fs::metadata(&path).map_err(io_err(&path))?;
                if !md.is_file() {
                    return invalid(format!("{} is not a regular file", path.display()));
                }
                Source::File {
                    path,
                    len: md.len(),
                }
            }
        };
        *counter.entry(e.mime.clone()).or_default() += 1;
        nodes.push(Node {
            ns: b'C',
            path: e.path,
            title: e.title,
            front: e.front_article,
            body: Body::Item {
                mime: e.mime,
                source,
            },
        });
    }
    for r in redirects {
        check_path(&r.path)?;
        check_path(&r.target)?;
        check_text("title", &r.title)?;
        nodes.push(Node {
            ns: b'C',
            path: r.path,
            title: r.title,
            front: false,
            body: Body::Redirect {
                target: r.target,
                index: 0,
            },
        });
    }
    for (key, mime, value) in metadata_items(meta)? {
        nodes.push(Node::item(b'M', key, mime, Source::Bytes(value)));
    }
    let counter: Vec<String> = counter.iter().map(|(m, n)| format!("{m}={n}")).collect();
    let counter = Source::Bytes(counter.join(";").into_bytes());
    nodes.push(Node::item(b'M', "Counter", "text/plain", counter));
    nodes.push(Node {
        ns: b'W',
        path: "mainPage".into(),
        title: String::new(),
        front: false,
        body: Body::Redirect {
            target: main_page.to_owned(),
            index: 0,
        },
    });
    let has_front = nodes.iter().any(|n| n.front);
    nodes.push(Node::item(
        b'X',
        TITLE_V0,
        LISTING_MIME,
        Source::Bytes(Vec::new()),
    ));
    if has_front {
        nodes.push(Node::item(
            b'X',
            TITLE_V1,
            LISTING_MIME,
            Source::Bytes(Vec::new()),
        ));
    }
    Ok(nodes)
}

/// Leaves the file positioned right after the hashed prefix.
fn md5_prefix(file: &mut File, len: u64, buf: &mut [u8]) -> io::Result<[u8; 16]> {
    file.seek(SeekFrom::Start(0))?;
    let mut md5 = Md5::new();
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = cluster::read_some(file, &mut buf[..want])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        md5.update(&buf[..n]);
        left -= n as u64;
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&md5.finalize());
    Ok(out)
}

/// Tracks the file offset (for the pointer lists) and hashes the body
/// (for the UUID) on the way to the file.
struct Sink<W> {
    inner: W,
    pos: u64,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn resolve_redirects(
    nodes: &mut [Node],
    find: impl Fn(&[Node], &str) -> Option<usize>,
) -> Result<(), ZimError> {
    let mut resolved = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Body::Redirect { target, .. } = &n.body {
            let Some(t) = find(nodes, target) else {
                return invalid(format!(
                    "{}/{} redirects to missing C/{target}",
                    n.ns as char, n.path
                ));
            };
            resolved.push((i, t));
        }
    }
    for &(i, t) in &resolved {
        if let Body::Redirect { index, .. } = &mut nodes[i].body {
            *index = t as u32;
        }
    }
    // A cycle has no content to serve: refuse it rather than ship it.
    for &(start, _) in &resolved {
        let mut at = start;
        for _ in 0..=resolved.len() {
            match &nodes[at].body {
                Body::Item { .. } => break,
                Body::Redirect { index, .. } => at = *index as usize,
            }
        }
        if matches!(nodes[at].body, Body::Redirect { .. }) {
            return invalid(format!("redirect loop through C/{}", nodes[start].path));
        }
    }
    Ok(())
}

fn check_path(p: &str) -> Result<(), ZimError> {
    if p.is_empty() || p.starts_with('/') || p.contains('\0') {
        return invalid(format!(
            "bad path {p:?}: must be non-empty, relative, without NUL"
        ));
    }
    Ok(())
}

fn check_text(what: &str, s: &str) -> Result<(), ZimError> {
    if s.contains('\0') {
        return invalid(format!("{what} {s:?} contains NUL"));
    }
    Ok(())
}

/// (key, MIME type, value) of one `M` entry.
type MetadataItem = (&'static str, &'static str, Vec<u8>);

/// Rejects what zimcheck or Kiwix would trip on, so that a bad export
/// fails here rather than later in a reader's hands.
fn metadata_items(m: &Metadata) -> Result<Vec<MetadataItem>, ZimError> {
    let text = [
        ("Name", &m.name),
        ("Title", &m.title),
        ("Description", &m.description),
        ("Language", &m.language),
        ("Creator", &m.creator),
        ("Publisher", &m.publisher),
        ("Date", &m.date),
    ];
    let mut out = Vec::new();
    for (key, value) in text {
        if value.trim().is_empty() {
            return invalid(format!("metadata {key} is required"));
        }
        out.push((key, TEXT_MIME, value.clone().into_bytes()));
    }
    if !m.tags.is_empty() {
        out.push(("Tags", TEXT_MIME, m.tags.clone().into_bytes()));
    }
    let lang_ok = m
        .language
        .split(',')
        .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()));
    if !lang_ok {
        return invalid(format!(
            "Language {:?} is not ISO 639-3 codes like \"fra,ara\"",
            m.language
        ));
    }
    let d = m.date.as_bytes();
    let num = |r: std::ops::Range<usize>| m.date.get(r).and_then(|s| s.parse::<u8>().ok());
    let date_ok = d.len() == 10
        && d.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(num(5..7), Some(1..=12))
        && matches!(num(8..10), Some(1..=31));
    if !date_ok {
        return invalid(format!("Date {:?} is not YYYY-MM-DD", m.date));
    }
    let png = &m.illustration_48x48_png;
    let is_png_48 = png.len() > 24
        && png.starts_with(b"\x89PNG\r\n\x1a\n")
        && &png[12..16] == b"IHDR"
        && png[16..24] == [0, 0, 0, 48, 0, 0, 0, 48];
    if !is_png_48 {
        return invalid("illustration must be a 48x48 PNG");
    }
    out.push(("Illustration_48x48@1", "image/png", png.clone()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&[0, 0, 0, 48, 0, 0, 0, 48, 8, 2, 0, 0, 0]);
        Metadata {
            name: "n".into(),
            title: "t".into(),
            description: "d".into(),
            language: "fra,ara".into(),
            creator: "c".into(),
            publisher: "p".into(),
            date: "2024-02-29".into(),
            tags: String::new(),
            illustration_48x48_png: png,
        }
    }

    fn page(path: &str, title: &str, front: bool) -> Entry {
        Entry {
            path: path.into(),
            title: title.into(),
            mime: "text/html".into(),
            content: Content::Bytes(format!("<p>{path}</p>").into_bytes()),
            front_article: front,
        }
    }

    fn redirect(path: &str, target: &str) -> Redirect {
        Redirect {
            path: path.into(),
            title: String::new(),
            target: target.into(),
        }
    }

    fn err(p: Result<Plan, ZimError>) -> String {
        match p {
            Err(e) => e.to_string(),
            Ok(_) => "accepted".into(),
        }
    }

    #[test]
    fn mime_classes() {
        for m in [
            "text/html",
            "text/vtt",
            "application/json",
            "application/javascript",
            "image/svg+xml",
            "text/css; charset=utf-8",
        ] {
            assert_eq!(compression_for(m), Compression::Zstd, "{m}");
        }
        for m in ["video/mp4", "audio/ogg", "image/png", "application/pdf"] {
            assert_eq!(compression_for(m), Compression::None, "{m}");
        }
    }

    #[test]
    fn entries_are_sorted_by_namespace_then_path_bytes() {
        let pages = vec![
            page("é.html", "", false),
            page("b.html", "", false),
            page("B.html", "", false),
        ];
        let plan = Plan::new(&meta(), "b.html", pages, vec![redirect("a", "b.html")]).unwrap();
        let keys: Vec<String> = plan
            .nodes
            .iter()
            .map(|n| format!("{}/{}", n.ns as char, n.path))
            .collect();
        assert_eq!(
            keys,
            [
                "C/B.html",
                "C/a",
                "C/b.html",
                "C/é.html",
                "M/Counter",
                "M/Creator",
                "M/Date",
                "M/Description",
                "M/Illustration_48x48@1",
                "M/Language",
                "M/Name",
                "M/Publisher",
                "M/Title",
                "W/mainPage",
                "X/listing/titleOrdered/v0",
            ]
        );
        assert!(matches!(
            plan.nodes[1].body,
            Body::Redirect { index: 2, .. }
        ));
        assert_eq!(plan.main_page, 13);
        assert!(matches!(
            plan.nodes[13].body,
            Body::Redirect { index: 2, .. }
        ));
    }

    #[test]
    fn title_listings_cover_all_then_front_articles() {
        let pages = vec![
            page("z.html", "مرحبا", true),
            page("a.html", "Été", true),
            page("m.html", "", false),
            page("b.html", "Accueil", false),
        ];
        let plan = Plan::new(&meta(), "b.html", pages, vec![]).unwrap();
        let list = |path: &str| -> Vec<String> {
            let i = plan.nodes.iter().position(|n| n.path == path).unwrap();
            let Some(Source::Bytes(b)) = plan.source(i) else {
                panic!()
            };
            b.chunks(4)
                .map(|c| {
                    plan.nodes[u32::from_le_bytes(c.try_into().unwrap()) as usize]
                        .title_key()
                        .1
                        .to_owned()
                })
                .collect()
        };
        let v0 = list(TITLE_V0);
        assert_eq!(&v0[..4], ["Accueil", "m.html", "Été", "مرحبا"]);
        assert_eq!(v0.len(), plan.nodes.len());
        assert_eq!(list(TITLE_V1), ["Été", "مرحبا"]);
        // The listing cluster is last and starts with v0.
        let last = plan.clusters.last().unwrap();
        assert_eq!(plan.nodes[last.members[0]].path, TITLE_V0);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let m = meta();
        let ok = || vec![page("a", "", false)];
        assert!(
            err(Plan::new(
                &m,
                "a",
                vec![page("a", "", false), page("a", "x", false)],
                vec![]
            ))
            .contains("duplicate")
        );
        assert!(err(Plan::new(&m, "a", ok(), vec![redirect("a", "a")])).contains("duplicate"));
        assert!(err(Plan::new(&m, "nope", ok(), vec![])).contains("missing"));
        assert!(err(Plan::new(&m, "a", ok(), vec![redirect("r", "x")])).contains("missing"));
        let looped = vec![redirect("r1", "r2"), redirect("r2", "r1")];
        assert!(err(Plan::new(&m, "a", ok(), looped)).contains("loop"));
        assert!(err(Plan::new(&m, "a", vec![page("/a", "", false)], vec![])).contains("bad path"));
        assert!(err(Plan::new(&m, "a", vec![page("", "", false)], vec![])).contains("bad path"));
        for (field, value) in [
            ("date", "2024-13-01"),
            ("date", "24-01-01"),
            ("lang", "fr"),
            ("lang", "fra,"),
            ("title", " "),
        ] {
            let mut bad = meta();
            match field {
                "date" => bad.date = value.into(),
                "lang" => bad.language = value.into(),
                _ => bad.title = value.into(),
            }
            assert!(
                matches!(
                    Plan::new(&bad, "a", ok(), vec![]),
                    Err(ZimError::Invalid(_))
                ),
                "{field}={value}"
            );
        }
        let mut bad = meta();
        bad.illustration_48x48_png[19] = 32;
        assert!(err(Plan::new(&bad, "a", ok(), vec![])).contains("48x48"));
    }

    #[test]
    fn a_chain_of_redirects_is_fine() {
        let r = vec![redirect("r1", "r2"), redirect("r2", "a")];
        assert!(Plan::new(&meta(), "r1", vec![page("a", "", false)], r).is_ok());
    }

    #[test]
    fn failure_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a directory fails after the write succeeded.
        let out = dir.path().join("x.zim");
        fs::create_dir(&out).unwrap();
        assert!(write(&out, &meta(), "a", vec![page("a", "", false)], vec![]).is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x.zim"]);
    }
}
