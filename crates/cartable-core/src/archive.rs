//! The city archive: items described in Dublin Core, their collections, and
//! the column mapping that turns a spreadsheet export into items.
//!
//! Every archive system exports different columns, so an import is driven
//! by a [`Mapping`], a small TOML file the archivist edits (an example for
//! the Tate export ships in `examples/archive/tate.toml`):
//!
//! ```toml
//! identifier = "accession_number"   # the column that names each item
//! lang = "en"                       # the language of the values
//! year = "year"                     # optional: a column holding the year
//! rights = "https://creativecommons.org/publicdomain/zero/1.0/"
//!
//! [[field]]
//! column = "title"
//! element = "dc:title"
//!
//! [[field]]
//! column = "subjects"
//! element = "dc:subject"
//! split = "; "
//!
//! [[field]]
//! value = "Tate"                    # a constant instead of a column
//! element = "dc:publisher"
//! ```
//!
//! Besides the Dublin Core elements ([`ELEMENTS`]), a field may fill
//! `collection` (the item joins the collection of that name, made if new),
//! `rights` (a rightsstatements.org or Creative Commons URI), `visibility`
//! (`public` or `staff`) and `media` (a file path, imported when present,
//! or a remote URL, recorded and never fetched).
//!
//! [`Mapping::item`] turns one CSV row into an [`Item`] or the
//! [`Problem`]s that name its line and column.

use crate::manifest::Problem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The fifteen Dublin Core elements, then the dcterms refinements the
/// archive keeps, as they appear in a mapping and in `oai_dc`.
pub const ELEMENTS: [&str; 20] = [
    "dc:title",
    "dc:creator",
    "dc:subject",
    "dc:description",
    "dc:publisher",
    "dc:contributor",
    "dc:date",
    "dc:type",
    "dc:format",
    "dc:identifier",
    "dc:source",
    "dc:language",
    "dc:relation",
    "dc:coverage",
    "dc:rights",
    "dcterms:created",
    "dcterms:extent",
    "dcterms:spatial",
    "dcterms:temporal",
    "dcterms:isPartOf",
];

/// The simple Dublin Core element each dcterms refinement dumbs down to in
/// `oai_dc`, which only knows the fifteen.
pub fn simple_element(element: &str) -> &str {
    match element {
        "dcterms:created" => "dc:date",
        "dcterms:extent" => "dc:format",
        "dcterms:spatial" | "dcterms:temporal" => "dc:coverage",
        "dcterms:isPartOf" => "dc:relation",
        other => other,
    }
}

/// Targets of a mapping field that are not Dublin Core elements.
const SPECIAL: [&str; 4] = ["collection", "rights", "visibility", "media"];

/// At most this many characters in an item or collection identifier.
pub const MAX_ID: usize = 128;

/// Checks an item identifier: letters, digits and `. _ : - /`, not starting
/// with `/`, at most [`MAX_ID`] bytes. It is the key re-imports update by
/// and the tail of the item's OAI identifier.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("is empty".into());
    }
    if id.len() > MAX_ID {
        return Err(format!("is longer than {MAX_ID} characters"));
    }
    if id.starts_with('/')
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-/".contains(&b))
    {
        return Err(format!(
            "\"{id}\" may hold only letters, digits and . _ : - / (not first)"
        ));
    }
    Ok(())
}

/// One value of one element, with its language when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Value {
    pub element: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Who may see an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    /// Archive staff only: hidden from browsing, search and harvesting.
    Staff,
}

impl Visibility {
    pub fn parse(s: &str) -> Option<Visibility> {
        match s.trim().to_ascii_lowercase().as_str() {
            "public" => Some(Visibility::Public),
            "staff" | "private" => Some(Visibility::Staff),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Staff => "staff",
        }
    }
}

/// What a media file of an item is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
    /// A remote address: recorded, never fetched.
    Link,
}

impl MediaKind {
    /// The kind of a local file by its extension; `None` for one the
    /// archive does not take.
    pub fn of_file(name: &str) -> Option<MediaKind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "png" => MediaKind::Image,
            "pdf" => MediaKind::Document,
            "mp3" | "m4a" | "ogg" | "opus" | "wav" | "flac" => MediaKind::Audio,
            "mp4" | "webm" | "mov" | "mkv" => MediaKind::Video,
            _ => return None,
        })
    }
}

/// One derivative of an image, sized for a use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derivative {
    pub hash: String,
    pub width: u32,
    pub height: u32,
}

