//! Shared by the integration tests: an independent ZIM reader (written from
//! the spec, not from the writer's code), a tiny PNG encoder, tool lookup.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;

use cartable_zim::Metadata;
use md5::{Digest, Md5};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Item { mime: u16, cluster: u32, blob: u32 },
    Redirect(u32),
}

#[derive(Debug, Clone)]
pub struct Dirent {
    pub ns: u8,
    pub path: String,
    pub title: String,
    pub kind: Kind,
}

impl Dirent {
    pub fn shown_title(&self) -> &str {
        if self.title.is_empty() {
            &self.path
        } else {
            &self.title
        }
    }
}

pub struct Zim {
    pub bytes: Vec<u8>,
    pub minor: u16,
    pub uuid: [u8; 16],
    pub mimes: Vec<String>,
    pub dirents: Vec<Dirent>,
    /// The header's title pointer list (the "v0" index).
    pub title_index: Vec<u32>,
    pub main_page: u32,
    cluster_ptrs: Vec<u64>,
    /// Offsets that end a cluster: the other clusters, the dirents, the end.
    boundaries: Vec<u64>,
}

fn u16_at(b: &[u8], o: usize) -> Result<u16, String> {
    Ok(u16::from_le_bytes(
        b.get(o..o + 2)
            .ok_or("u16 out of file")?
            .try_into()
            .map_err(|_| "u16")?,
    ))
}
fn u32_at(b: &[u8], o: usize) -> Result<u32, String> {
    Ok(u32::from_le_bytes(
        b.get(o..o + 4)
            .ok_or("u32 out of file")?
            .try_into()
            .map_err(|_| "u32")?,
    ))
}
fn u64_at(b: &[u8], o: usize) -> Result<u64, String> {
    Ok(u64::from_le_bytes(
        b.get(o..o + 8)
            .ok_or("u64 out of file")?
            .try_into()
            .map_err(|_| "u64")?,
    ))
}
fn cstr(b: &[u8], o: usize) -> Result<(String, usize), String> {
    let end = b[o..]
        .iter()
        .position(|&c| c == 0)
        .ok_or("unterminated string")?
        + o;
    let s = String::from_utf8(b[o..end].to_vec()).map_err(|e| e.to_string())?;
    Ok((s, end + 1))
}

impl Zim {
    pub fn open(path: &Path) -> Result<Zim, String> {
        Zim::parse(std::fs::read(path).map_err(|e| e.to_string())?)
    }

    /// Parses and checks what a reader relies on: magic, checksum, pointer
    /// bounds, dirent order and title order.
    pub fn parse(bytes: Vec<u8>) -> Result<Zim, String> {
        let b = &bytes;
        if u32_at(b, 0)? != 0x044D_495A {
            return Err("bad magic".into());
        }
        if u16_at(b, 4)? != 6 {
            return Err("major version is not 6".into());
        }
        let minor = u16_at(b, 6)?;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&b[8..24]);
        let entry_count = u32_at(b, 24)? as usize;
        let cluster_count = u32_at(b, 28)? as usize;
        let url_ptr_pos = u64_at(b, 32)? as usize;
        let title_ptr_pos = u64_at(b, 40)? as usize;
        let cluster_ptr_pos = u64_at(b, 48)? as usize;
        let mime_list_pos = u64_at(b, 56)? as usize;
        let main_page = u32_at(b, 64)?;
        let checksum_pos = u64_at(b, 72)? as usize;
        if checksum_pos + 16 != b.len() {
            return Err("checksum is not the last 16 bytes".into());
        }
        if Md5::digest(&b[..checksum_pos])[..] != b[checksum_pos..] {
            return Err("MD5 mismatch".into());
        }

        let mut mimes = Vec::new();
        let mut o = mime_list_pos;
        loop {
            let (m, next) = cstr(b, o)?;
            o = next;
            if m.is_empty() {
                break;
            }
            mimes.push(m);
        }

