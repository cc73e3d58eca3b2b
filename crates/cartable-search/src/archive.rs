//! The archive's faceted search: the same index and query words as the
//! platform search, restricted to archive items, with five multi-valued
//! facets (type, creator, subject, collection, decade) plus language, and a
//! filter on the year the item was made.
//!
//! With no words it lists every item that passes the filters, in index
//! order: the archive's home page and its collection pages are this search.

use std::sync::Arc;

use serde::Serialize;
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, Term};

use crate::analysis;
use crate::columns::{ColumnCache, Columns};
use crate::error::QueryError;
use crate::highlight::Highlighter;
use crate::index::{Inner, SearchIndex};
use crate::query::{self, Scope};
use crate::search::{Hit, MAX_LIMIT, MAX_OFFSET, hit, load};

/// A search of the archive. Empty filter values mean no filter.
#[derive(Debug, Clone, Default)]
pub struct ArchiveQuery {
    /// Words; empty lists everything that passes the filters.
    pub text: String,
    pub lang: Option<String>,
    pub item_type: Option<String>,
    pub creator: Option<String>,
    pub subject: Option<String>,
    pub collection: Option<String>,
    /// As "1780s".
    pub decade: Option<String>,
    /// Years made, inclusive.
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub display_lang: String,
    pub limit: usize,
    pub offset: usize,
}

/// Counts per value of each facet over all matching items, most first;
/// at most [`ARCHIVE_FACET_VALUES`] values each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveFacets {
    #[serde(rename = "type")]
    pub item_type: Vec<FacetCount>,
    pub creator: Vec<FacetCount>,
    pub subject: Vec<FacetCount>,
    pub collection: Vec<FacetCount>,
    pub decade: Vec<FacetCount>,
    pub lang: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// The answer to an archive search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArchiveResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: ArchiveFacets,
}

/// At most this many values of each facet are returned.
pub const ARCHIVE_FACET_VALUES: usize = 30;

impl SearchIndex {
    /// Searches the archive. Blocking: it waits for its turn on the pool.
    pub fn search_archive(&self, q: &ArchiveQuery) -> Result<ArchiveResults, QueryError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.search_archive_then(q, move |r| {
            let _ = tx.send(r);
        });
        rx.recv()
            .unwrap_or(Err(QueryError::Index(crate::SearchError::Fault)))
    }

    /// The same search, queued on the pool without blocking the caller:
    /// `answer` gets the result on a pool thread (and is dropped unused if
    /// the search panicked). For async callers, which would otherwise hold
    /// a blocking thread while they wait.
    pub fn search_archive_then(
        &self,
        q: &ArchiveQuery,
        answer: impl FnOnce(Result<ArchiveResults, QueryError>) + Send + 'static,
    ) {
        if !q.text.trim().is_empty()
            && let Err(e) = query::check(&q.text)
        {
            return answer(Err(e));
        }
        let words = query::analyse(&q.text);
        if words.is_empty() && q.text.trim().chars().any(char::is_alphanumeric) {
            return answer(Ok(ArchiveResults::default()));
        }
        let (inner, q) = (self.inner.clone(), q.clone());
        crate::pool::submit(move || answer(search(&inner, words, &q)));
    }
}

fn filter(field: tantivy::schema::Field, value: &str) -> (Occur, Box<dyn Query>) {
    let term = TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    );
    (
        Occur::Must,
        Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
    )
}

fn search(
    inner: &Inner,
    mut words: Vec<query::QueryWord>,
    q: &ArchiveQuery,
) -> Result<ArchiveResults, QueryError> {
    let searcher = inner.reader.searcher();
    let fields = &inner.fields;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![filter(fields.kind, "archive")];
    if !words.is_empty() {
        let none = [
            (fields.kind, None),
            (fields.lang, None),
            (fields.level, None),
            (fields.subject, None),
        ];
        clauses.push((
            Occur::Must,
            query::build(&searcher, fields, &mut words, Scope::Everything, &none)?,
        ));
    }
    let value = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    if let Some(lang) = value(&q.lang) {
        clauses.push(filter(fields.lang, &lang));
    }
    let wanted = [
        &q.item_type,
        &q.creator,
        &q.subject,
        &q.collection,
        &q.decade,
    ];
    for (field, v) in fields.archive.iter().zip(wanted) {
        if let Some(v) = value(v) {
            clauses.push(filter(*field, &v));
        }
    }
    if q.year_from.is_some() || q.year_to.is_some() {
        let bound = |y: Option<i64>| match y {
            Some(y) => std::ops::Bound::Included(Term::from_field_i64(fields.year, y)),
            None => std::ops::Bound::Unbounded,
        };
        clauses.push((
            Occur::Must,
            Box::new(RangeQuery::new(bound(q.year_from), bound(q.year_to))),
        ));
    }
    let query = BooleanQuery::new(clauses);
    let limit = q.limit.min(MAX_LIMIT);
    let top = TopDocs::with_limit(limit.max(1))
        .and_offset(q.offset.min(MAX_OFFSET))
        .order_by_score();
    let (top, total, facets) =
        searcher.search(&query, &(top, Count, ArchiveFacetCollector(&inner.columns)))?;
    let mut highlighter = Highlighter::new(&words);
    let hits = analysis::with(|a| {
        top.into_iter()
            .take(limit)
            .map(|(score, address)| {
                let stored = load(&searcher, fields, address)?;
                Ok(hit(a, &mut highlighter, stored, score, &q.display_lang))
            })
            .collect::<Result<Vec<Hit>, QueryError>>()
    })?;
    Ok(ArchiveResults {
        total,
        hits,
        facets,
    })
}

