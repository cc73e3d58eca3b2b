//! The index's life: opening it on disk (one writer per directory, emptied
//! when its schema version changed), keeping it current with `apply` and
//! `rebuild`, and the watermark of the change feed.
//!
//! On disk, `dir` holds `cartable-search.lock` (held while a
//! [`SearchIndex`] is open, so that a second cartable process fails at once
//! with [`SearchError::InUse`] instead of waiting on tantivy's writer lock)
//! and `tantivy/`, the index itself. Each commit's payload is
//! `{"schema": SCHEMA_VERSION, "watermark": <unix seconds or null>}`.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyError, Term};

use crate::analysis;
use crate::columns::ColumnCache;
use crate::error::SearchError;
use crate::schema::{self, Doc, Fields, SCHEMA_VERSION};

/// Indexing memory, per writer thread (tantivy's minimum is 15 MB).
const WRITER_BYTES_PER_THREAD: usize = 24_000_000;
/// Decompressed blocks of stored documents kept (16 KB each): the hits of
/// popular queries are read again and again.
const DOC_STORE_CACHE_BLOCKS: usize = 256;
const LOCK_FILE: &str = "cartable-search.lock";
const INDEX_DIR: &str = "tantivy";

/// What `open` found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// There was no index: a new, empty one was made.
    Created,
    /// The index was there, with this version's schema.
    Existing,
    /// The index was of another schema version (or unreadable): it was
    /// emptied, and needs a rebuild.
    Reset { reason: String },
}

