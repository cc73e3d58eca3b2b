//! What a user typing into the search box sees.

use std::sync::OnceLock;

use super::corpus;
use crate::{QueryError, SearchIndex, SearchQuery, SearchResults};

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(corpus::index)
}

fn run(q: SearchQuery) -> SearchResults {
    index().search(&q).unwrap()
}

fn ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = run(SearchQuery::new(text))
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect();
    ids.sort();
    ids
}

#[track_caller]
fn finds(text: &str, id: &str) {
    let found = ids(text);
    assert!(
        found.iter().any(|i| i == id),
        "{text:?} should find {id}, found {found:?}"
    );
}

#[track_caller]
fn misses(text: &str, id: &str) {
    let found = ids(text);
    assert!(
        !found.iter().any(|i| i == id),
        "{text:?} should not find {id}, found {found:?}"
    );
}

#[test]
fn arabic_without_harakat_or_with_other_letter_forms() {
    // The title is written with harakat; users type without.
    finds("الرياضيات", "ar-math");
    finds("مدخل", "ar-math");
    // إِلَى typed with a bare alef; الأعداد typed without hamza.
    finds("الى الرياضيات", "ar-math");
    finds("الاعداد العشرية", "fr-fractions");
    // ه typed for ة.
    finds("المدرسه", "ar-school");
    finds("القريه", "ar-school");
}

#[test]
fn arabic_light_stemming() {
    // Without the article, and a plural of كسر (a fraction) in the body.
    finds("مدرسة", "ar-school");
    finds("رياضيات", "ar-math");
    finds("بالمدرسة", "ar-school");
    finds("كسور", "fr-fractions");
}

#[test]
fn arabic_prefix_as_you_type() {
    finds("الري", "ar-math");
    finds("مدخل الري", "ar-math");
}

#[test]
fn french_accents_case_and_one_typo() {
    for q in [
        "Mathématiques",
        "MATHÉMATIQUES",
        "mathematiques",
        "mathematiqes",
        "mathémathiques",
    ] {
        finds(q, "fr-geometry");
    }
    finds("périmetre du carre", "fr-geometry");
    finds("decimaux", "fr-fractions");
    // Stemmed: the singular finds the plural.
    finds("fraction décimal", "fr-fractions");
}

#[test]
fn short_words_need_no_typo() {
    finds("cycle", "fr-water");
    finds("cylce", "fr-water");
    // Four letters: a typo does not match, as a last word or a whole one.
    misses("cyle", "fr-water");
    misses("cyle ", "fr-water");
    misses("mre ", "fr-water");
    // Five letters: one typo (here a transposition) is tolerated.
    finds("pluei", "fr-water");
    assert_eq!(run(SearchQuery::new("eua ")).total, 0);
}

#[test]
fn turkish_dotted_and_dotless_i() {
    for q in [
        "istanbul",
        "İSTANBUL",
        "İstanbul",
        "ISTANBUL",
        "istanbul'un",
    ] {
        finds(q, "tr-istanbul");
    }
    // The naive fold would miss it: to_lowercase gives "işik" (neither ışık
    // nor isik) and turns İ into i + a combining dot.
    assert_eq!("IŞIK".to_lowercase(), "işik");
    assert_eq!("İ".to_lowercase(), "i\u{307}");
    for q in ["isik", "ışık", "IŞIK", "Işık", "ısı"] {
        finds(q, "tr-light");
    }
    // Stemmed: ışığın (of the light) and tarih (history).
    finds("tarih", "tr-istanbul");
}

#[test]
fn english_stemming_and_prefixes() {
    finds("plant", "en-photosynthesis");
    finds("releases oxygen", "en-photosynthesis");
    finds("photosynthesise", "en-photosynthesis");
    finds("photosy", "en-photosynthesis");
    finds("green pla", "en-photosynthesis");
    // The French title has photosynthèse: the French stem of the English word.
    let r = run(SearchQuery {
        display_lang: "fr".into(),
        ..SearchQuery::new("photosynthesis ")
    });
    assert_eq!(
        r.hits[0].title.plain(),
        "La photosynthèse chez les plantes vertes"
    );
    assert_eq!(
        r.hits[0].title.matches().collect::<Vec<_>>(),
        ["photosynthèse"]
    );
}

