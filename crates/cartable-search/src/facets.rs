//! Facet counts for the search page's sidebar: how many of ALL the matching
//! documents (not just the page shown) have each kind, language, level and
//! subject.
//!
//! A collector over the fast columns of the four fields: each matching
//! document adds one to the counter of its value's ordinal in the segment,
//! and ordinals become values at the end, from each segment's table of its
//! values (`columns`), read once. Cheaper than
//! tantivy's aggregations, which build JSON-like trees for the same counts.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::columns::{ColumnCache, Columns};

/// Counts per value, sorted by count (most first), then value; at most
/// [`MAX_FACET_VALUES`] per facet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    #[serde(serialize_with = "counts")]
    pub kind: Vec<(String, u64)>,
    #[serde(serialize_with = "counts")]
    pub lang: Vec<(String, u64)>,
    #[serde(serialize_with = "counts")]
    pub level: Vec<(String, u64)>,
    #[serde(serialize_with = "counts")]
    pub subject: Vec<(String, u64)>,
}

/// `[{"value": "fr", "count": 12}, …]` rather than serde's `[["fr", 12]]`.
fn counts<S: Serializer>(counts: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    struct Count<'a>(&'a str, u64);
    impl Serialize for Count<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("value", self.0)?;
            m.serialize_entry("count", &self.1)?;
            m.end()
        }
    }
    let mut seq = s.serialize_seq(Some(counts.len()))?;
    for (value, count) in counts {
        seq.serialize_element(&Count(value, *count))?;
    }
    seq.end()
}

/// At most this many values of each facet are kept per segment, the most
/// frequent: counts are exact for values that are among them in every
/// segment, which holds for levels, subjects, languages and kinds (tens of
/// values), and a long tail of free-form values costs no more.
const SEGMENT_VALUES: usize = 256;
/// At most this many values of each facet are returned.
pub const MAX_FACET_VALUES: usize = 100;

pub(crate) struct FacetCollector<'a>(pub(crate) &'a ColumnCache);

pub(crate) struct FacetSegment {
    columns: Arc<Columns>,
    counts: [Vec<u64>; 4],
    /// Documents not yet counted: columns are read a batch at a time,
    /// which is cheaper for the optional ones (level, subject).
    docs: Vec<DocId>,
    ords: Vec<Option<u64>>,
}

/// Documents per batch.
const BATCH: usize = 64;

impl FacetSegment {
    fn flush(&mut self) {
        let n = self.docs.len();
        for (column, counts) in self.columns.facets.iter().zip(self.counts.iter_mut()) {
            let Some(column) = column else { continue };
            let ords = &mut self.ords[..n];
            column.ords().first_vals(&self.docs, ords);
            for ord in ords.iter().flatten() {
                if let Some(count) = counts.get_mut(*ord as usize) {
                    *count += 1;
                }
            }
        }
        self.docs.clear();
    }
}

type SegmentCounts = [Vec<(Arc<str>, u64)>; 4];

impl Collector for FacetCollector<'_> {
    type Fruit = Facets;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let columns = self.0.get(segment)?;
        let counts = columns
            .facets
            .each_ref()
            .map(|c| vec![0; c.as_ref().map_or(0, |c| c.num_terms())]);
        Ok(FacetSegment {
            columns,
            counts,
            docs: Vec::with_capacity(BATCH),
            ords: vec![None; BATCH],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut segments: Vec<SegmentCounts>) -> tantivy::Result<Facets> {
        // One segment (the usual case after a rebuild) has nothing to add up.
        let merged: SegmentCounts = if segments.len() == 1 {
            segments.pop().unwrap_or_default()
        } else {
            let mut merged: [HashMap<Arc<str>, u64>; 4] = Default::default();
            for segment in segments {
                for (i, counts) in segment.into_iter().enumerate() {
                    for (value, n) in counts {
                        *merged[i].entry(value).or_default() += n;
                    }
                }
            }
            merged.map(|m| m.into_iter().collect())
        };
        let [kind, lang, level, subject] = merged.map(|mut v| {
            v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(MAX_FACET_VALUES);
            v.into_iter()
                .map(|(value, n)| (value.to_string(), n))
                .collect()
        });
        Ok(Facets {
            kind,
            lang,
            level,
            subject,
        })
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = SegmentCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.docs.push(doc);
        if self.docs.len() == BATCH {
            self.flush();
        }
    }

    fn harvest(mut self) -> SegmentCounts {
        self.flush();
        let mut out: SegmentCounts = Default::default();
        for (i, counts) in std::mem::take(&mut self.counts).into_iter().enumerate() {
            let mut found: Vec<(u64, u64)> = counts
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(ord, n)| (ord as u64, n))
                .collect();
            if found.len() > SEGMENT_VALUES {
                found.select_nth_unstable_by(SEGMENT_VALUES, |a, b| b.1.cmp(&a.1));
                found.truncate(SEGMENT_VALUES);
                found.sort_unstable();
            }
            match self.columns.facet_values(i) {
                Ok(values) => {
                    out[i] = found
                        .iter()
                        .filter_map(|&(ord, n)| Some((values.get(ord as usize)?.clone(), n)))
                        .collect();
                }
                Err(e) => tracing::warn!(error = %e, "search index: facet values unreadable"),
            }
        }
        out
    }
}
