//! What the templates see: the page frame (language, direction, title,
//! language-switch links) and ready-made cards, so templates hold no logic
//! beyond loops and conditions.

use crate::Shared;
use crate::i18n::{I18N, UiLang};
use cartable_core::catalog::{Capsule, Programme};
use cartable_core::{Translations, pick};
use fluent_bundle::FluentArgs;

/// The frame of every page.
pub struct Page {
    pub lang: UiLang,
    pub title: String,
    /// The path after `/{lang}`, with its query, for the language switch.
    pub rest: String,
    pub css: &'static str,
}

/// One link of the language switch.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub url: String,
    pub current: bool,
}

impl Page {
    pub fn new(lang: UiLang, title: String, rest: String) -> Page {
        Page {
            lang,
            title,
            rest,
            css: include_str!("../../assets/app.css"),
        }
    }

    /// A page titled by a message key, for error pages.
    pub fn new_static(lang: UiLang, title_key: &str, rest: String) -> Page {
        Page::new(lang, I18N.message(lang, title_key, None), rest)
    }

    pub fn t(&self, key: &str) -> String {
        I18N.message(self.lang, key, None)
    }

    pub fn count(&self, key: &str, count: &u64) -> String {
        let mut args = FluentArgs::new();
        args.set("count", *count);
        I18N.message(self.lang, key, Some(&args))
    }

    pub fn position(&self, position: &u32) -> String {
        let mut args = FluentArgs::new();
        args.set("position", *position);
        I18N.message(self.lang, "capsule-position", Some(&args))
    }

    /// A live question's moderation state, in words.
    pub fn question_state(&self, state: &cartable_core::live::QuestionState) -> String {
        self.t(&format!("live-q-{}", state.as_str()))
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }

    pub fn languages(&self) -> Vec<LangLink> {
        UiLang::ALL
            .into_iter()
            .map(|l| LangLink {
                code: l.code(),
                name: l.native_name(),
                url: format!("/{}{}", l.code(), self.rest),
                current: l == self.lang,
            })
            .collect()
    }
}

/// A text in the best language for the page, and that language, so the
/// element can say which language a screen reader should speak.
pub struct Text {
    pub text: String,
    pub lang: String,
}

pub fn text(texts: &Translations, lang: UiLang) -> Text {
    let text = pick(texts, lang.code()).unwrap_or_default().to_owned();
    let lang = texts
        .iter()
        .find(|(_, t)| **t == text)
        .map_or_else(String::new, |(l, _)| l.to_string());
    Text { text, lang }
}

/// A duration as `m:ss`, rounded down as video players show it, so the
/// page and the player agree.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A capsule in a list.
pub struct CapsuleCard {
    pub url: String,
    pub title: Text,
    pub summary: Option<Text>,
    pub level: String,
    pub subject: String,
    pub duration: String,
    pub thumbnail: Option<String>,
    pub position: Option<u32>,
}

impl CapsuleCard {
    pub fn new(state: &Shared, lang: UiLang, c: &Capsule) -> CapsuleCard {
        CapsuleCard {
            url: format!("/{}/capsules/{}", lang.code(), c.id),
            title: text(&c.titles, lang),
            summary: Some(text(&c.summaries, lang)).filter(|s| !s.text.is_empty()),
            level: state
                .taxonomy
                .level_label(c.level.as_str(), lang.code())
                .to_owned(),
            subject: state
                .taxonomy
                .subject_label(c.subject.as_str(), lang.code())
                .to_owned(),
            duration: duration(c.media.duration_ms),
            thumbnail: c
                .media
                .thumbnail
                .as_ref()
                .map(|h| crate::api::blob_url(h, "jpg")),
            position: None,
        }
    }
}

pub struct ProgrammeCard {
    pub url: String,
    pub title: Text,
    pub count: u64,
}

impl ProgrammeCard {
    pub fn new(lang: UiLang, p: &Programme) -> ProgrammeCard {
        ProgrammeCard {
            url: format!("/{}/programmes/{}", lang.code(), p.id),
            title: text(&p.titles, lang),
            count: p.capsule_count,
        }
    }
}

/// An option of a filter's `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