/// The image sizes made at import: the longest side of each, in pixels.
pub const THUMBNAIL: u32 = 200;
pub const MEDIUM: u32 = 800;
pub const LARGE: u32 = 1600;

/// A media file of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub kind: MediaKind,
    /// The file's name as given, or the remote URL for a link.
    pub name: String,
    /// The stored original (none for links).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Images: thumbnail, medium and large, smallest first; a size larger
    /// than the original is not made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub derivatives: Vec<Derivative>,
    /// Audio and video imported on the command line: the renditions the
    /// capsule pipeline made (HLS, progressive MP4, audio only). Files
    /// uploaded from the edit page are played as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renditions: Option<crate::catalog::StoredMedia>,
}

/// An archive item as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub values: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<String>,
    #[serde(default)]
    pub visibility: Visibility,
    /// Collection ids.
    #[serde(default)]
    pub collections: Vec<String>,
    #[serde(default)]
    pub media: Vec<Media>,
    /// The year the item was made, for decades and date ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

impl Item {
    /// The values of one element, in order.
    pub fn all<'a>(&'a self, element: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.values.iter().filter(move |v| v.element == element)
    }

    /// The first value of an element.
    pub fn first(&self, element: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|v| v.element == element)
            .map(|v| v.value.as_str())
    }

    /// The title shown: the first in `lang`, else the first.
    pub fn title(&self, lang: &str) -> &str {
        self.all("dc:title")
            .find(|v| v.lang.as_deref() == Some(lang))
            .or_else(|| self.all("dc:title").next())
            .map_or(self.id.as_str(), |v| v.value.as_str())
    }

    /// The decade for the facet, as "1780s".
    pub fn decade(&self) -> Option<String> {
        self.year.map(decade)
    }

    /// The first image, if any.
    pub fn image(&self) -> Option<&Media> {
        self.media
            .iter()
            .find(|m| m.kind == MediaKind::Image && !m.derivatives.is_empty())
    }

    /// Checks what an edit form or an import produced.
    pub fn check(&self) -> Result<(), String> {
        check_id(&self.id).map_err(|e| format!("identifier {e}"))?;
        if self.first("dc:title").is_none_or(|t| t.trim().is_empty()) {
            return Err("an item needs a dc:title".into());
        }
        for v in &self.values {
            if !ELEMENTS.contains(&v.element.as_str()) {
                return Err(format!("\"{}\" is not a Dublin Core element", v.element));
            }
        }
        if let Some(r) = &self.rights {
            check_rights(r)?;
        }
        Ok(())
    }
}

impl Item {
    /// What changed from `old` to this, one line each: values removed
    /// (`- dc:subject: maps`) and added (`+ …`), then other fields.
    pub fn changes(&self, old: &Item) -> Vec<String> {
        let show = |v: &Value| match &v.lang {
            Some(l) => format!("{}: {} @{l}", v.element, v.value),
            None => format!("{}: {}", v.element, v.value),
        };
        let mut out: Vec<String> = old
            .values
            .iter()
            .filter(|v| !self.values.contains(v))
            .map(|v| format!("- {}", show(v)))
            .collect();
        out.extend(
            self.values
                .iter()
                .filter(|v| !old.values.contains(v))
                .map(|v| format!("+ {}", show(v))),
        );
        if self.rights != old.rights {
            out.push(format!(
                "rights: {} → {}",
                old.rights.as_deref().unwrap_or("none"),
                self.rights.as_deref().unwrap_or("none")
            ));
        }
        if self.visibility != old.visibility {
            out.push(format!(
                "visibility: {} → {}",
                old.visibility.as_str(),
                self.visibility.as_str()
            ));
        }
        if self.collections != old.collections {
            out.push(format!(
                "collections: {} → {}",
                old.collections.join(", "),
                self.collections.join(", ")
            ));
        }
        let names = |i: &Item| i.media.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        if self.media != old.media {
            out.push(format!(
                "media: {} → {}",
                names(old).join(", "),
                names(self).join(", ")
            ));
        }
        if self.year != old.year {
            out.push(format!(
                "year: {} → {}",
                old.year.map_or("none".into(), |y| y.to_string()),
                self.year.map_or("none".into(), |y| y.to_string())
            ));
        }
        out
    }

    /// What a new item holds, one line each, as [`Item::changes`] from
    /// nothing.
    pub fn contents(&self) -> Vec<String> {
        let empty = Item {
            id: self.id.clone(),
            values: vec![],
            rights: None,
            visibility: self.visibility,
            collections: vec![],
            media: vec![],
            year: None,
        };
        self.changes(&empty)
    }

