//! The string fast columns (`id`, the four facet fields and the archive's
//! five) of each segment, opened once and kept.
//!
//! Opening a string column parses its dictionary's index: done for every
//! query, it cost as much as the search itself. Segments never change, so a
//! segment's columns stay valid for as long as it lives; [`ColumnCache::retain`]
//! drops those of segments merged away, after each reload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{Searcher, SegmentReader};

use crate::schema::{ARCHIVE_FACETS, FACET_FIELDS};

/// One segment's string columns (None where no document has a value).
pub(crate) struct Columns {
    pub(crate) id: Option<StrColumn>,
    /// In the order of [`FACET_FIELDS`].
    pub(crate) facets: [Option<StrColumn>; 4],
    /// Each facet's values by ordinal, read on first use: turning the
    /// ordinals of every query's counts into strings reads the dictionary
    /// again and again otherwise.
    values: [OnceLock<Vec<Arc<str>>>; 4],
    /// The archive's facet columns, in the order of [`ARCHIVE_FACETS`].
    pub(crate) archive: [Option<StrColumn>; 5],
    archive_values: [OnceLock<Vec<Arc<str>>>; 5],
}

/// A column's values by ordinal, read once into `cell`.
fn values_of<'a>(
    column: Option<&StrColumn>,
    cell: &'a OnceLock<Vec<Arc<str>>>,
) -> std::io::Result<&'a [Arc<str>]> {
    let Some(column) = column else {
        return Ok(&[]);
    };
    if let Some(values) = cell.get() {
        return Ok(values);
    }
    let mut values = Vec::with_capacity(column.num_terms());
    let mut stream = column.dictionary().stream()?;
    while stream.advance() {
        values.push(Arc::from(String::from_utf8_lossy(stream.key())));
    }
    Ok(cell.get_or_init(|| values))
}

impl Columns {
    /// The values of facet `i` (of [`FACET_FIELDS`]), by ordinal.
    pub(crate) fn facet_values(&self, i: usize) -> std::io::Result<&[Arc<str>]> {
        match (self.facets.get(i), self.values.get(i)) {
            (Some(column), Some(cell)) => values_of(column.as_ref(), cell),
            _ => Ok(&[]),
        }
    }

    /// The values of archive facet `i` (of [`ARCHIVE_FACETS`]), by ordinal.
    pub(crate) fn archive_values(&self, i: usize) -> std::io::Result<&[Arc<str>]> {
        match (self.archive.get(i), self.archive_values.get(i)) {
            (Some(column), Some(cell)) => values_of(column.as_ref(), cell),
            _ => Ok(&[]),
        }
    }
}

#[derive(Default)]
pub(crate) struct ColumnCache(Mutex<HashMap<SegmentId, Arc<Columns>>>);

impl ColumnCache {
    pub(crate) fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<Columns>> {
        let key = segment.segment_id();
        if let Some(columns) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(columns.clone());
        }
        let fast = segment.fast_fields();
        let mut facets = [None, None, None, None];
        for (column, name) in facets.iter_mut().zip(FACET_FIELDS) {
            *column = fast.str(name)?;
        }
        let mut archive = [None, None, None, None, None];
        for (column, name) in archive.iter_mut().zip(ARCHIVE_FACETS) {
            *column = fast.str(name)?;
        }
        let columns = Arc::new(Columns {
            id: fast.str("id")?,
            facets,
            values: Default::default(),
            archive,
            archive_values: Default::default(),
        });
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, columns.clone());
        Ok(columns)
    }

    /// Forgets the segments `searcher` no longer has.
    pub(crate) fn retain(&self, searcher: &Searcher) {
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id, _| live.contains(id));
    }
}
