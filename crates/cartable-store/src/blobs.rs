//! The blob store: every stored byte string (rendition, playlist, poster,
//! caption, attachment) named by its BLAKE3 hash.
//!
//! Content addressing makes imports idempotent (the same bytes land on the
//! same name), deduplicates for free and makes every media URL immutable.
//! Storage goes through `object_store`, so a local directory today and an
//! S3-compatible bucket tomorrow are the same code. A write is atomic: the
//! local store stages the bytes and renames them into place.

use crate::Result;
use bytes::Bytes;
use cartable_core::BlobHash;
use cartable_satchel::SatchelFile;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Set when blobs are plain files under this directory, so the web layer
    /// can serve them straight from the file system.
    local_root: Option<PathBuf>,
    /// On a box: the satchel served, read before the store. Swapped whole
    /// when an update is applied.
    satchel: Arc<RwLock<Option<Arc<SatchelFile>>>>,
}

/// A blob's bytes inside an open file: the file, offset and length.
pub type Slice = (Arc<std::fs::File>, u64, u64);

/// Spreads blobs over 256 folders, so no directory grows past what file
/// systems list quickly.
fn location(hash: &BlobHash) -> StorePath {
    StorePath::from(format!("{}/{}", &hash.as_str()[..2], hash.as_str()))
}

fn hash_of(bytes: &[u8]) -> BlobHash {
    BlobHash::try_from(blake3::hash(bytes).to_hex().as_str())
        .unwrap_or_else(|_| unreachable!("blake3 hex is a valid hash"))
}

impl BlobStore {
    /// A store in a local directory, created if missing.
    pub fn local(dir: &Path) -> Result<BlobStore> {
        std::fs::create_dir_all(dir)?;
        let root = dir.canonicalize()?;
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(BlobStore {
            store: Arc::new(store),
            local_root: Some(root),
            satchel: Arc::default(),
        })
    }

    /// Serves the satchel's blobs from now on, before the store's own.
    pub fn attach_satchel(&self, satchel: Arc<SatchelFile>) {
        if let Ok(mut slot) = self.satchel.write() {
            *slot = Some(satchel);
        }
    }

    /// The satchel attached, if any.
    pub fn satchel(&self) -> Option<Arc<SatchelFile>> {
        self.satchel.read().ok().and_then(|s| s.clone())
    }

    /// Where a blob sits in the attached satchel.
    pub fn satchel_slice(&self, hash: &BlobHash) -> Option<Slice> {
        let satchel = self.satchel()?;
        let (at, n) = satchel.locate(hash)?;
        Some((satchel.file.clone(), at, n))
    }

    /// The file holding a blob, when the store is a local directory.
    pub fn local_path(&self, hash: &BlobHash) -> Option<PathBuf> {
        self.local_root
            .as_ref()
            .map(|root| root.join(&hash.as_str()[..2]).join(hash.as_str()))
    }

    pub async fn exists(&self, hash: &BlobHash) -> Result<bool> {
        if self.satchel_slice(hash).is_some() {
            return Ok(true);
        }
        match self.store.head(&location(hash)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob's size, or `None` when it is not stored.
    pub async fn size(&self, hash: &BlobHash) -> Result<Option<u64>> {
        if let Some((_, _, n)) = self.satchel_slice(hash) {
            return Ok(Some(n));
        }
        match self.store.head(&location(hash)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn put_bytes(&self, bytes: Bytes) -> Result<BlobHash> {
        let hash = hash_of(&bytes);
        if !self.exists(&hash).await? {
            self.store.put(&location(&hash), bytes.into()).await?;
        }
        Ok(hash)
    }

    /// Stores a file's bytes, streaming them so a large rendition never sits
    /// whole in memory. Returns its hash and size.
    pub async fn put_file(&self, file: &Path) -> Result<(BlobHash, u64)> {
        let path = file.to_owned();
        let (hash, size) =
            tokio::task::spawn_blocking(move || -> std::io::Result<(BlobHash, u64)> {
                let mut hasher = blake3::Hasher::new();
                let size = std::io::copy(&mut std::fs::File::open(&path)?, &mut hasher)?;
                let hash = BlobHash::try_from(hasher.finalize().to_hex().as_str())
                    .map_err(std::io::Error::other)?;
                Ok((hash, size))
            })
            .await
            .map_err(std::io::Error::other)??;
        if self.exists(&hash).await? {
            return Ok((hash, size));
        }
        let upload = self.store.put_multipart(&location(&hash)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
        let mut reader = std::fs::File::open(file)?;
        let mut buf = vec![0; CHUNK];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(4).await?;
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok((hash, size))
    }

    /// Bytes `range` of a blob (for stores without a local file).
    pub async fn get_range(&self, hash: &BlobHash, range: std::ops::Range<u64>) -> Result<Bytes> {
        if let Some((file, at, n)) = self.satchel_slice(hash) {
            let end = range.end.min(n);
            let start = range.start.min(end);
            return read_slice(file, at + start, end - start).await;
        }
        Ok(self.store.get_range(&location(hash), range).await?)
    }

    pub async fn get(&self, hash: &BlobHash) -> Result<Bytes> {
        if let Some((file, at, n)) = self.satchel_slice(hash) {
            return read_slice(file, at, n).await;
        }
        Ok(self.store.get(&location(hash)).await?.bytes().await?)
    }
}

async fn read_slice(file: Arc<std::fs::File>, at: u64, n: u64) -> Result<Bytes> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
        let mut bytes = vec![0u8; usize::try_from(n).map_err(std::io::Error::other)?];
        std::os::unix::fs::FileExt::read_exact_at(&*file, &mut bytes, at)?;
        Ok(bytes.into())
    })
    .await
    .map_err(std::io::Error::other)?
    .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_bytes_get_the_same_name_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::local(&dir.path().join("blobs")).unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, vec![7u8; 3 * CHUNK + 5]).unwrap();
        let (a, size) = store.put_file(&file).await.unwrap();
        let b = store
            .put_bytes(Bytes::from(vec![7u8; 3 * CHUNK + 5]))
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(size, 3 * CHUNK as u64 + 5);
        let on_disk = std::fs::read(store.local_path(&a).unwrap()).unwrap();
        assert_eq!(on_disk.len(), 3 * CHUNK + 5);
        assert_eq!(store.get_range(&a, 2..4).await.unwrap().as_ref(), &[7, 7]);
    }
}