    /// BLAKE3 of the stored form: equal for equal items.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        blake3::hash(&json).to_hex().to_string()
    }
}

/// "1780s" for 1785.
pub fn decade(year: i32) -> String {
    format!("{}s", year.div_euclid(10) * 10)
}

/// Rights statements must be a rightsstatements.org or Creative Commons
/// URI, the two vocabularies harvesters understand.
pub fn check_rights(uri: &str) -> Result<(), String> {
    let known = [
        "http://rightsstatements.org/vocab/",
        "https://rightsstatements.org/vocab/",
        "http://creativecommons.org/",
        "https://creativecommons.org/",
    ];
    if known.iter().any(|k| uri.starts_with(k)) && !uri.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(format!(
            "\"{uri}\" is not a rightsstatements.org or creativecommons.org URI"
        ))
    }
}

/// The first run of three or four digits in a date text: 1785 in
/// "?c.1785", 1826 in "1826–7, reprinted 1892".
pub fn year_in(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if (3..=4).contains(&(i - start)) {
                return text[start..i].parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A collection (an OAI-PMH set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// The id of the collection named `title`: its letters and digits in lower
/// case joined by `-`, or a hash of the name when it has none in ASCII.
pub fn collection_id(title: &str) -> String {
    let mut id = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    if id.is_empty() {
        format!("c-{}", &blake3::hash(title.as_bytes()).to_hex()[..12])
    } else {
        id.chars()
            .take(64)
            .collect::<String>()
            .trim_end_matches('-')
            .to_owned()
    }
}

/// The column mapping, as read from its TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The column naming each item.
    pub identifier: String,
    /// The language of the values (a field may say otherwise).
    #[serde(default)]
    pub lang: Option<String>,
    /// A column holding the year the item was made (its first year is
    /// taken: "c.1997-9" is 1997); without it, the first year in
    /// `dcterms:created` or `dc:date`.
    #[serde(default)]
    pub year: Option<String>,
    /// The rights URI of every item (a `rights` field may say otherwise).
    #[serde(default)]
    pub rights: Option<String>,
    /// `public` (default) or `staff`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default, rename = "field")]
    pub fields: Vec<Field>,
}

/// One field of a mapping: a column (or a constant) into an element.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    pub element: String,
    /// Splits a cell into several values at this separator.
    #[serde(default)]
    pub split: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

/// A mapping that does not fit its file or the CSV's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub Vec<String>);

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for MappingError {}

/// A mapping checked against a CSV header: every column found by index.
#[derive(Debug, Clone)]
pub struct BoundMapping {
    mapping: Mapping,
    identifier: usize,
    year: Option<usize>,
    columns: Vec<Option<usize>>,
}

impl Mapping {
    /// Reads a mapping file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Mapping, MappingError> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|e| MappingError(vec![format!("{file}: {e}")]))?;
        let mut problems = vec![];
        let lang_ok = |l: &Option<String>| {
            l.as_deref()
                .is_none_or(|l| crate::Lang::try_from(l).is_ok())
        };
        if !lang_ok(&mapping.lang) {
            problems.push(format!("{file}: lang: not a language code (like \"fr\")"));
        }
        if let Some(r) = &mapping.rights
            && let Err(e) = check_rights(r)
        {
            problems.push(format!("{file}: rights: {e}"));
        }
        if let Some(v) = &mapping.visibility
            && Visibility::parse(v).is_none()
        {
            problems.push(format!(
                "{file}: visibility: \"{v}\" is not public or staff"
            ));
        }
        if mapping.fields.is_empty() {
            problems.push(format!("{file}: no [[field]]: map at least dc:title"));
        }
        for (i, f) in mapping.fields.iter().enumerate() {
            let at = format!("{file}: field {} ({})", i + 1, f.element);
            if !ELEMENTS.contains(&f.element.as_str()) && !SPECIAL.contains(&f.element.as_str()) {
                problems.push(format!(
                    "{at}: \"{}\" is not a Dublin Core element (dc:title … dc:rights, dcterms:created, dcterms:extent, dcterms:spatial, dcterms:temporal, dcterms:isPartOf) nor one of {}",
                    f.element,
                    SPECIAL.join(", ")
                ));
            }
            match (&f.column, &f.value) {
                (Some(_), Some(_)) => {
                    problems.push(format!("{at}: give column or value, not both"))
                }
                (None, None) => problems.push(format!("{at}: give a column or a value")),
                _ => {}
            }
            if f.split.as_deref() == Some("") {
                problems.push(format!("{at}: split is empty"));
            }
            if !lang_ok(&f.lang) {
                problems.push(format!("{at}: lang: not a language code"));
            }
        }
        if !mapping.fields.iter().any(|f| f.element == "dc:title") {
            problems.push(format!("{file}: no field fills dc:title"));
        }
        if problems.is_empty() {
            Ok(mapping)
        } else {
            Err(MappingError(problems))
        }
    }

    /// Finds every column the mapping names in the CSV's header.
    pub fn bind(self, file: &str, headers: &[String]) -> Result<BoundMapping, MappingError> {
        let mut missing = BTreeSet::new();
        let mut find = |name: &str| {
            let found = headers.iter().position(|h| h == name);
            if found.is_none() {
                missing.insert(name.to_owned());
            }
            found
        };
        let identifier = find(&self.identifier);
        let year = self.year.as_deref().map(&mut find);
        let columns: Vec<Option<usize>> = self
            .fields
            .iter()
            .map(|f| f.column.as_deref().and_then(&mut find))
            .collect();
        if !missing.is_empty() {
            return Err(MappingError(
                missing
                    .into_iter()
                    .map(|c| {
                        format!(
                            "{file}:1: the mapping names the column \"{c}\", which the CSV does not have (its columns: {})",
                            headers.join(", ")
                        )
                    })
                    .collect(),
            ));
        }
        Ok(BoundMapping {
            identifier: identifier.unwrap_or_default(),
            year: year.flatten(),
            columns,
            mapping: self,
        })
    }
}

/// What a row's media cell names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRef {
    /// A path, relative to the CSV's directory unless absolute.
    File(String),
    Url(String),
}

