//! Clusters: grouping blobs, encoding offset tables, streaming bodies.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::{ZimError, io_err};

/// Same default as libzim: big enough for zstd to find redundancy across
/// pages, small enough that a reader decompresses little to get one page.
pub(crate) const CLUSTER_TARGET: u64 = 2 << 20;
/// Exports are written once and read many times on slow links, so spend
/// CPU on size. Single-threaded, so the output depends on nothing but the
/// input and the level.
const ZSTD_LEVEL: i32 = 19;
/// Info-byte flag: offsets are u64 instead of u32.
const EXTENDED: u8 = 0x10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    None = 1,
    Zstd = 5,
}

pub(crate) enum Source {
    Bytes(Vec<u8>),
    /// `len` is taken when planning, because the offset table that precedes
    /// the data must be written before the file is read.
    File {
        path: PathBuf,
        len: u64,
    },
}

impl Source {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cluster {
    pub compression: Compression,
    /// Indices of the entries whose blobs this cluster holds, in blob order.
    pub members: Vec<usize>,
}

#[derive(Default)]
struct Bin {
    members: Vec<usize>,
    size: u64,
}

/// Fills one open cluster per compression kind, closing it when the next
/// blob would push it past [`CLUSTER_TARGET`]. A blob larger than the
/// target gets a cluster of its own.
#[derive(Default)]
pub(crate) struct Packer {
    zstd: Bin,
    plain: Bin,
    done: Vec<Cluster>,
}

impl Packer {
    pub(crate) fn add(&mut self, member: usize, size: u64, compression: Compression) {
        let bin = match compression {
            Compression::Zstd => &mut self.zstd,
            Compression::None => &mut self.plain,
        };
        if !bin.members.is_empty() && bin.size.saturating_add(size) > CLUSTER_TARGET {
            self.done.push(Cluster {
                compression,
                members: std::mem::take(&mut bin.members),
            });
            bin.size = 0;
        }
        bin.members.push(member);
        bin.size = bin.size.saturating_add(size);
    }

    pub(crate) fn finish(mut self) -> Vec<Cluster> {
        for (compression, bin) in [
            (Compression::Zstd, self.zstd),
            (Compression::None, self.plain),
        ] {
            if !bin.members.is_empty() {
                self.done.push(Cluster {
                    compression,
                    members: bin.members,
                });
            }
        }
        self.done
    }
}

/// Returns whether the cluster needs 64-bit offsets, and the encoded table.
/// Offsets are relative to the start of the table, so the first one is
/// the table's own length, and there is one more offset than blobs.
pub(crate) fn offset_table(sizes: &[u64]) -> (bool, Vec<u8>) {
    let count = sizes.len() as u64 + 1;
    let data: u64 = sizes.iter().sum();
    let extended = count * 4 + data > u64::from(u32::MAX);
    let width = if extended { 8 } else { 4 };
    let mut out = Vec::with_capacity((count * width) as usize);
    let mut offset = count * width;
    let push = |o: u64, out: &mut Vec<u8>| {
        if extended {
            out.extend_from_slice(&o.to_le_bytes());
        } else {
            // Cannot truncate: `extended` is false only when everything fits.
            out.extend_from_slice(&(o as u32).to_le_bytes());
        }
    };
    push(offset, &mut out);
    for s in sizes {
        offset += s;
        push(offset, &mut out);
    }
    (extended, out)
}

/// Writes one cluster: info byte, then offset table and blobs, through zstd
/// when asked. `buf` is the copy buffer for file sources, reused across
/// clusters so that memory stays flat however large the files are.
pub(crate) fn write_cluster<W: Write>(
    w: &mut W,
    out: &Path,
    compression: Compression,
    blobs: &[&Source],
    buf: &mut [u8],
) -> Result<(), ZimError> {
    let sizes: Vec<u64> = blobs.iter().map(|s| s.len()).collect();
    let (extended, table) = offset_table(&sizes);
    let info = compression as u8 | if extended { EXTENDED } else { 0 };
    w.write_all(&[info]).map_err(io_err(out))?;
    match compression {
        Compression::None => write_body(w, out, &table, blobs, buf),
        Compression::Zstd => {
            let total = table.len() as u64 + sizes.iter().sum::<u64>();
            let mut enc = zstd::stream::write::Encoder::new(&mut *w, ZSTD_LEVEL)
                .and_then(|mut e| {
                    // Recording the size lets decoders allocate once.
                    e.set_pledged_src_size(Some(total))?;
                    e.include_contentsize(true)?;
                    Ok(e)
                })
                .map_err(io_err(out))?;
            write_body(&mut enc, out, &table, blobs, buf)?;
            enc.finish().map_err(io_err(out))?;
            Ok(())
        }
    }
}

fn write_body<W: Write>(
    w: &mut W,
    out: &Path,
    table: &[u8],
    blobs: &[&Source],
    buf: &mut [u8],
) -> Result<(), ZimError> {
    w.write_all(table).map_err(io_err(out))?;
    for blob in blobs {
        match blob {
            Source::Bytes(b) => w.write_all(b).map_err(io_err(out))?,
            Source::File { path, len } => copy_file(w, out, path, *len, buf)?,
        }
    }
    Ok(())
}

/// Streams exactly `len` bytes. A file that shrank or grew since planning
/// would make the offset table lie, so either is an error.
fn copy_file<W: Write>(
    w: &mut W,
    out: &Path,
    path: &Path,
    len: u64,
    buf: &mut [u8],
) -> Result<(), ZimError> {
    let changed = || ZimError::ContentChanged {
        path: path.to_path_buf(),
        expected: len,
    };
    let mut file = File::open(path).map_err(io_err(path))?;
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = read_some(&mut file, &mut buf[..want]).map_err(io_err(path))?;
        if n == 0 {
            return Err(changed());
        }
        w.write_all(&buf[..n]).map_err(io_err(out))?;
        left -= n as u64;
    }
    let mut probe = [0u8; 1];
    if read_some(&mut file, &mut probe).map_err(io_err(path))? != 0 {
        return Err(changed());
    }
    Ok(())
}