        let mut dirents = Vec::with_capacity(entry_count);
        let mut dirent_ptrs = Vec::with_capacity(entry_count);
        for i in 0..entry_count {
            let p = u64_at(b, url_ptr_pos + 8 * i)? as usize;
            dirent_ptrs.push(p as u64);
            let mime = u16_at(b, p)?;
            if b[p + 2] != 0 {
                return Err("unexpected dirent parameters".into());
            }
            let ns = b[p + 3];
            let (kind, rest) = if mime == 0xffff {
                (Kind::Redirect(u32_at(b, p + 8)?), p + 12)
            } else {
                if mime as usize >= mimes.len() {
                    return Err(format!("MIME index {mime} out of list"));
                }
                let kind = Kind::Item {
                    mime,
                    cluster: u32_at(b, p + 8)?,
                    blob: u32_at(b, p + 12)?,
                };
                (kind, p + 16)
            };
            let (path, next) = cstr(b, rest)?;
            let (title, _) = cstr(b, next)?;
            dirents.push(Dirent {
                ns,
                path,
                title,
                kind,
            });
        }
        for w in dirents.windows(2) {
            if (w[0].ns, w[0].path.as_bytes()) >= (w[1].ns, w[1].path.as_bytes()) {
                return Err(format!(
                    "dirents out of order: {:?} then {:?}",
                    w[0].path, w[1].path
                ));
            }
        }

        let title_index: Vec<u32> = (0..entry_count)
            .map(|i| u32_at(b, title_ptr_pos + 4 * i))
            .collect::<Result<_, _>>()?;
        let mut seen = title_index.clone();
        seen.sort_unstable();
        if seen != (0..entry_count as u32).collect::<Vec<_>>() {
            return Err("title index is not a permutation of the entries".into());
        }
        let key = |i: u32| {
            let d = &dirents[i as usize];
            (d.ns, d.shown_title().as_bytes())
        };
        if title_index.windows(2).any(|w| key(w[0]) > key(w[1])) {
            return Err("title index out of order".into());
        }