/// One row made into an item, with the media it names (still to import).
#[derive(Debug, Clone)]
pub struct Row {
    pub item: Item,
    /// Collection titles, in order.
    pub collections: Vec<String>,
    pub media: Vec<MediaRef>,
}

impl BoundMapping {
    /// The column names of the identifier, for messages.
    pub fn identifier_column(&self) -> &str {
        &self.mapping.identifier
    }

    /// Turns one CSV record into an item, or names every problem of it.
    pub fn row(
        &self,
        file: &str,
        line: usize,
        cells: &csv::StringRecord,
    ) -> Result<Row, Vec<Problem>> {
        let mut problems = vec![];
        let problem = |column: &str, message: String| Problem {
            file: file.into(),
            line,
            field: column.into(),
            message,
        };
        let cell = |i: usize| cells.get(i).unwrap_or("").trim();
        let id = cell(self.identifier).to_owned();
        if let Err(e) = check_id(&id) {
            problems.push(problem(
                &self.mapping.identifier,
                format!("the identifier {e}"),
            ));
        }
        let mut item = Item {
            id,
            values: vec![],
            rights: self.mapping.rights.clone(),
            visibility: self
                .mapping
                .visibility
                .as_deref()
                .and_then(Visibility::parse)
                .unwrap_or_default(),
            collections: vec![],
            media: vec![],
            year: None,
        };
        let mut collections: Vec<String> = vec![];
        let mut media = vec![];
        for (field, column) in self.mapping.fields.iter().zip(&self.columns) {
            let (text, name) = match (column, &field.value) {
                (Some(i), _) => (cell(*i), field.column.as_deref().unwrap_or_default()),
                (None, Some(v)) => (v.as_str(), "(constant)"),
                (None, None) => continue,
            };
            let parts: Vec<&str> = match &field.split {
                Some(sep) => text.split(sep.as_str()).map(str::trim).collect(),
                None => vec![text],
            };
            for part in parts.into_iter().filter(|p| !p.is_empty()) {
                match field.element.as_str() {
                    "collection" => {
                        if !collections.iter().any(|c| c == part) {
                            collections.push(part.to_owned());
                        }
                    }
                    "rights" => match check_rights(part) {
                        Ok(()) => item.rights = Some(part.to_owned()),
                        Err(e) => problems.push(problem(name, e)),
                    },
                    "visibility" => match Visibility::parse(part) {
                        Some(v) => item.visibility = v,
                        None => problems
                            .push(problem(name, format!("\"{part}\" is not public or staff"))),
                    },
                    "media" => {
                        if part.starts_with("http://") || part.starts_with("https://") {
                            media.push(MediaRef::Url(part.to_owned()));
                        } else if MediaKind::of_file(part).is_none() {
                            problems.push(problem(
                                name,
                                format!("\"{part}\": the archive takes JPEG and PNG images, PDF documents, audio and video files"),
                            ));
                        } else {
                            media.push(MediaRef::File(part.to_owned()));
                        }
                    }
                    element => {
                        let value = Value {
                            element: element.to_owned(),
                            value: part.to_owned(),
                            lang: field.lang.clone().or_else(|| self.mapping.lang.clone()),
                        };
                        if !item.values.contains(&value) {
                            item.values.push(value);
                        }
                    }
                }
            }
        }
        if item.first("dc:title").is_none() {
            let columns: Vec<&str> = self
                .mapping
                .fields
                .iter()
                .filter(|f| f.element == "dc:title")
                .filter_map(|f| f.column.as_deref())
                .collect();
            problems.push(problem(
                &columns.join(", "),
                "no title: an item needs a dc:title".into(),
            ));
        }
        // Real exports write "no date" or "c.1997-9" in a year column: the
        // first year in it is taken, and a cell without one gives none.
        item.year = match self.year {
            Some(i) => year_in(cell(i)),
            None => item
                .first("dcterms:created")
                .or_else(|| item.first("dc:date"))
                .and_then(year_in),
        };
        if problems.is_empty() {
            Ok(Row {
                item,
                collections,
                media,
            })
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
identifier = "ref"
lang = "fr"
year = "year"
rights = "http://rightsstatements.org/vocab/InC/1.0/"

[[field]]
column = "title"
element = "dc:title"

[[field]]
column = "subjects"
element = "dc:subject"
split = "; "

[[field]]
column = "fonds"
element = "collection"

[[field]]
value = "Archives de la ville"
element = "dc:publisher"
"#;

    fn bound() -> BoundMapping {
        let headers: Vec<String> = ["ref", "title", "subjects", "fonds", "year"]
            .map(String::from)
            .to_vec();
        Mapping::parse("m.toml", MAPPING)
            .and_then(|m| m.bind("a.csv", &headers))
            .unwrap()
    }

    #[test]
    fn a_row_becomes_an_item() {
        let rec = csv::StringRecord::from(vec![
            "MS-1",
            "Plan de la médina",
            "ville; carte; ville",
            "Cartes",
            "1912",
        ]);
        let row = bound().row("a.csv", 2, &rec).unwrap();
        assert_eq!(row.item.id, "MS-1");
        assert_eq!(row.item.all("dc:subject").count(), 2, "duplicates dropped");
        assert_eq!(row.item.first("dc:publisher"), Some("Archives de la ville"));
        assert_eq!(row.item.year, Some(1912));
        assert_eq!(row.item.decade().as_deref(), Some("1910s"));
        assert_eq!(row.collections, ["Cartes"]);
        assert_eq!(
            row.item.all("dc:title").next().unwrap().lang.as_deref(),
            Some("fr")
        );
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let rec = csv::StringRecord::from(vec!["bad id", "", "", "", "no date"]);
        let problems = bound().row("a.csv", 7, &rec).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("a.csv:7: ref: the identifier \"bad id\"")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("a.csv:7: title: no title")),
            "{text:?}"
        );
    }