#[test]
fn tifinagh_words() {
    finds("ⵜⵉⴼⵉⵏⴰⵖ", "zgh-tifinagh");
    finds("ⵉⵙⴽⴽⵉⵍⵏ", "zgh-tifinagh");
    finds("ⵉⵙⴽ", "zgh-tifinagh");
    finds("tifinagh", "zgh-tifinagh");
    misses("ⵜⵉⴼⵉ ", "zgh-tifinagh");
}

#[test]
fn every_word_must_match() {
    assert_eq!(ids("fractions décimaux"), ["fr-fractions"]);
    assert_eq!(ids("carré périmètre"), ["fr-geometry"]);
    assert!(ids("fractions photosynthesis").is_empty());
    // In any field and language: an Arabic title word and a French body word.
    assert_eq!(ids("الكسور virgule"), ["fr-fractions"]);
}

#[test]
fn filters_and_facets() {
    let all = run(SearchQuery::new("mathématiques"));
    assert_eq!(all.total, 3);
    assert_eq!(
        all.facets.lang,
        [("fr".to_owned(), 2), ("ar".to_owned(), 1)]
    );
    assert_eq!(
        all.facets.level,
        [("cm2".to_owned(), 2), ("6ap".to_owned(), 1)]
    );
    assert_eq!(all.facets.subject, [("maths".to_owned(), 3)]);
    assert_eq!(all.facets.kind, [("capsule".to_owned(), 3)]);

    // Facets count every match, not the page.
    let page = run(SearchQuery {
        limit: 1,
        ..SearchQuery::new("mathématiques")
    });
    assert_eq!((page.total, page.hits.len()), (3, 1));
    assert_eq!(page.facets, all.facets);
    let none = run(SearchQuery {
        limit: 0,
        ..SearchQuery::new("mathématiques")
    });
    assert_eq!((none.total, none.hits.len()), (3, 0));
    let far = run(SearchQuery {
        offset: 50,
        ..SearchQuery::new("mathématiques")
    });
    assert_eq!((far.total, far.hits.len()), (3, 0));

    let ar = run(SearchQuery {
        lang: Some("ar".into()),
        ..SearchQuery::new("mathématiques")
    });
    assert_eq!(
        ar.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["ar-math"]
    );
    assert_eq!(ar.facets.lang, [("ar".to_owned(), 1)]);
    let cm2 = run(SearchQuery {
        level: Some("cm2".into()),
        ..SearchQuery::new("mathématiques")
    });
    assert_eq!(cm2.total, 2);
    let svt = run(SearchQuery {
        subject: Some("svt".into()),
        ..SearchQuery::new("sciences")
    });
    assert_eq!(svt.total, 2);
    let archive = run(SearchQuery {
        kind: Some("archive".into()),
        ..SearchQuery::new("harbour")
    });
    assert_eq!(archive.hits[0].id, "archive-harbour");
    assert_eq!(archive.hits[0].level, None);
    let nothing = run(SearchQuery {
        kind: Some("book".into()),
        ..SearchQuery::new("harbour")
    });
    assert_eq!(nothing.total, 0);
    // An empty filter value is no filter.
    let empty = run(SearchQuery {
        kind: Some(String::new()),
        ..SearchQuery::new("harbour")
    });
    assert_eq!(empty.total, 1);
}

