//! No input makes search panic.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::corpus;
use crate::{SearchIndex, SearchQuery};

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(corpus::index)
}

fn no_panic(text: &str) {
    for display in ["fr", "ar", ""] {
        let q = SearchQuery {
            display_lang: display.into(),
            ..SearchQuery::new(text)
        };
        let _ = index().search(&q);
        let _ = index().search_ids(&q);
        let _ = index().suggest(text, display, 5);
    }
}

#[test]
fn awkward_strings() {
    let long_word = "ا".repeat(300);
    let many_words = "a ".repeat(500);
    let accents = "é".repeat(512);
    for text in [
        "\u{651}\u{64e}",
        "\u{200f}\u{202e}abc\u{202c}",
        "\u{feff}",
        "\u{2d7f}\u{2d30}",
        "ﷺ ﷽",
        "𝔪𝔞𝔱𝔥 🧮 👩🏽‍🏫",
        "İ\u{307}\u{307}",
        "\u{10ffff}",
        "a*b?c~d\"e:f(g)[h]{i}^j-k+l",
        long_word.as_str(),
        many_words.as_str(),
        accents.as_str(),
    ] {
        no_panic(text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_unicode(text in any::<String>()) {
        no_panic(&text);
    }

    #[test]
    fn catalog_like_text(text in "[a-zéèçİıIşğ ا-ي\u{64b}-\u{652}ⴰ-ⵯ'’.,!?-]{0,40}") {
        no_panic(&text);
        let r = index().search(&SearchQuery::new(&text));
        if let Ok(r) = r {
            prop_assert!(r.hits.len() <= r.total);
            for hit in &r.hits {
                prop_assert!(!hit.id.is_empty());
            }
        }
    }
}
