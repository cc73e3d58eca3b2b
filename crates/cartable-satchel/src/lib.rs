//! The satchel file: one file a box serves from without unpacking it.
//!
//! ```text
//! header   32 bytes   "cartable-satchel" + format (u32 LE) + zeros
//! entries             section and blob bytes, back to back
//! manifest            the signed manifest (JSON, `core::satchel::Manifest`)
//! index               where each section and blob sits (JSON, not signed)
//! trailer  104 bytes  "SATCHEL1", manifest offset and length, index
//!                     offset and length (u64 LE), ed25519 signature (64)
//! ```
//!
//! A hand-made layout rather than tar or zip: a box must reach any blob by
//! offset (HTTP ranges straight from the file), append an update and switch
//! to it atomically, and check every byte against a signed hash; neither
//! archive format signs, and both would have to be indexed at open anyway.
//! The reader trusts nothing: offsets are checked against the file, every
//! byte against the manifest's hashes before it is served, and entries are
//! named by hash only, so no path inside a satchel can reach the disk.
//!
//! An update appends its new entries, a new manifest, index and trailer at
//! the end of the file it applies to. The box notes the committed length
//! only once all of that is on disk; a power cut in between leaves bytes
//! past the committed length, which the next start cuts off, so the
//! previous version keeps serving.

use cartable_core::BlobHash;
use cartable_core::satchel::{Manifest, SatchelError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HEAD_MAGIC: &[u8; 16] = b"cartable-satchel";
const HEAD_LEN: u64 = 32;
const TAIL_MAGIC: &[u8; 8] = b"SATCHEL1";
const TAIL_LEN: u64 = 8 + 4 * 8 + 64;
/// Manifests and indexes larger than this are refused unread: 3,000
/// capsules take about 2 MB.
const MAX_META: u64 = 256 * 1024 * 1024;
const COPY_CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a satchel: {0}")]
    NotSatchel(String),
    #[error("{0}")]
    Manifest(#[from] SatchelError),
    #[error("damaged: {0}")]
    Damaged(String),
}

/// Where an entry sits: offset and length.
type Span = (u64, u64);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    sections: BTreeMap<String, Span>,
    blobs: BTreeMap<BlobHash, Span>,
}

/// An opened satchel: its signed manifest and where each entry sits.
/// Opening checks the signature and the layout, not the entries' bytes:
/// [`SatchelFile::verify`] does that.
#[derive(Debug)]
pub struct SatchelFile {
    pub path: PathBuf,
    pub file: Arc<File>,
    pub manifest: Manifest,
    /// BLAKE3 of the manifest bytes: this version's name.
    pub digest: String,
    /// The length of the file this version ends at.
    pub len: u64,
    index: Index,
}

