//! Levels and subjects: the two taxonomies every capsule is filed under.
//!
//! Every country's school system differs, so they are read from a TOML file
//! (`taxonomy_file` in the configuration); the default, the Moroccan system
//! labelled in Arabic, French, English and Tamazight, is built in.

use crate::{LevelId, SubjectId, Translations, pick};
use serde::Deserialize;

/// The built-in taxonomy file.
pub const DEFAULT_TOML: &str = include_str!("../taxonomy/morocco.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub id: LevelId,
    pub cycle: String,
    pub label: Translations,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub id: SubjectId,
    pub label: Translations,
}

/// Levels in school order and subjects in display order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    #[serde(rename = "level")]
    pub levels: Vec<Level>,
    #[serde(rename = "subject")]
    pub subjects: Vec<Subject>,
}

#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("taxonomy file lists {0} \"{1}\" twice")]
    Duplicate(&'static str, String),
}

impl Taxonomy {
    pub fn from_toml(text: &str) -> Result<Self, TaxonomyError> {
        let taxonomy: Taxonomy = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for l in &taxonomy.levels {
            if !seen.insert(l.id.as_str()) {
                return Err(TaxonomyError::Duplicate("level", l.id.to_string()));
            }
        }
        seen.clear();
        for s in &taxonomy.subjects {
            if !seen.insert(s.id.as_str()) {
                return Err(TaxonomyError::Duplicate("subject", s.id.to_string()));
            }
        }
        Ok(taxonomy)
    }

    pub fn builtin() -> Result<Self, TaxonomyError> {
        Self::from_toml(DEFAULT_TOML)
    }

    pub fn level(&self, id: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.id.as_str() == id)
    }

    pub fn subject(&self, id: &str) -> Option<&Subject> {
        self.subjects.iter().find(|s| s.id.as_str() == id)
    }

    /// The level's label in `lang`, falling back to another language, then the id.
    pub fn level_label<'a>(&'a self, id: &'a str, lang: &str) -> &'a str {
        self.level(id)
            .and_then(|l| pick(&l.label, lang))
            .unwrap_or(id)
    }

    pub fn subject_label<'a>(&'a self, id: &'a str, lang: &str) -> &'a str {
        self.subject(id)
            .and_then(|s| pick(&s.label, lang))
            .unwrap_or(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_taxonomy_covers_the_moroccan_system_in_three_languages() {
        let t = Taxonomy::builtin().expect("builtin taxonomy parses");
        for id in [
            "primary-1",
            "primary-6",
            "secondary-3",
            "common-core",
            "bac-1",
            "bac-2",
            "cpge",
            "literacy",
        ] {
            let level = t.level(id).unwrap_or_else(|| panic!("level {id} missing"));
            for lang in ["ar", "fr", "en"] {
                assert!(level.label.contains_key(lang), "{id} has no {lang} label");
            }
        }
        assert_eq!(t.subject_label("mathematics", "fr"), "Mathématiques");
    }

    #[test]
    fn a_duplicate_level_is_refused() {
        let text = "[[level]]\nid='a'\ncycle='primary'\nlabel={en='A'}\n[[level]]\nid='a'\ncycle='primary'\nlabel={en='A'}\n[[subject]]\nid='s'\nlabel={en='S'}\n";
        assert!(matches!(
            Taxonomy::from_toml(text),
            Err(TaxonomyError::Duplicate("level", _))
        ));
    }
}
