//! The interface in Arabic, French and English, with Fluent: Arabic has six
//! plural forms, which key–value tables cannot express.
//!
//! Messages live in `locales/{ar,fr,en}.ftl`, compiled into the binary. A
//! missing message falls back to English, then to its key, so a gap shows
//! up on the page instead of breaking it.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The compiled-in messages, parsed once.
pub static I18N: LazyLock<I18n> = LazyLock::new(I18n::new);

/// The interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiLang {
    Ar,
    Fr,
    En,
}

impl UiLang {
    pub const ALL: [UiLang; 3] = [UiLang::Ar, UiLang::Fr, UiLang::En];

    pub fn code(self) -> &'static str {
        match self {
            UiLang::Ar => "ar",
            UiLang::Fr => "fr",
            UiLang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<UiLang> {
        UiLang::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn dir(self) -> &'static str {
        if self == UiLang::Ar { "rtl" } else { "ltr" }
    }

    /// The language's name in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            UiLang::Ar => "العربية",
            UiLang::Fr => "Français",
            UiLang::En => "English",
        }
    }

    /// The best interface language for an `Accept-Language` header.
    pub fn negotiate(header: Option<&str>, fallback: UiLang) -> UiLang {
        let mut best: Option<(f32, UiLang)> = None;
        for part in header.unwrap_or("").split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = UiLang::parse(primary)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(fallback, |(_, l)| l)
    }
}

pub struct I18n {
    bundles: HashMap<UiLang, FluentBundle<FluentResource>>,
}

const SOURCES: [(UiLang, &str); 3] = [
    (UiLang::Ar, include_str!("../locales/ar.ftl")),
    (UiLang::Fr, include_str!("../locales/fr.ftl")),
    (UiLang::En, include_str!("../locales/en.ftl")),
];

impl I18n {
    pub fn new() -> I18n {
        let mut bundles = HashMap::new();
        for (lang, source) in SOURCES {
            let resource =
                FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
                    tracing::error!(
                        lang = lang.code(),
                        ?errors,
                        "interface messages have syntax errors"
                    );
                    partial
                });
            let id = lang.code().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks are right around names in running text but
            // wrong inside attributes; templates isolate with <bdi> instead.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(lang = lang.code(), ?errors, "interface messages clash");
            }
            bundles.insert(lang, bundle);
        }
        I18n { bundles }
    }

    pub fn message(&self, lang: UiLang, key: &str, args: Option<&FluentArgs>) -> String {
        for l in [lang, UiLang::En] {
            let Some(bundle) = self.bundles.get(&l) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language() {
        let keys = |source: &str| -> Vec<String> {
            source
                .lines()
                .filter_map(|l| l.split_once(" ="))
                .map(|(k, _)| k.trim().to_owned())
                .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.starts_with(' '))
                .collect()
        };
        let english = keys(SOURCES[2].1);
        for (lang, source) in SOURCES {
            let have = keys(source);
            for key in &english {
                assert!(have.contains(key), "{} lacks {key}", lang.code());
            }
            assert!(
                FluentResource::try_new(source.to_owned()).is_ok(),
                "{} has syntax errors",
                lang.code()
            );
        }
    }

    #[test]
    fn arabic_counts_use_arabic_plurals() {
        let i18n = I18n::new();
        let count = |n: i64| {
            let mut args = FluentArgs::new();
            args.set("count", n);
            i18n.message(UiLang::Ar, "capsule-count", Some(&args))
        };
        assert_ne!(count(2), count(3), "dual and plural differ in Arabic");
        assert_ne!(count(3), count(11));
    }

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            UiLang::negotiate(Some("ar-MA,fr;q=0.8"), UiLang::En),
            UiLang::Ar
        );
        assert_eq!(
            UiLang::negotiate(Some("de,fr;q=0.5,en;q=0.9"), UiLang::Ar),
            UiLang::En
        );
        assert_eq!(UiLang::negotiate(Some("de"), UiLang::Fr), UiLang::Fr);
        assert_eq!(UiLang::negotiate(None, UiLang::Fr), UiLang::Fr);
    }
}