#[test]
fn highlighting_marks_the_matched_words() {
    let r = run(SearchQuery {
        display_lang: "fr".into(),
        ..SearchQuery::new("mathematiqes carre")
    });
    assert_eq!(r.total, 1);
    let hit = &r.hits[0];
    assert_eq!(hit.title.plain(), "Mathématiques : le périmètre du carré");
    // A fuzzy match, and a prefix one (the last word).
    assert_eq!(
        hit.title.matches().collect::<Vec<_>>(),
        ["Mathématiques", "carré"]
    );
    assert_eq!(
        hit.snippet.matches().collect::<Vec<_>>(),
        ["carré", "carré"]
    );
    assert!(hit.snippet.plain().starts_with("Le périmètre d'un carré"));

    // The display language first, then the document's own.
    let ar = run(SearchQuery {
        display_lang: "ar".into(),
        ..SearchQuery::new("fractions décimaux")
    });
    assert_eq!(ar.hits[0].title.plain(), "الكسور والأعداد العشرية");
    let en = run(SearchQuery {
        display_lang: "en".into(),
        ..SearchQuery::new("fractions décimaux")
    });
    assert_eq!(
        en.hits[0].title.plain(),
        "Les fractions et les nombres décimaux"
    );
    assert_eq!(
        en.hits[0].title.matches().collect::<Vec<_>>(),
        ["fractions", "décimaux"]
    );

    // Arabic: harakat kept in the shown text, the stemmed word marked.
    let r = run(SearchQuery {
        display_lang: "ar".into(),
        ..SearchQuery::new("الرياضيات ")
    });
    let math = r.hits.iter().find(|h| h.id == "ar-math").unwrap();
    assert_eq!(math.title.matches().collect::<Vec<_>>(), ["الرِّيَاضِيَّاتِ"]);
    // Turkish, with the dotless capital.
    let r = run(SearchQuery::new("isik"));
    assert_eq!(r.hits[0].title.matches().collect::<Vec<_>>(), ["Işık"]);
    // ışığın (of the light) by its Turkish stem.
    assert_eq!(
        r.hits[0].snippet.matches().collect::<Vec<_>>(),
        ["ışık", "Işığın"]
    );
}

#[test]
fn hit_json_shape() {
    let r = run(SearchQuery {
        display_lang: "en".into(),
        ..SearchQuery::new("harbour dawn")
    });
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(
        json["facets"]["kind"],
        serde_json::json!([{"value": "archive", "count": 1}])
    );
    let hit = &json["hits"][0];
    assert_eq!(hit["id"], "archive-harbour");
    assert_eq!(hit["level"], serde_json::Value::Null);
    assert_eq!(
        hit["title"],
        serde_json::json!([
            {"text": "A view of the ", "match": false},
            {"text": "harbour", "match": true},
            {"text": " at ", "match": false},
            {"text": "dawn", "match": true},
        ])
    );
}

#[test]
fn punctuation_only_finds_nothing_and_bad_input_is_refused() {
    for q in ["?", "!!! …", "« — »", "'", "\u{651}"] {
        let r = run(SearchQuery::new(q));
        assert_eq!((r.total, r.hits.len()), (0, 0), "{q:?}");
    }
    let refused = |q: &str| index().search(&SearchQuery::new(q)).unwrap_err();
    assert!(matches!(refused(""), QueryError::Empty));
    assert!(matches!(refused("  \t "), QueryError::ControlCharacter));
    assert!(matches!(refused("   "), QueryError::Empty));
    assert!(matches!(
        refused(&"é".repeat(513)),
        QueryError::TooLong { len: 1026 }
    ));
    assert!(matches!(refused("plant\0"), QueryError::ControlCharacter));
    assert!(refused("\u{1b}[2J").is_bad_input());
    assert!(index().suggest("", "fr", 5).is_err());
}

#[test]
fn suggestions_as_you_type() {
    let s = index().suggest("photosy", "fr", 5).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].id, "en-photosynthesis");
    assert_eq!(
        s[0].title.plain(),
        "La photosynthèse chez les plantes vertes"
    );
    assert_eq!(s[0].title.matches().collect::<Vec<_>>(), ["photosynthèse"]);
    // Arabic typed in a French interface: the Arabic title, marked.
    let s = index().suggest("الكسور والا", "fr", 5).unwrap();
    assert_eq!(s[0].id, "fr-fractions");
    assert_eq!(
        s[0].title.matches().collect::<Vec<_>>(),
        ["الكسور", "والأعداد"]
    );
    let s = index().suggest("mathematiqes p", "fr", 5).unwrap();
    assert_eq!(
        s.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["fr-geometry"]
    );
    // Body words are not suggested.
    assert!(index().suggest("virgule", "fr", 5).unwrap().is_empty());
    assert!(index().suggest("?", "fr", 5).unwrap().is_empty());
    assert!(index().suggest("photo", "fr", 0).unwrap().is_empty());
}