/// Counts the values of the archive's facet columns (and `lang`) over the
/// matching documents. The columns are multi-valued: an item with two
/// creators counts once for each. Columns and their values come from the
/// index's per-segment cache.
struct ArchiveFacetCollector<'a>(&'a ColumnCache);

/// How many facets are counted: the five archive columns, then `lang`.
const COUNTED: usize = 6;

struct ArchiveSegment {
    cached: Arc<Columns>,
    counts: Vec<Vec<u64>>,
    /// Documents not yet counted: each column is read a batch at a time,
    /// its row ids and values in bulk, which costs a fraction of reading
    /// document by document.
    docs: Vec<DocId>,
    rows: Vec<u32>,
    docs_out: Vec<DocId>,
    ords: Vec<u64>,
}

/// Documents per batch.
const BATCH: usize = 256;

impl ArchiveSegment {
    /// Facet `i`'s column: an archive column, then `lang`.
    fn column(cached: &Columns, i: usize) -> Option<&StrColumn> {
        match i {
            5 => cached.facets[1].as_ref(),
            i => cached.archive.get(i)?.as_ref(),
        }
    }

    fn flush(&mut self) {
        for (i, counts) in self.counts.iter_mut().enumerate() {
            let Some(column) = ArchiveSegment::column(&self.cached, i) else {
                continue;
            };
            let ords = column.ords();
            self.rows.clear();
            self.docs_out.clear();
            ords.row_ids_for_docs(&self.docs, &mut self.docs_out, &mut self.rows);
            self.ords.clear();
            self.ords.resize(self.rows.len(), 0);
            ords.values.get_vals(&self.rows, &mut self.ords);
            for ord in &self.ords {
                if let Some(n) = counts.get_mut(*ord as usize) {
                    *n += 1;
                }
            }
        }
        self.docs.clear();
    }
}

type SegmentFruit = Vec<Vec<(Arc<str>, u64)>>;

impl Collector for ArchiveFacetCollector<'_> {
    type Fruit = ArchiveFacets;
    type Child = ArchiveSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<ArchiveSegment> {
        let cached = self.0.get(segment)?;
        let counts = (0..COUNTED)
            .map(|i| vec![0; ArchiveSegment::column(&cached, i).map_or(0, |c| c.num_terms())])
            .collect();
        Ok(ArchiveSegment {
            cached,
            counts,
            docs: Vec::with_capacity(BATCH),
            rows: Vec::with_capacity(BATCH),
            docs_out: Vec::with_capacity(BATCH),
            ords: Vec::with_capacity(BATCH),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentFruit>) -> tantivy::Result<ArchiveFacets> {
        let mut merged: Vec<std::collections::HashMap<Arc<str>, u64>> =
            vec![Default::default(); COUNTED];
        for segment in segments {
            for (i, counts) in segment.into_iter().enumerate() {
                for (value, n) in counts {
                    *merged[i].entry(value).or_default() += n;
                }
            }
        }
        let mut out = merged.into_iter().map(|m| {
            let mut v: Vec<(Arc<str>, u64)> = m.into_iter().collect();
            v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(ARCHIVE_FACET_VALUES);
            v.into_iter()
                .map(|(value, count)| FacetCount {
                    value: value.to_string(),
                    count,
                })
                .collect::<Vec<_>>()
        });
        let mut next = || out.next().unwrap_or_default();
        Ok(ArchiveFacets {
            item_type: next(),
            creator: next(),
            subject: next(),
            collection: next(),
            decade: next(),
            lang: next(),
        })
    }
}

impl SegmentCollector for ArchiveSegment {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.docs.push(doc);
        if self.docs.len() == BATCH {
            self.flush();
        }
    }

    fn harvest(mut self) -> SegmentFruit {
        self.flush();
        let mut out = vec![];
        for (i, counts) in std::mem::take(&mut self.counts).into_iter().enumerate() {
            let mut found: Vec<(usize, u64)> = counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .collect();
            // Keep the most frequent of each segment; exact for every value
            // among them in each segment (see `facets` for the same rule).
            if found.len() > 4 * ARCHIVE_FACET_VALUES {
                found.select_nth_unstable_by(4 * ARCHIVE_FACET_VALUES, |a, b| b.1.cmp(&a.1));
                found.truncate(4 * ARCHIVE_FACET_VALUES);
            }
            let values = match i {
                5 => self.cached.facet_values(1),
                i => self.cached.archive_values(i),
            };
            match values {
                Ok(values) => out.push(
                    found
                        .iter()
                        .filter_map(|&(ord, n)| Some((values.get(ord)?.clone(), n)))
                        .collect(),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "search index: archive facet values unreadable");
                    out.push(vec![]);
                }
            }
        }
        out
    }
}
