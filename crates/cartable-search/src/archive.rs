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
use crate::error::QueryError;
use crate::highlight::Highlighter;
use crate::index::{Inner, SearchIndex};
use crate::query::{self, Scope};
use crate::schema::ARCHIVE_FACETS;
use crate::search::{Hit, MAX_LIMIT, MAX_OFFSET, hit, load, on_pool};

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
        if !q.text.trim().is_empty() {
            query::check(&q.text)?;
        }
        let words = query::analyse(&q.text);
        if words.is_empty() && q.text.trim().chars().any(char::is_alphanumeric) {
            return Ok(ArchiveResults::default());
        }
        let (inner, q) = (self.inner.clone(), q.clone());
        on_pool(move || search(&inner, words, &q))
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
    let (top, total, facets) = searcher.search(&query, &(top, Count, ArchiveFacetCollector))?;
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
/// creators counts once for each.
struct ArchiveFacetCollector;

/// The facet columns in the order of [`ArchiveFacets`]' fields.
const COLUMNS: [&str; 6] = [
    ARCHIVE_FACETS[0],
    ARCHIVE_FACETS[1],
    ARCHIVE_FACETS[2],
    ARCHIVE_FACETS[3],
    ARCHIVE_FACETS[4],
    "lang",
];

struct ArchiveSegment {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

type SegmentFruit = Vec<Vec<(Arc<str>, u64)>>;

impl Collector for ArchiveFacetCollector {
    type Fruit = ArchiveFacets;
    type Child = ArchiveSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<ArchiveSegment> {
        let fast = segment.fast_fields();
        let columns = COLUMNS
            .iter()
            .map(|name| fast.str(name))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let counts = columns
            .iter()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())])
            .collect();
        Ok(ArchiveSegment { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentFruit>) -> tantivy::Result<ArchiveFacets> {
        let mut merged: Vec<std::collections::HashMap<Arc<str>, u64>> =
            vec![Default::default(); COLUMNS.len()];
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
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            let Some(column) = column else { continue };
            for ord in column.term_ords(doc) {
                if let Some(n) = counts.get_mut(ord as usize) {
                    *n += 1;
                }
            }
        }
    }

    fn harvest(self) -> SegmentFruit {
        let mut out = vec![];
        for (column, counts) in self.columns.iter().zip(self.counts) {
            let mut found: Vec<(u64, u64)> = counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(ord, n)| (ord as u64, n))
                .collect();
            // Keep the most frequent of each segment; exact for every value
            // among them in each segment (see `facets` for the same rule).
            if found.len() > 4 * ARCHIVE_FACET_VALUES {
                found.select_nth_unstable_by(4 * ARCHIVE_FACET_VALUES, |a, b| b.1.cmp(&a.1));
                found.truncate(4 * ARCHIVE_FACET_VALUES);
            }
            found.sort_unstable();
            let mut values = Vec::with_capacity(found.len());
            if let Some(column) = column {
                let ords: Vec<u64> = found.iter().map(|f| f.0).collect();
                let mut counts = found.iter().map(|f| f.1);
                let read = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                    if let Some(n) = counts.next() {
                        values.push((Arc::from(String::from_utf8_lossy(bytes)), n));
                    }
                });
                if let Err(e) = read {
                    tracing::warn!(error = %e, "search index: archive facet values unreadable");
                }
            }
            out.push(values);
        }
        out
    }
}
