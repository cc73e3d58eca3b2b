//! Facet counts for the search page's sidebar: how many of ALL the matching
//! documents (not just the page shown) have each kind, language, level and
//! subject.
//!
//! A collector over the fast columns of the four fields: each matching
//! document adds one to the counter of its value's ordinal in the segment,
//! and ordinals become strings once per segment at the end. Cheaper than
//! tantivy's aggregations, which build JSON-like trees for the same counts.

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::FACET_FIELDS;

/// Counts per value, sorted by count (most first), then value.
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

pub(crate) struct FacetCollector;

pub(crate) struct FacetSegment {
    columns: [Option<StrColumn>; 4],
    counts: [Vec<u64>; 4],
}

type SegmentCounts = [Vec<(String, u64)>; 4];

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let mut columns = [None, None, None, None];
        let mut counts = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for (i, name) in FACET_FIELDS.iter().enumerate() {
            if let Some(column) = segment.fast_fields().str(name)? {
                counts[i] = vec![0; column.num_terms()];
                columns[i] = Some(column);
            }
        }
        Ok(FacetSegment { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentCounts>) -> tantivy::Result<Facets> {
        let mut merged: [HashMap<String, u64>; 4] = Default::default();
        for segment in segments {
            for (i, counts) in segment.into_iter().enumerate() {
                for (value, n) in counts {
                    *merged[i].entry(value).or_default() += n;
                }
            }
        }
        let [kind, lang, level, subject] = merged.map(|m| {
            let mut v: Vec<(String, u64)> = m.into_iter().collect();
            v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
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
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column
                && let Some(ord) = column.ords().first(doc)
                && let Some(n) = counts.get_mut(ord as usize)
            {
                *n += 1;
            }
        }
    }

    fn harvest(self) -> SegmentCounts {
        let mut out: SegmentCounts = Default::default();
        let mut value = String::new();
        for (i, (column, counts)) in self.columns.iter().zip(self.counts).enumerate() {
            let Some(column) = column else { continue };
            for (ord, n) in counts.into_iter().enumerate() {
                if n > 0 && column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                    out[i].push((value.clone(), n));
                }
            }
        }
        out
    }
}
