//! The index's schema and how a [`Doc`] is written into it.
//!
//! Fields: `id` (the key `apply` replaces by), the four filter and facet
//! fields `kind`, `lang`, `level`, `subject` (raw strings, with fast columns
//! for facet counts), the folded `title` and `all` fields (every text, for
//! exact, prefix and fuzzy matches), the stemmed `stem_ar`, `stem_fr`,
//! `stem_en`, `stem_tr` fields (the texts in that language only), and
//! `stored`, one JSON value with what a hit shows. Bump [`SCHEMA_VERSION`]
//! whenever any of this or the analyzers change: an index of another version
//! is emptied at open and reports that it needs a rebuild.

use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{FOLD, StemLang};

/// The version of the schema and analyzers; see the module's comment.
pub const SCHEMA_VERSION: u32 = 2;

/// The stored copy of each body text is cut to this many bytes: enough for
/// a snippet, and it keeps the document store (read for every hit) small.
/// The whole text is indexed.
pub(crate) const STORED_BODY_BYTES: usize = 8 * 1024;

/// One searchable document, flattened by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    /// Unique across kinds, e.g. the capsule id.
    pub id: String,
    /// "capsule" now; later "archive", "book".
    pub kind: String,
    /// The document's language code: ar, fr, en, tr, zgh, or anything else.
    pub lang: String,
    /// Level id, for filters and facets.
    pub level: Option<String>,
    /// Subject id, for filters and facets.
    pub subject: Option<String>,
    /// (lang, text): every translation of the title.
    pub titles: Vec<(String, String)>,
    /// (lang, text): summaries, transcript, caption text.
    pub body: Vec<(String, String)>,
    /// (lang, text): level and subject names in every language, tags.
    pub keywords: Vec<(String, String)>,
    /// An archive item's facets and card; `None` for other kinds.
    pub archive: Option<ArchiveDoc>,
}

/// What the archive's faceted search knows of an item beyond its texts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArchiveDoc {
    pub types: Vec<String>,
    pub creators: Vec<String>,
    pub subjects: Vec<String>,
    /// Collection ids.
    pub collections: Vec<String>,
    /// The year the item was made: its decade is a facet, and date ranges
    /// filter on it.
    pub year: Option<i64>,
    /// What a hit shows: a thumbnail, the date as written, the creators.
    pub card: ArchiveCard,
}

/// The few things a result card of an archive item shows besides its
/// title and snippet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveCard {
    /// The thumbnail's blob hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creators: Vec<String>,
}

/// What a hit shows, stored as JSON in the `stored` field.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) lang: String,
    pub(crate) level: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) titles: Vec<(String, String)>,
    pub(crate) body: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) card: Option<ArchiveCard>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    pub(crate) kind: Field,
    pub(crate) lang: Field,
    pub(crate) level: Field,
    pub(crate) subject: Field,
    pub(crate) title: Field,
    pub(crate) all: Field,
    pub(crate) stem: [Field; 4],
    pub(crate) stored: Field,
    /// The archive's facet fields, in the order of [`ARCHIVE_FACETS`].
    pub(crate) archive: [Field; 5],
    pub(crate) year: Field,
}

/// The archive's multi-valued facet fields.
pub(crate) const ARCHIVE_FACETS: [&str; 5] = [
    "a_type",
    "a_creator",
    "a_subject",
    "a_collection",
    "a_decade",
];

/// The names of the facet columns, in the order of [`crate::Facets`].
pub(crate) const FACET_FIELDS: [&str; 4] = ["kind", "lang", "level", "subject"];

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Frequencies for BM25, no positions: there are no phrase queries, and
    // positions would double the postings.
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let id = b.add_text_field("id", STRING | FAST);
    let kind = b.add_text_field("kind", STRING | FAST);
    let lang = b.add_text_field("lang", STRING | FAST);
    let level = b.add_text_field("level", STRING | FAST);
    let subject = b.add_text_field("subject", STRING | FAST);
    let title = b.add_text_field("title", text(FOLD));
    let all = b.add_text_field("all", text(FOLD));
    let stem = StemLang::ALL.map(|l| {
        let name = format!("stem_{}", &l.tokenizer_name()["cartable_".len()..]);
        b.add_text_field(&name, text(l.tokenizer_name()))
    });
    let stored = b.add_text_field("stored", STORED);
    let archive = ARCHIVE_FACETS.map(|name| b.add_text_field(name, STRING | FAST));
    let year = b.add_i64_field("a_year", INDEXED | FAST);
    let fields = Fields {
        id,
        kind,
        lang,
        level,
        subject,
        title,
        all,
        stem,
        stored,
        archive,
        year,
    };
    (b.build(), fields)
}

impl Fields {
    pub(crate) fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            id: f("id")?,
            kind: f("kind")?,
            lang: f("lang")?,
            level: f("level")?,
            subject: f("subject")?,
            title: f("title")?,
            all: f("all")?,
            stem: [f("stem_ar")?, f("stem_fr")?, f("stem_en")?, f("stem_tr")?],
            stored: f("stored")?,
            archive: [
                f(ARCHIVE_FACETS[0])?,
                f(ARCHIVE_FACETS[1])?,
                f(ARCHIVE_FACETS[2])?,
                f(ARCHIVE_FACETS[3])?,
                f(ARCHIVE_FACETS[4])?,
            ],
            year: f("a_year")?,
        })
    }

    pub(crate) fn document(&self, doc: Doc) -> Result<TantivyDocument, serde_json::Error> {
        let mut d = TantivyDocument::new();
        d.add_text(self.id, &doc.id);
        d.add_text(self.kind, &doc.kind);
        d.add_text(self.lang, &doc.lang);
        if let Some(level) = &doc.level {
            d.add_text(self.level, level);
        }
        if let Some(subject) = &doc.subject {
            d.add_text(self.subject, subject);
        }
        for (lang, text) in &doc.titles {
            d.add_text(self.title, text);
            self.add_searchable(&mut d, lang, text);
        }
        for (lang, text) in doc.body.iter().chain(&doc.keywords) {
            self.add_searchable(&mut d, lang, text);
        }
        let card = doc.archive.map(|a| {
            let decade = a.year.map(|y| format!("{}s", y.div_euclid(10) * 10));
            let values = [&a.types, &a.creators, &a.subjects, &a.collections];
            for (field, values) in self.archive.iter().zip(values) {
                for v in values {
                    d.add_text(*field, v);
                }
            }
            if let Some(decade) = decade {
                d.add_text(self.archive[4], decade);
            }
            if let Some(year) = a.year {
                d.add_i64(self.year, year);
            }
            a.card
        });
        let stored = Stored {
            id: doc.id,
            kind: doc.kind,
            lang: doc.lang,
            level: doc.level,
            subject: doc.subject,
            titles: doc.titles,
            body: doc
                .body
                .into_iter()
                .map(|(l, t)| (l, cut(t, STORED_BODY_BYTES)))
                .collect(),
            card,
        };
        d.add_text(self.stored, serde_json::to_string(&stored)?);
        Ok(d)
    }

    fn add_searchable(&self, d: &mut TantivyDocument, lang: &str, text: &str) {
        d.add_text(self.all, text);
        if let Some(l) = StemLang::of(lang) {
            d.add_text(self.stem[l.index()], text);
        }
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let end = (0..=max)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(end);
    }
    text
}
