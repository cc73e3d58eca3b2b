//! The archive's faceted search: facets over multi-valued fields, filters,
//! the year range, and no archive item leaking into capsule searches.

use crate::tests::corpus::index;
use crate::{ArchiveCard, ArchiveDoc, ArchiveQuery, Doc, SearchQuery};

fn item(id: &str, title: &str, creators: &[&str], year: Option<i64>, collection: &str) -> Doc {
    Doc {
        id: id.into(),
        kind: "archive".into(),
        lang: "fr".into(),
        titles: vec![("fr".into(), title.into())],
        body: vec![("fr".into(), format!("{title}, fonds {collection}"))],
        archive: Some(ArchiveDoc {
            types: vec!["carte".into()],
            creators: creators.iter().map(|c| (*c).to_owned()).collect(),
            subjects: vec!["ville".into()],
            collections: vec![collection.into()],
            year,
            card: ArchiveCard {
                date: year.map(|y| y.to_string()),
                ..ArchiveCard::default()
            },
        }),
        ..Doc::default()
    }
}

fn with_items() -> crate::SearchIndex {
    let index = index();
    index
        .apply(
            vec![
                item(
                    "a1",
                    "Plan de la médina",
                    &["Prost", "Laprade"],
                    Some(1912),
                    "cartes",
                ),
                item("a2", "Plan du port", &["Prost"], Some(1918), "cartes"),
                item("a3", "Vue du port", &["Anonyme"], Some(1925), "photos"),
                item("a4", "Sans date", &[], None, "photos"),
            ],
            &[],
            1_800_000_000,
        )
        .unwrap();
    index
}

fn count(facet: &[crate::FacetCount], value: &str) -> u64 {
    facet
        .iter()
        .find(|f| f.value == value)
        .map_or(0, |f| f.count)
}

#[test]
fn browsing_counts_every_value_of_multi_valued_facets() {
    let index = with_items();
    let r = index
        .search_archive(&ArchiveQuery {
            limit: 10,
            ..ArchiveQuery::default()
        })
        .unwrap();
    // The corpus holds one archive item of its own.
    assert_eq!(r.total, 5, "no words: every archive item, and only them");
    assert_eq!(count(&r.facets.creator, "Prost"), 2);
    assert_eq!(count(&r.facets.creator, "Laprade"), 1);
    assert_eq!(count(&r.facets.decade, "1910s"), 2);
    assert_eq!(count(&r.facets.collection, "photos"), 2);
    assert!(
        r.hits
            .iter()
            .all(|h| h.kind == "archive" && (h.card.is_some() || h.id == "archive-harbour"))
    );
}

#[test]
fn filters_words_and_year_ranges_combine() {
    let index = with_items();
    let q = |f: &dyn Fn(&mut ArchiveQuery)| {
        let mut q = ArchiveQuery {
            limit: 10,
            ..ArchiveQuery::default()
        };
        f(&mut q);
        let mut ids: Vec<String> = index
            .search_archive(&q)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(q(&|q| q.text = "port".into()), ["a2", "a3"]);
    assert_eq!(q(&|q| q.creator = Some("Prost".into())), ["a1", "a2"]);
    assert_eq!(
        q(&|q| {
            q.text = "port".into();
            q.creator = Some("Prost".into())
        }),
        ["a2"]
    );
    assert_eq!(
        q(&|q| {
            q.year_from = Some(1915);
            q.year_to = Some(1925)
        }),
        ["a2", "a3"]
    );
    assert_eq!(
        q(&|q| {
            q.year_to = Some(1912);
            q.collection = Some("cartes".into())
        }),
        ["a1"]
    );
    assert_eq!(q(&|q| q.decade = Some("1920s".into())), ["a3"]);
    assert_eq!(
        q(&|q| q.text = "...".into()),
        q(&|_| {}),
        "punctuation only: no filter on text"
    );
    let capsules = index
        .search(&SearchQuery {
            kind: Some("capsule".into()),
            ..SearchQuery::new("port")
        })
        .unwrap();
    assert!(capsules.hits.iter().all(|h| h.kind == "capsule"));
}