impl SatchelFile {
    /// Opens the version that ends at `len` (the whole file when `None`).
    pub fn open(path: &Path, len: Option<u64>) -> Result<SatchelFile, FileError> {
        let file = File::open(path)?;
        let len = match len {
            Some(len) => len,
            None => file.metadata()?.len(),
        };
        if len < HEAD_LEN + TAIL_LEN {
            return Err(FileError::NotSatchel(format!("{len} bytes is too short")));
        }
        let mut head = [0u8; HEAD_LEN as usize];
        file.read_exact_at(&mut head, 0)?;
        if &head[..16] != HEAD_MAGIC {
            return Err(FileError::NotSatchel(
                "it does not start with the satchel mark".into(),
            ));
        }
        let format = u32::from_le_bytes([head[16], head[17], head[18], head[19]]);
        if format != cartable_core::satchel::FORMAT {
            return Err(FileError::NotSatchel(format!(
                "file format {format}; this cartable reads format {}",
                cartable_core::satchel::FORMAT
            )));
        }
        let mut tail = [0u8; TAIL_LEN as usize];
        file.read_exact_at(&mut tail, len - TAIL_LEN)?;
        if &tail[..8] != TAIL_MAGIC {
            return Err(FileError::Damaged(
                "the end of the file is missing (truncated or cut during a copy)".into(),
            ));
        }
        let number = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&tail[8 + 8 * i..16 + 8 * i]);
            u64::from_le_bytes(b)
        };
        let (manifest_at, manifest_len, index_at, index_len) =
            (number(0), number(1), number(2), number(3));
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&tail[40..104]);
        let body_end = len - TAIL_LEN;
        let fits = |at: u64, n: u64| {
            at >= HEAD_LEN && n <= MAX_META && at.checked_add(n).is_some_and(|e| e <= body_end)
        };
        if !fits(manifest_at, manifest_len) || !fits(index_at, index_len) {
            return Err(FileError::Damaged(
                "the trailer points outside the file".into(),
            ));
        }
        let manifest_bytes = read_at(&file, manifest_at, manifest_len)?;
        let manifest = Manifest::open(&manifest_bytes, &signature)?;
        let index: Index = serde_json::from_slice(&read_at(&file, index_at, index_len)?)
            .map_err(|e| FileError::Damaged(format!("the index does not parse: {e}")))?;
        let entries_end = manifest_at.min(index_at);
        for (what, (at, n)) in index
            .sections
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain(index.blobs.iter().map(|(k, v)| (k.as_str(), v)))
        {
            if *at < HEAD_LEN || at.checked_add(*n).is_none_or(|e| e > entries_end) {
                return Err(FileError::Damaged(format!(
                    "entry {what} lies outside the file"
                )));
            }
        }
        for (name, want) in &manifest.sections {
            match index.sections.get(name) {
                Some((_, n)) if *n == want.size => {}
                Some((_, n)) => {
                    return Err(FileError::Damaged(format!(
                        "section {name} is {n} bytes, the manifest says {}",
                        want.size
                    )));
                }
                None => return Err(FileError::Damaged(format!("section {name} is missing"))),
            }
        }
        let sizes: HashMap<&BlobHash, u64> =
            manifest.blobs.iter().map(|b| (&b.hash, b.size)).collect();
        for (hash, (_, n)) in &index.blobs {
            match sizes.get(hash) {
                Some(size) if size == n => {}
                Some(size) => {
                    return Err(FileError::Damaged(format!(
                        "blob {hash} is {n} bytes, the manifest says {size}"
                    )));
                }
                None => {
                    return Err(FileError::Damaged(format!(
                        "blob {hash} is not in the signed manifest"
                    )));
                }
            }
        }
        Ok(SatchelFile {
            path: path.to_owned(),
            file: Arc::new(file),
            digest: Manifest::digest(&manifest_bytes),
            manifest,
            len,
            index,
        })
    }

    /// Where a blob's bytes are in the file.
    pub fn locate(&self, hash: &BlobHash) -> Option<Span> {
        self.index.blobs.get(hash).copied()
    }

    /// The manifest's blobs this file does not hold (an update holds only
    /// what its parent lacks).
    pub fn missing(&self) -> Vec<&BlobHash> {
        self.manifest
            .blobs
            .iter()
            .filter(|b| !self.index.blobs.contains_key(&b.hash))
            .map(|b| &b.hash)
            .collect()
    }

    /// Number of blobs held and their bytes.
    pub fn held(&self) -> (usize, u64) {
        (
            self.index.blobs.len(),
            self.index.blobs.values().map(|(_, n)| n).sum(),
        )
    }

    /// A section's bytes, checked against the signed hash.
    pub fn section(&self, name: &str) -> Result<Option<Vec<u8>>, FileError> {
        let (Some(want), Some((at, n))) = (
            self.manifest.sections.get(name),
            self.index.sections.get(name),
        ) else {
            return Ok(None);
        };
        let bytes = read_at(&self.file, *at, *n)?;
        if blake3::hash(&bytes).to_hex().as_str() != want.hash.as_str() {
            return Err(FileError::Damaged(format!(
                "section {name} does not match its signed hash"
            )));
        }
        Ok(Some(bytes))
    }

    /// Reads every entry the file holds and checks it against the signed
    /// hash; `progress` is told the bytes checked so far.
    pub fn verify(&self, progress: &dyn Fn(u64)) -> Result<(), FileError> {
        for name in self.manifest.sections.keys() {
            self.section(name)?;
        }
        let mut done = 0;
        let mut buf = vec![0u8; COPY_CHUNK];
        for (hash, (at, n)) in &self.index.blobs {
            let mut hasher = blake3::Hasher::new();
            let mut pos = 0;
            while pos < *n {
                let want = (*n - pos).min(COPY_CHUNK as u64) as usize;
                self.file.read_exact_at(&mut buf[..want], at + pos)?;
                hasher.update(&buf[..want]);
                pos += want as u64;
                done += want as u64;
                progress(done);
            }
            if hasher.finalize().to_hex().as_str() != hash.as_str() {
                return Err(FileError::Damaged(format!(
                    "blob {hash} does not match its hash (altered or damaged)"
                )));
            }
        }
        Ok(())
    }

    /// Copies a blob's bytes into `out`.
    fn copy_blob(&self, hash: &BlobHash, out: &mut impl Write) -> Result<(), FileError> {
        let (at, n) = self
            .locate(hash)
            .ok_or_else(|| FileError::Damaged(format!("blob {hash} is missing")))?;
        copy_range(&self.file, at, n, out)
    }
}