pub(crate) fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_start_after_the_table() {
        let (ext, t) = offset_table(&[3, 5]);
        assert!(!ext);
        let offs: Vec<u32> = t
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(offs, [12, 15, 20]);
        assert_eq!(offset_table(&[]).1, 4u32.to_le_bytes());
    }

    #[test]
    fn offsets_switch_to_64_bits_past_4_gib() {
        let big = u64::from(u32::MAX) - 13;
        let (ext, t) = offset_table(&[big, 1]);
        assert!(!ext, "12 + big + 1 == u32::MAX still fits");
        assert_eq!(t.len(), 12);
        let (ext, t) = offset_table(&[big, 2]);
        assert!(ext);
        let offs: Vec<u64> = t
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(offs, [24, 24 + big, 24 + big + 2]);
    }

    #[test]
    fn packer_groups_by_kind_and_size() {
        let mut p = Packer::default();
        p.add(0, 10, Compression::Zstd);
        p.add(1, CLUSTER_TARGET * 3, Compression::None);
        p.add(2, 10, Compression::None);
        p.add(3, CLUSTER_TARGET - 10, Compression::Zstd);
        p.add(4, 1, Compression::Zstd);
        let c = p.finish();
        let got: Vec<(Compression, Vec<usize>)> =
            c.into_iter().map(|c| (c.compression, c.members)).collect();
        assert_eq!(
            got,
            [
                (Compression::None, vec![1]),
                (Compression::Zstd, vec![0, 3]),
                (Compression::Zstd, vec![4]),
                (Compression::None, vec![2]),
            ]
        );
    }

    #[test]
    fn plain_cluster_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b");
        std::fs::write(&f, b"world").unwrap();
        let a = Source::Bytes(b"hi".to_vec());
        let b = Source::File { path: f, len: 5 };
        let mut out = Vec::new();
        // A 3-byte buffer forces several reads per file.
        write_cluster(
            &mut out,
            Path::new("x"),
            Compression::None,
            &[&a, &b],
            &mut [0; 3],
        )
        .unwrap();
        let mut want = vec![1, 12, 0, 0, 0, 14, 0, 0, 0, 19, 0, 0, 0];
        want.extend_from_slice(b"hiworld");
        assert_eq!(out, want);
    }

    #[test]
    fn zstd_cluster_round_trips() {
        let a = Source::Bytes(b"<p>bonjour</p>".repeat(50));
        let mut out = Vec::new();
        write_cluster(
            &mut out,
            Path::new("x"),
            Compression::Zstd,
            &[&a],
            &mut [0; 64],
        )
        .unwrap();
        assert_eq!(out[0], 5);
        assert!(out.len() < 100);
        let plain = zstd::decode_all(&out[1..]).unwrap();
        assert_eq!(&plain[..8], &[8, 0, 0, 0, 196, 2, 0, 0]);
        assert_eq!(&plain[8..], &b"<p>bonjour</p>".repeat(50)[..]);
    }

    #[test]
    fn files_that_changed_size_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v");
        std::fs::write(&f, b"12345").unwrap();
        for len in [4, 6] {
            let s = Source::File {
                path: f.clone(),
                len,
            };
            let err = write_cluster(
                &mut Vec::new(),
                Path::new("x"),
                Compression::None,
                &[&s],
                &mut [0; 8],
            )
            .unwrap_err();
            assert!(matches!(err, ZimError::ContentChanged { expected, .. } if expected == len));
        }
    }
}
