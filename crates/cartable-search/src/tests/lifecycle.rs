//! The index's life on disk: apply, rebuild, watermarks, schema versions
//! and the one-writer rule.

use super::corpus;
use crate::{Doc, Opened, SCHEMA_VERSION, SearchError, SearchIndex, SearchQuery};

fn ids(index: &SearchIndex, text: &str) -> Vec<String> {
    let mut ids: Vec<String> = index
        .search(&SearchQuery::new(text))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn apply_replaces_and_removes_documents() {
    let index = corpus::index();
    let n = corpus::corpus().len() as u64;
    assert_eq!(index.doc_count(), n);
    assert_eq!(index.watermark(), Some(1));

    let mut water = corpus::corpus()
        .into_iter()
        .find(|d| d.id == "fr-water")
        .unwrap();
    water.titles = vec![("fr".into(), "Le voyage d'une goutte d'eau".into())];
    let new = Doc {
        id: "en-volcano".into(),
        kind: "capsule".into(),
        lang: "en".into(),
        titles: vec![("en".into(), "How volcanoes erupt".into())],
        ..Doc::default()
    };
    index
        .apply(
            vec![water, new],
            &["tr-light".to_owned(), "no-such-id".to_owned()],
            1_700_000_000,
        )
        .unwrap();

    assert_eq!(index.watermark(), Some(1_700_000_000));
    assert_eq!(index.doc_count(), n); // one replaced, one added, one removed
    assert!(ids(&index, "cycle").is_empty());
    assert_eq!(ids(&index, "goutte"), ["fr-water"]);
    assert_eq!(ids(&index, "volcano"), ["en-volcano"]);
    assert!(ids(&index, "ışık").is_empty());
    // Facets add up over segments: fr-water is in the new one.
    let r = index.search(&SearchQuery::new("sciences ")).unwrap();
    assert_eq!(r.total, 2);
    assert_eq!(r.facets.subject, [("svt".to_owned(), 2)]);
    assert_eq!(r.facets.lang, [("en".to_owned(), 1), ("fr".to_owned(), 1)]);
    // Clones share the index.
    assert_eq!(ids(&index.clone(), "volcano"), ["en-volcano"]);
    // The same id twice in one batch: the last one wins.
    let a = Doc {
        id: "dup".into(),
        titles: vec![("en".into(), "first version".into())],
        ..Doc::default()
    };
    let b = Doc {
        id: "dup".into(),
        titles: vec![("en".into(), "second version".into())],
        ..Doc::default()
    };
    index.apply(vec![a, b], &[], 1_700_000_001).unwrap();
    assert!(ids(&index, "first").is_empty());
    assert_eq!(ids(&index, "second"), ["dup"]);
}

#[test]
fn rebuild_starts_over() {
    let index = corpus::index();
    let n = index
        .rebuild(corpus::corpus().into_iter().take(2), 5)
        .unwrap();
    assert_eq!((n, index.doc_count(), index.watermark()), (2, 2, Some(5)));
    assert!(ids(&index, "photosynthesis").is_empty());
}

#[test]
fn watermark_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.opened(), &Opened::Created);
        assert!(index.needs_rebuild());
        assert_eq!(index.watermark(), None);
        index.rebuild(corpus::corpus(), 1_700_000_000).unwrap();
        index
            .apply(vec![], &["tr-light".to_owned()], 1_700_000_100)
            .unwrap();
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.opened(), &Opened::Existing);
    assert_eq!(index.watermark(), Some(1_700_000_100));
    assert!(!index.needs_rebuild());
    assert_eq!(index.doc_count(), corpus::corpus().len() as u64 - 1);
    assert_eq!(ids(&index, "isik"), Vec::<String>::new());
    assert_eq!(ids(&index, "istanbul"), ["tr-istanbul"]);
}

#[test]
fn new_index_reopened_is_not_reset() {
    let dir = tempfile::tempdir().unwrap();
    drop(SearchIndex::open(dir.path()).unwrap());
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.opened(), &Opened::Existing);
    assert!(index.needs_rebuild());
}

#[test]
fn another_schema_version_gives_an_empty_index_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = SearchIndex::open_versioned(dir.path(), SCHEMA_VERSION + 1).unwrap();
        old.rebuild(corpus::corpus(), 1_700_000_000).unwrap();
        assert_eq!(old.doc_count(), corpus::corpus().len() as u64);
    }
    let index = SearchIndex::open(dir.path()).unwrap();
    assert!(
        matches!(index.opened(), Opened::Reset { reason } if reason.contains("schema version"))
    );
    assert_eq!(index.doc_count(), 0);
    assert_eq!(index.watermark(), None);
    assert!(index.needs_rebuild());
    index.rebuild(corpus::corpus(), 1_700_000_200).unwrap();
    drop(index);
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.opened(), &Opened::Existing);
    assert_eq!(index.watermark(), Some(1_700_000_200));
}

#[test]
fn an_unreadable_index_is_reset() {
    let dir = tempfile::tempdir().unwrap();
    drop(SearchIndex::open(dir.path()).unwrap());
    std::fs::write(dir.path().join("tantivy").join("meta.json"), b"{ not json").unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert!(matches!(index.opened(), Opened::Reset { .. }));
    assert!(index.needs_rebuild());
}

#[test]
fn one_writer_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = SearchIndex::open(dir.path()).unwrap();
    let err = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(err, SearchError::InUse { .. }));
    assert!(
        err.to_string()
            .contains("in use by another cartable process"),
        "{err}"
    );
    drop(first);
    SearchIndex::open(dir.path()).unwrap();
}