    #[test]
    fn bad_mappings_are_named() {
        let e = Mapping::parse(
            "m.toml",
            "identifier = \"id\"\n[[field]]\ncolumn = \"t\"\nelement = \"dc:titel\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("field 1 (dc:titel): \"dc:titel\" is not a Dublin Core element"),
            "{e}"
        );
        assert!(e.contains("no field fills dc:title"), "{e}");
        let e = Mapping::parse("m.toml", "identifier = 3")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("m.toml: "), "{e}");
        let headers = vec!["ref".to_owned()];
        let e = Mapping::parse("m.toml", MAPPING)
            .unwrap()
            .bind("a.csv", &headers)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the column \"title\", which the CSV does not have"),
            "{e}"
        );
    }

    #[test]
    fn years_and_ids() {
        assert_eq!(year_in("?c.1785"), Some(1785));
        assert_eq!(year_in("1826–7, reprinted 1892"), Some(1826));
        assert_eq!(year_in("date not known"), None);
        assert_eq!(year_in("c.1997-9"), Some(1997));
        assert_eq!(decade(-45), "-50s");
        assert_eq!(collection_id("On paper, unique"), "on-paper-unique");
        assert!(collection_id("خرائط").starts_with("c-"));
        assert!(check_id("A00001").is_ok());
        assert!(check_id("GB/123:a").is_ok());
        assert!(check_id("/x").is_err());
    }
}
