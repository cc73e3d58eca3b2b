//! Courses: a programme's lessons set out as ordered modules of capsules,
//! readings and quizzes, who may enrol, and when a learner has finished
//! (every capsule watched to its end, every reading read, every quiz
//! passed), which earns a certificate anyone can verify.

use serde::{Deserialize, Serialize};

/// One step of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// Watched to its end.
    Capsule { id: String },
    /// Passed (its pass mark, in any attempt).
    Quiz { id: String },
    /// Read: the learner says so. A text, a link, or both.
    Reading {
        title: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub title: String,
    pub items: Vec<Item>,
}

/// A course as its authors set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseSpec {
    pub title: String,
    pub lang: String,
    #[serde(default)]
    pub summary: String,
    /// The programme whose lessons it sets out, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    pub modules: Vec<Module>,
    /// Anyone signed in may enrol; otherwise only the learners of
    /// `classes`.
    #[serde(default)]
    pub open: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

impl CourseSpec {
    pub fn check(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("a course needs a title".into());
        }
        if self.modules.is_empty() {
            return Err("a course needs at least one module".into());
        }
        for (i, m) in self.modules.iter().enumerate() {
            let at = format!("module {} ({:?})", i + 1, m.title);
            if m.title.trim().is_empty() {
                return Err(format!("module {}: it needs a title", i + 1));
            }
            if m.items.is_empty() {
                return Err(format!("{at}: it has no item"));
            }
            for (j, item) in m.items.iter().enumerate() {
                let empty = match item {
                    Item::Capsule { id } | Item::Quiz { id } => id.trim().is_empty(),
                    Item::Reading { title, text, url } => {
                        title.trim().is_empty() || (text.trim().is_empty() && url.is_none())
                    }
                };
                if empty {
                    return Err(format!(
                        "{at}, item {}: a capsule or quiz needs its id, a reading its title and a text or a link",
                        j + 1
                    ));
                }
            }
        }
        if !self.open && self.classes.is_empty() {
            return Err("say who may enrol: open, or the classes".into());
        }
        Ok(())
    }

    /// Every item, with its module's and its own position.
    pub fn items(&self) -> impl Iterator<Item = (usize, usize, &Item)> {
        self.modules.iter().enumerate().flat_map(|(m, module)| {
            module
                .items
                .iter()
                .enumerate()
                .map(move |(i, item)| (m, i, item))
        })
    }
}

/// A certificate's verification code: 12 characters a person can read
/// out and type (no 0/O, 1/l/I), from 60 random bits.
pub fn certificate_code(random: u64) -> String {
    const LETTERS: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut n = random;
    let mut code = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(LETTERS[(n % LETTERS.len() as u64) as usize] as char);
        n /= LETTERS.len() as u64;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CourseSpec {
        serde_json::from_str(
            r#"{"title": "Enseigner avec le numérique", "lang": "fr", "open": true,
                "modules": [{"title": "Premiers pas", "items": [
                    {"kind": "capsule", "id": "water-cycle"},
                    {"kind": "reading", "title": "La charte", "text": "Lisez-la."},
                    {"kind": "quiz", "id": "fractions-check"}]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_course_reads_from_json_and_is_checked() {
        let s = spec();
        assert!(s.check().is_ok());
        assert_eq!(s.items().count(), 3);
        let closed = CourseSpec {
            open: false,
            ..spec()
        };
        assert!(closed.check().unwrap_err().contains("enrol"));
        let mut bad = spec();
        bad.modules[0].items.push(Item::Reading {
            title: "Rien".into(),
            text: String::new(),
            url: None,
        });
        assert!(
            bad.check().unwrap_err().contains("item 4"),
            "{:?}",
            bad.check()
        );
    }

    #[test]
    fn codes_are_readable_and_differ() {
        let a = certificate_code(0x0123_4567_89ab_cdef);
        assert_eq!(a.len(), 14);
        assert_eq!(a.matches('-').count(), 2);
        assert!(!a.contains(['0', 'o', '1', 'l', 'i']));
        assert_ne!(a, certificate_code(0x0123_4567_89ab_cdee));
    }
}