fn read_at(file: &File, at: u64, n: u64) -> Result<Vec<u8>, FileError> {
    let mut bytes =
        vec![0u8; usize::try_from(n).map_err(|_| FileError::Damaged("entry too large".into()))?];
    file.read_exact_at(&mut bytes, at)?;
    Ok(bytes)
}

fn copy_range(file: &File, at: u64, n: u64, out: &mut impl Write) -> Result<(), FileError> {
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut pos = 0;
    while pos < n {
        let want = (n - pos).min(COPY_CHUNK as u64) as usize;
        file.read_exact_at(&mut buf[..want], at + pos)?;
        out.write_all(&buf[..want])?;
        pos += want as u64;
    }
    Ok(())
}

/// Where an entry's bytes come from when packing.
pub enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Writes a new satchel: `path.tmp` first, renamed into place when whole.
pub struct SatchelWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    at: u64,
    index: Index,
}

impl SatchelWriter {
    pub fn create(path: &Path) -> Result<SatchelWriter, FileError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut out = BufWriter::with_capacity(COPY_CHUNK, File::create(&tmp)?);
        let mut head = [0u8; HEAD_LEN as usize];
        head[..16].copy_from_slice(HEAD_MAGIC);
        head[16..20].copy_from_slice(&cartable_core::satchel::FORMAT.to_le_bytes());
        out.write_all(&head)?;
        Ok(SatchelWriter {
            path: path.to_owned(),
            tmp,
            out,
            at: HEAD_LEN,
            index: Index::default(),
        })
    }

    /// Adds a section; returns its length.
    pub fn section(&mut self, name: &str, bytes: &[u8]) -> Result<u64, FileError> {
        self.out.write_all(bytes)?;
        let n = bytes.len() as u64;
        self.index.sections.insert(name.to_owned(), (self.at, n));
        self.at += n;
        Ok(n)
    }

    /// Adds a blob; returns its length. The caller vouches for the hash
    /// (`satchel verify` checks it).
    pub fn blob(&mut self, hash: &BlobHash, source: Source) -> Result<u64, FileError> {
        let n = match source {
            Source::Bytes(bytes) => {
                self.out.write_all(&bytes)?;
                bytes.len() as u64
            }
            Source::File(path) => std::io::copy(&mut File::open(path)?, &mut self.out)?,
        };
        self.index.blobs.insert(hash.clone(), (self.at, n));
        self.at += n;
        Ok(n)
    }

    /// Writes manifest, index and trailer, syncs and renames into place.
    pub fn finish(mut self, manifest: &[u8], signature: &[u8; 64]) -> Result<u64, FileError> {
        let len = write_tail(&mut self.out, self.at, manifest, &self.index, signature)?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)?;
        sync_dir(&self.path)?;
        Ok(len)
    }

    /// Removes the unfinished file (after an error).
    pub fn abandon(self) {
        drop(self.out);
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn write_tail(
    out: &mut impl Write,
    at: u64,
    manifest: &[u8],
    index: &Index,
    signature: &[u8; 64],
) -> Result<u64, FileError> {
    let index_bytes = serde_json::to_vec(index).map_err(|e| FileError::Damaged(e.to_string()))?;
    out.write_all(manifest)?;
    out.write_all(&index_bytes)?;
    let manifest_at = at;
    let index_at = at + manifest.len() as u64;
    out.write_all(TAIL_MAGIC)?;
    for n in [
        manifest_at,
        manifest.len() as u64,
        index_at,
        index_bytes.len() as u64,
    ] {
        out.write_all(&n.to_le_bytes())?;
    }
    out.write_all(signature)?;
    out.flush()?;
    Ok(index_at + index_bytes.len() as u64 + TAIL_LEN)
}

/// Syncs the directory holding `path`, so a rename in it survives a power cut.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}

/// Appends `update` to the satchel file `base` (which ends at `base.len`)
/// and returns the new version's length. The caller records that length
/// only after this returns: until then the base version is the one served.
pub fn append_update(base: &SatchelFile, update: &SatchelFile) -> Result<u64, FileError> {
    let mut index = Index::default();
    for blob in &update.manifest.blobs {
        if let Some(span) = base.locate(&blob.hash) {
            index.blobs.insert(blob.hash.clone(), span);
        }
    }
    let file = std::fs::OpenOptions::new().write(true).open(&base.path)?;
    // Bytes past the base's end are an earlier update cut short.
    file.set_len(base.len)?;
    let mut out = BufWriter::with_capacity(COPY_CHUNK, &file);
    std::io::Seek::seek(&mut out, std::io::SeekFrom::Start(base.len))?;
    let mut at = base.len;
    for name in update.manifest.sections.keys() {
        let bytes = update
            .section(name)?
            .ok_or_else(|| FileError::Damaged(format!("section {name} is missing")))?;
        out.write_all(&bytes)?;
        index
            .sections
            .insert(name.clone(), (at, bytes.len() as u64));
        at += bytes.len() as u64;
    }
    for blob in &update.manifest.blobs {
        if index.blobs.contains_key(&blob.hash) {
            continue;
        }
        update.copy_blob(&blob.hash, &mut out)?;
        index.blobs.insert(blob.hash.clone(), (at, blob.size));
        at += blob.size;
    }
    let (manifest_bytes, signature) = update.signed_manifest()?;
    let len = write_tail(&mut out, at, &manifest_bytes, &index, &signature)?;
    drop(out);
    file.sync_all()?;
    Ok(len)
}

impl SatchelFile {
    /// The manifest's bytes and signature, as stored.
    pub fn signed_manifest(&self) -> Result<(Vec<u8>, [u8; 64]), FileError> {
        let mut tail = [0u8; TAIL_LEN as usize];
        self.file.read_exact_at(&mut tail, self.len - TAIL_LEN)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(&tail[8..16]);
        let at = u64::from_le_bytes(b);
        b.copy_from_slice(&tail[16..24]);
        let n = u64::from_le_bytes(b);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&tail[40..104]);
        Ok((read_at(&self.file, at, n)?, signature))
    }

    /// Reads a blob's bytes whole (captions, playlists: small ones).
    pub fn read_blob(&self, hash: &BlobHash) -> Result<Option<Vec<u8>>, FileError> {
        match self.locate(hash) {
            Some((at, n)) => Ok(Some(read_at(&self.file, at, n)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_core::satchel::{BlobRef, FORMAT, Hub, KeyPair, Selection};
    use proptest::prelude::*;

    fn hash(bytes: &[u8]) -> BlobHash {
        BlobHash::try_from(blake3::hash(bytes).to_hex().as_str()).unwrap()
    }

    /// A signed satchel of `blobs` with one section; its manifest.
    fn write(path: &Path, key: &KeyPair, blobs: &[Vec<u8>], parent: Option<String>) -> Manifest {
        let section = b"{\"programmes\":[],\"capsules\":[]}".to_vec();
        let mut refs: Vec<BlobRef> = blobs
            .iter()
            .map(|b| BlobRef {
                hash: hash(b),
                size: b.len() as u64,
            })
            .collect();
        refs.sort();
        refs.dedup();
        let manifest = Manifest {
            format: FORMAT,
            version: 1,
            parent,
            hub: Hub {
                public_key: key.public_hex(),
                public_url: "http://localhost".into(),
            },
            selection: Selection::default(),
            boxes: vec![],
            sections: [(
                "catalog".to_owned(),
                BlobRef {
                    hash: hash(&section),
                    size: section.len() as u64,
                },
            )]
            .into(),
            blobs: refs.clone(),
        };
        let bytes = manifest.to_bytes().unwrap();
        let mut w = SatchelWriter::create(path).unwrap();
        w.section("catalog", &section).unwrap();
        for r in &refs {
            let b = blobs.iter().find(|b| hash(b) == r.hash).unwrap();
            w.blob(&r.hash, Source::Bytes(b.clone())).unwrap();
        }
        w.finish(&bytes, &key.sign(&bytes)).unwrap();
        manifest
    }

    #[test]
    fn a_written_satchel_reads_back_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let path = dir.path().join("s.satchel");
        let blobs = vec![b"first blob".to_vec(), vec![7u8; 3 * COPY_CHUNK + 11]];
        let manifest = write(&path, &key, &blobs, None);
        let file = SatchelFile::open(&path, None).unwrap();
        assert_eq!(file.manifest, manifest);
        file.verify(&|_| {}).unwrap();
        assert!(file.missing().is_empty());
        assert_eq!(file.read_blob(&hash(&blobs[0])).unwrap().unwrap(), blobs[0]);
        assert!(file.section("catalog").unwrap().is_some());
        assert!(!dir.path().join("s.satchel.tmp").exists());
    }

    #[test]
    fn an_update_appended_in_place_serves_both_old_and_new_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::generate().unwrap();
        let base_path = dir.path().join("box.satchel");
        let old = vec![b"old".to_vec(), b"kept".to_vec()];
        write(&base_path, &key, &old, None);
        let base = SatchelFile::open(&base_path, None).unwrap();
        // The update lists every blob of its version but holds only the new.
        let update_path = dir.path().join("u.satchel");
        let all = vec![b"kept".to_vec(), b"new".to_vec()];
        let mut manifest = write(&update_path, &key, &all, Some(base.digest.clone()));
        manifest.version = 2;
        let update = SatchelFile::open(&update_path, None).unwrap();
        let len = append_update(&base, &update).unwrap();
        let merged = SatchelFile::open(&base_path, Some(len)).unwrap();
        merged.verify(&|_| {}).unwrap();
        assert_eq!(merged.read_blob(&hash(b"new")).unwrap().unwrap(), b"new");
        assert_eq!(merged.read_blob(&hash(b"kept")).unwrap().unwrap(), b"kept");
        assert_eq!(
            merged.read_blob(&hash(b"old")).unwrap(),
            None,
            "not in the new version"
        );
        // The old version is still there, at its old length.
        let again = SatchelFile::open(&base_path, Some(base.len)).unwrap();
        assert_eq!(again.digest, base.digest);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever a damaged or hostile file holds, the reader answers
        /// with an error or with bytes that match their signed hashes;
        /// it never panics and never reads outside the file.
        #[test]
        fn damaged_files_are_refused_never_misread(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let key = KeyPair::from_hex(&"42".repeat(32)).unwrap();
            let path = dir.path().join("s.satchel");
            let blobs = vec![b"alpha".to_vec(), vec![3u8; 5000], b"gamma".to_vec()];
            write(&path, &key, &blobs, None);
            let mut bytes = std::fs::read(&path).unwrap();
            for (at, value) in &flips {
                let i = at.index(bytes.len());
                bytes[i] ^= value | 1;
            }
            if let Some(at) = cut {
                bytes.truncate(at.index(bytes.len()));
            }
            std::fs::write(&path, &bytes).unwrap();
            if let Ok(file) = SatchelFile::open(&path, None)
                && file.verify(&|_| {}).is_ok()
            {
                for b in &blobs {
                    if let Some(read) = file.read_blob(&hash(b)).unwrap() {
                        prop_assert_eq!(&read, b);
                    }
                }
            }
        }
    }
}