/// A handle on the search index; clones share it.
#[derive(Clone)]
pub struct SearchIndex {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    pub(crate) columns: ColumnCache,
    writer: Mutex<IndexWriter>,
    watermark: Mutex<Option<i64>>,
    opened: Opened,
    dir: Option<PathBuf>,
    index: Index,
    /// The schema version written in commits (another one in tests).
    version: u32,
    // Declared last: released after the writer, which holds tantivy's lock.
    _lock: Option<File>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    schema: u32,
    watermark: Option<i64>,
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`. Fails with
    /// [`SearchError::InUse`] if another process (or another open handle)
    /// holds it.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        Self::open_versioned(dir, SCHEMA_VERSION)
    }

    /// As `open`, as if the schema version were `version` (tests).
    pub(crate) fn open_versioned(dir: &Path, version: u32) -> Result<SearchIndex, SearchError> {
        fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(SearchError::io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(SearchError::InUse {
                    dir: dir.to_owned(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(SearchError::io(&lock_path)(e)),
        }
        let index_dir = dir.join(INDEX_DIR);
        let (index, opened) = open_or_reset(&index_dir, version)?;
        let inner = Inner::new(index, opened, Some(dir.to_owned()), Some(lock), version)?;
        Ok(SearchIndex {
            inner: Arc::new(inner),
        })
    }

    /// An index in RAM (tests).
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, _) = schema::build();
        let index = Index::create_in_ram(schema);
        let inner = Inner::new(index, Opened::Created, None, None, SCHEMA_VERSION)?;
        Ok(SearchIndex {
            inner: Arc::new(inner),
        })
    }

    /// What `open` found.
    pub fn opened(&self) -> &Opened {
        &self.inner.opened
    }

    /// The watermark of the last commit, None for a new, empty or reset
    /// index.
    pub fn watermark(&self) -> Option<i64> {
        *self
            .inner
            .watermark
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// True until a `rebuild` or `apply` has committed a watermark: the
    /// index is new, or was reset by a schema change.
    pub fn needs_rebuild(&self) -> bool {
        self.watermark().is_none()
    }

    /// The number of documents searched.
    pub fn doc_count(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Adds or replaces `docs` (by id), removes the `removed` ids, and
    /// commits with `watermark`; searches see the change when it returns.
    /// Blocking: call it from `spawn_blocking`.
    pub fn apply(
        &self,
        docs: Vec<Doc>,
        removed: &[String],
        watermark: i64,
    ) -> Result<(), SearchError> {
        let inner = &self.inner;
        let mut writer = inner.writer();
        let result = (|| {
            for id in removed {
                writer.delete_term(Term::from_field_text(inner.fields.id, id));
            }
            for doc in docs {
                writer.delete_term(Term::from_field_text(inner.fields.id, &doc.id));
                writer.add_document(inner.fields.document(doc)?)?;
            }
            inner.commit(&mut writer, watermark)
        })();
        inner.finish(&mut writer, result)
    }

    /// Deletes everything and indexes `docs` in one commit; returns how many
    /// were indexed. Searches see the old index until it returns.
    pub fn rebuild(
        &self,
        docs: impl IntoIterator<Item = Doc>,
        watermark: i64,
    ) -> Result<usize, SearchError> {
        let inner = &self.inner;
        let mut writer = inner.writer();
        let result = (|| {
            writer.delete_all_documents()?;
            let mut n = 0;
            for doc in docs {
                writer.add_document(inner.fields.document(doc)?)?;
                n += 1;
            }
            inner.commit(&mut writer, watermark)?;
            Ok(n)
        })();
        let n = inner.finish(&mut writer, result)?;
        // One segment answers faster than one per writer thread.
        let segments = inner.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            match writer.merge(&segments).wait() {
                Ok(_) => inner.reload()?,
                Err(e) => tracing::warn!(error = %e, "search index: merge after rebuild failed"),
            }
        }
        Ok(n)
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .field("opened", &self.inner.opened)
            .field("docs", &self.doc_count())
            .field("watermark", &self.watermark())
            .finish()
    }
}

impl Inner {
    fn new(
        index: Index,
        opened: Opened,
        dir: Option<PathBuf>,
        lock: Option<File>,
        version: u32,
    ) -> Result<Inner, SearchError> {
        analysis::register(index.tokenizers());
        let fields = Fields::from_schema(&index.schema())?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
        let threads = if dir.is_none() { 1 } else { threads };
        let mut writer = index
            .writer_with_num_threads(threads, threads * WRITER_BYTES_PER_THREAD)
            .map_err(|e| match (e, &dir) {
                (TantivyError::LockFailure(..), Some(dir)) => {
                    SearchError::InUse { dir: dir.clone() }
                }
                (e, _) => SearchError::Tantivy(e),
            })?;
        let watermark = match read_payload(&index)? {
            Some(p) if p.schema == version => p.watermark,
            _ => {
                // A new index: commit the payload now, so that the next open
                // knows its version even if nothing is ever indexed.
                let mut commit = writer.prepare_commit()?;
                commit.set_payload(&payload(version, None));
                commit.commit()?;
                None
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        Ok(Inner {
            reader,
            fields,
            columns: ColumnCache::default(),
            writer: Mutex::new(writer),
            watermark: Mutex::new(watermark),
            opened,
            dir,
            index,
            version,
            _lock: lock,
        })
    }

    fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        self.columns.retain(&self.reader.searcher());
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn commit(&self, writer: &mut IndexWriter, watermark: i64) -> Result<(), SearchError> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload(self.version, Some(watermark)));
        commit.commit()?;
        self.reload()?;
        *self
            .watermark
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(watermark);
        Ok(())
    }

    /// Undoes what was not committed when `result` is an error.
    fn finish<T>(
        &self,
        writer: &mut IndexWriter,
        result: Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        if result.is_err()
            && let Err(e) = writer.rollback()
        {
            tracing::warn!(error = %e, "search index: rollback failed");
        }
        result
    }
}

fn payload(version: u32, watermark: Option<i64>) -> String {
    serde_json::to_string(&Payload {
        schema: version,
        watermark,
    })
    .unwrap_or_default()
}

fn read_payload(index: &Index) -> Result<Option<Payload>, SearchError> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok()))
}

/// Opens the index in `dir`, or makes an empty one there if there is none,
/// or if it is of another schema version or cannot be read.
fn open_or_reset(dir: &Path, version: u32) -> Result<(Index, Opened), SearchError> {
    fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
    let directory = MmapDirectory::open(dir)?;
    let exists = Index::exists(&directory).map_err(|e| SearchError::Tantivy(e.into()))?;
    let (schema, _) = schema::build();
    let opened = if exists {
        let reason = match Index::open(directory) {
            Ok(index) => match read_payload(&index)? {
                Some(p) if p.schema == version && index.schema() == schema => {
                    return Ok((index, Opened::Existing));
                }
                Some(p) => format!("schema version {} found, {version} expected", p.schema),
                None => "no schema version found".to_owned(),
            },
            Err(e) => format!("unreadable: {e}"),
        };
        tracing::warn!(dir = %dir.display(), %reason, "search index reset; it needs a rebuild");
        fs::remove_dir_all(dir).map_err(SearchError::io(dir))?;
        fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
        Opened::Reset { reason }
    } else {
        Opened::Created
    };
    let index = Index::create(MmapDirectory::open(dir)?, schema, IndexSettings::default())?;
    Ok((index, opened))
}