        let cluster_ptrs: Vec<u64> = (0..cluster_count)
            .map(|i| u64_at(b, cluster_ptr_pos + 8 * i))
            .collect::<Result<_, _>>()?;
        let mut boundaries: Vec<u64> = cluster_ptrs.clone();
        boundaries.extend(dirent_ptrs.iter().min());
        boundaries.push(checksum_pos as u64);
        boundaries.sort_unstable();
        for d in &dirents {
            match d.kind {
                Kind::Item { cluster, .. } if cluster as usize >= cluster_count => {
                    return Err(format!("{} points past the clusters", d.path));
                }
                Kind::Redirect(t) if t as usize >= entry_count => {
                    return Err(format!("{} redirects past the entries", d.path));
                }
                _ => {}
            }
        }
        if main_page as usize >= entry_count {
            return Err("main page out of range".into());
        }
        Ok(Zim {
            bytes,
            minor,
            uuid,
            mimes,
            dirents,
            title_index,
            main_page,
            cluster_ptrs,
            boundaries,
        })
    }

    pub fn find(&self, ns: u8, path: &str) -> Option<usize> {
        self.dirents
            .binary_search_by(|d| (d.ns, d.path.as_bytes()).cmp(&(ns, path.as_bytes())))
            .ok()
    }

    /// (compression, extended) of a cluster, and its decompressed body.
    pub fn cluster(&self, n: u32) -> Result<(u8, bool, Vec<u8>), String> {
        let start = *self.cluster_ptrs.get(n as usize).ok_or("no such cluster")?;
        let end = *self
            .boundaries
            .iter()
            .find(|&&x| x > start)
            .ok_or("cluster has no end")?;
        let info = self.bytes[start as usize];
        let raw = &self.bytes[start as usize + 1..end as usize];
        let body = match info & 0x0f {
            0 | 1 => raw.to_vec(),
            5 => {
                let mut out = Vec::new();
                zstd::stream::read::Decoder::new(raw)
                    .map_err(|e| e.to_string())?
                    .single_frame()
                    .read_to_end(&mut out)
                    .map_err(|e| e.to_string())?;
                out
            }
            c => return Err(format!("unexpected compression {c}")),
        };
        Ok((info & 0x0f, info & 0x10 != 0, body))
    }

    pub fn blob(&self, cluster: u32, blob: u32) -> Result<Vec<u8>, String> {
        let (_, extended, body) = self.cluster(cluster)?;
        let w = if extended { 8 } else { 4 };
        let off = |i: usize| -> Result<usize, String> {
            Ok(if extended {
                u64_at(&body, i * w)? as usize
            } else {
                u32_at(&body, i * w)? as usize
            })
        };
        let count = off(0)? / w - 1;
        if blob as usize >= count {
            return Err(format!("blob {blob} out of {count}"));
        }
        let (a, b) = (off(blob as usize)?, off(blob as usize + 1)?);
        body.get(a..b)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "blob out of cluster".into())
    }

    /// Follows redirects; returns (MIME, content).
    pub fn content_of(&self, index: usize) -> Result<(String, Vec<u8>), String> {
        let mut i = index;
        for _ in 0..=self.dirents.len() {
            match self.dirents[i].kind {
                Kind::Redirect(t) => i = t as usize,
                Kind::Item {
                    mime,
                    cluster,
                    blob,
                } => {
                    return Ok((self.mimes[mime as usize].clone(), self.blob(cluster, blob)?));
                }
            }
        }
        Err("redirect loop".into())
    }

    pub fn get(&self, ns: u8, path: &str) -> Result<(String, Vec<u8>), String> {
        let i = self
            .find(ns, path)
            .ok_or_else(|| format!("{}/{path} not found", ns as char))?;
        self.content_of(i)
    }

    /// The entries a `X/listing/titleOrdered/*` blob names, in order.
    pub fn listing(&self, name: &str) -> Result<Vec<u32>, String> {
        let (_, b) = self.get(b'X', &format!("listing/titleOrdered/{name}"))?;
        b.chunks(4).map(|c| u32_at(c, 0)).collect()
    }
}

/// A 48×48 RGB PNG with stored (uncompressed) deflate blocks, so that no
/// image crate is needed.
pub fn png_48x48() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &byte in data {
            c ^= u32::from(byte);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..48u8 {
        raw.push(0); // filter: none
        for x in 0..48u8 {
            let inside = (x as i32 - 24).pow(2) + (y as i32 - 24).pow(2) < 20 * 20;
            raw.extend_from_slice(if inside {
                &[0x2a, 0x7a, 0xb9]
            } else {
                &[0xff, 0xff, 0xff]
            });
        }
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    let len = raw.len() as u16; // 48 * 145 = 6960: one stored block
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(
        &mut png,
        b"IHDR",
        &[0, 0, 0, 48, 0, 0, 0, 48, 8, 2, 0, 0, 0],
    );
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

pub fn metadata() -> Metadata {
    Metadata {
        name: "cartable_test_fr".into(),
        title: "Cartable : essai".into(),
        description: "Leçons vidéo hors ligne".into(),
        language: "fra,ara".into(),
        creator: "cartable".into(),
        publisher: "cartable".into(),
        date: "2025-03-14".into(),
        tags: "_category:other;cartable".into(),
        illustration_48x48_png: png_48x48(),
    }
}

/// Whether `name` is on PATH. When it is not: under CI a test must not
/// pass silently, elsewhere it says loudly that it skipped.
pub fn tool_available(name: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "{name} is not installed, and CI=true requires it (apt-get install zim-tools kiwix-tools)"
            );
        }
        // Straight to the stream: libtest would swallow eprintln! of a test
        // that passes.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPED: {name} not installed !!!!!\n"
        );
    }
    found
}
