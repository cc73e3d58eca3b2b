//! The literacy path: for adults who cannot read, lessons that go from
//! letters to syllables, words and short sentences, each item heard, seen
//! and repeated, then practised by picking the picture of what was heard.
//! Every screen and control has a spoken prompt, in the languages the
//! trainers recorded (or synthesized); no text is needed to use it.
//!
//! A course is written as `literacy.json` beside its sounds and pictures
//! and imported with `cartable import literacy DIR`.

use crate::BlobHash;
use crate::ids::is_slug;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name of a course's file in its folder.
pub const COURSE_FILE: &str = "literacy.json";

/// The spoken prompts every screen and control needs, by key.
pub const PROMPTS: &[(&str, &str)] = &[
    ("welcome", "the home screen: choose a lesson"),
    ("signin", "the sign-in button: sign in with your pictures"),
    ("listen", "the listen button"),
    ("repeat", "the repeat button: listen and say it after me"),
    ("next", "the next button"),
    ("back", "the back button"),
    ("home", "the home button"),
    ("practice", "the practice button"),
    (
        "choose",
        "the exercise screen: touch the picture of what you hear",
    ),
    ("right", "after a right answer: well done"),
    ("wrong", "after a wrong answer: try again"),
    ("done", "the end of a lesson"),
];

/// The steps of the path, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Letters,
    Syllables,
    Words,
    Sentences,
}

/// A sound stored as a blob (AAC in MP4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sound {
    pub blob: BlobHash,
    pub size: u64,
}

/// A picture stored as a blob, with the extension it is served with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    pub blob: BlobHash,
    /// `svg`, `png` or `jpg`.
    pub ext: String,
}

/// One thing to learn: a letter, a syllable, a word or a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    /// What is written (the letter, the word…), shown large.
    pub text: String,
    /// What the picture shows, for screen readers.
    pub label: String,
    pub picture: Picture,
    pub sound: Sound,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub id: String,
    pub stage: Stage,
    pub title: String,
    pub picture: Picture,
    /// The lesson's name, spoken (its card says it when focused).
    pub sound: Sound,
    pub items: Vec<Item>,
}

impl Lesson {
    /// How many rounds of practice: each item once.
    pub fn rounds(&self) -> usize {
        self.items.len()
    }

    /// The item asked for in `round` and the choices shown, in their
    /// order on the screen: every item asked once, in a mixed order that is
    /// the same for everyone, with the right picture in varying places.
    pub fn round(&self, round: usize) -> Option<(usize, Vec<usize>)> {
        let n = self.items.len();
        if round >= n || n < 2 {
            return None;
        }
        // A stride prime to n walks every item once.
        let stride = (2..n).find(|s| gcd(*s, n) == 1).unwrap_or(1);
        let target = (round * stride + 1) % n;
        let mut choices: Vec<usize> = (0..CHOICES.min(n)).map(|k| (target + k) % n).collect();
        let len = choices.len();
        choices.rotate_left(round % len);
        Some((target, choices))
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// How many pictures a practice round shows.
pub const CHOICES: usize = 3;

/// A course as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub id: String,
    pub title: String,
    /// The language being learnt to read.
    pub lang: String,
    /// Spoken prompts by interface language, then by key.
    pub prompts: BTreeMap<String, BTreeMap<String, Sound>>,
    pub lessons: Vec<Lesson>,
}

impl Course {
    /// The prompts in `lang`, else in the course's language, else any.
    pub fn prompts_in(&self, lang: &str) -> Option<&BTreeMap<String, Sound>> {
        self.prompts
            .get(lang)
            .or_else(|| self.prompts.get(&self.lang))
            .or_else(|| self.prompts.values().next())
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|l| l.id == id)
    }
}

/// The activity id of a lesson, for its records.
pub fn lesson_activity(public_url: &str, course: &str, lesson: &str) -> String {
    format!(
        "{}/literacy/{course}/{lesson}",
        public_url.trim_end_matches('/')
    )
}

/// The activity id of an item, for the records of its practice.
pub fn item_activity(public_url: &str, course: &str, lesson: &str, item: &str) -> String {
    format!("{}/{item}", lesson_activity(public_url, course, lesson))
}

/// The share of right answers at the first try that passes a lesson.
pub const PASS: f64 = 0.5;

/// `literacy.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseFile {
    pub id: String,
    pub title: String,
    pub lang: String,
    /// Interface language → prompt key → sound file.
    pub prompts: BTreeMap<String, BTreeMap<String, String>>,
    pub lessons: Vec<LessonFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    pub id: String,
    pub stage: Stage,
    pub title: String,
    pub picture: String,
    pub sound: String,
    pub items: Vec<ItemFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    pub id: String,
    pub text: String,
    pub label: String,
    pub picture: String,
    pub sound: String,
}

/// The picture extensions a course may use.
pub const PICTURE_EXTENSIONS: &[&str] = &["svg", "png", "jpg"];

fn check_file(at: &str, name: &str, extensions: &[&str]) -> Result<(), String> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if name.is_empty()
        || name.starts_with('/')
        || name.split('/').any(|p| p == ".." || p.is_empty())
    {
        return Err(format!(
            "{at} {name:?} must be a path inside the course's folder"
        ));
    }
    if !extensions.contains(&ext.as_str()) {
        return Err(format!(
            "{at} {name:?} must end in .{}",
            extensions.join(", .")
        ));
    }
    Ok(())
}

impl CourseFile {
    /// Checks the file; the files it names are checked by the import.
    pub fn check(&self) -> Result<(), String> {
        let slug = |at: &str, id: &str| {
            if is_slug(id) {
                Ok(())
            } else {
                Err(format!(
                    "{at} {id:?} must be lower-case letters, digits and dashes"
                ))
            }
        };
        slug("id", &self.id)?;
        if self.title.trim().is_empty() {
            return Err("title is empty".into());
        }
        crate::Lang::try_from(self.lang.as_str())
            .map_err(|_| format!("lang {:?} is not a language code", self.lang))?;
        if self.prompts.is_empty() {
            return Err("prompts: give the spoken prompts in at least one language".into());
        }
        for (lang, prompts) in &self.prompts {
            crate::Lang::try_from(lang.as_str())
                .map_err(|_| format!("prompts: {lang:?} is not a language code"))?;
            for (key, what) in PROMPTS {
                let file = prompts
                    .get(*key)
                    .ok_or_else(|| format!("prompts.{lang}.{key} is missing ({what})"))?;
                check_file(
                    &format!("prompts.{lang}.{key}"),
                    file,
                    crate::library::AUDIO_EXTENSIONS,
                )?;
            }
            if let Some(extra) = prompts
                .keys()
                .find(|k| !PROMPTS.iter().any(|(p, _)| p == k))
            {
                return Err(format!(
                    "prompts.{lang}.{extra} is not a prompt the pages use"
                ));
            }
        }
        if self.lessons.is_empty() {
            return Err("lessons: a course needs at least one lesson".into());
        }
        let mut ids = std::collections::HashSet::new();
        for (i, l) in self.lessons.iter().enumerate() {
            let at = format!("lessons[{i}]");
            slug(&format!("{at}.id"), &l.id)?;
            if !ids.insert(l.id.as_str()) {
                return Err(format!("{at}.id {:?} is used twice", l.id));
            }
            if l.title.trim().is_empty() {
                return Err(format!("{at}.title is empty"));
            }
            check_file(&format!("{at}.picture"), &l.picture, PICTURE_EXTENSIONS)?;
            check_file(
                &format!("{at}.sound"),
                &l.sound,
                crate::library::AUDIO_EXTENSIONS,
            )?;
            if l.items.len() < 2 {
                return Err(format!(
                    "{at}.items: a lesson needs at least two items to practise"
                ));
            }
            let mut item_ids = std::collections::HashSet::new();
            for (j, item) in l.items.iter().enumerate() {
                let at = format!("{at}.items[{j}]");
                slug(&format!("{at}.id"), &item.id)?;
                if !item_ids.insert(item.id.as_str()) {
                    return Err(format!("{at}.id {:?} is used twice", item.id));
                }
                if item.text.trim().is_empty() || item.label.trim().is_empty() {
                    return Err(format!("{at}: text and label must not be empty"));
                }
                check_file(&format!("{at}.picture"), &item.picture, PICTURE_EXTENSIONS)?;
                check_file(
                    &format!("{at}.sound"),
                    &item.sound,
                    crate::library::AUDIO_EXTENSIONS,
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(n: usize) -> Lesson {
        let sound = Sound {
            blob: BlobHash::try_from("0".repeat(64)).unwrap(),
            size: 1,
        };
        let picture = Picture {
            blob: sound.blob.clone(),
            ext: "svg".into(),
        };
        Lesson {
            id: "l".into(),
            stage: Stage::Letters,
            title: "L".into(),
            picture: picture.clone(),
            sound: sound.clone(),
            items: (0..n)
                .map(|i| Item {
                    id: format!("i{i}"),
                    text: "x".into(),
                    label: "x".into(),
                    picture: picture.clone(),
                    sound: sound.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn every_item_is_asked_once_among_distinct_choices() {
        for n in 2..9 {
            let l = lesson(n);
            let mut asked = Vec::new();
            for r in 0..l.rounds() {
                let (target, choices) = l.round(r).unwrap();
                assert!(choices.contains(&target), "n={n} r={r}");
                assert_eq!(choices.len(), CHOICES.min(n), "n={n} r={r} {choices:?}");
                let mut unique = choices.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), choices.len());
                asked.push(target);
            }
            asked.sort_unstable();
            assert_eq!(asked, (0..n).collect::<Vec<_>>(), "n={n}");
            assert!(l.round(n).is_none());
        }
    }

    #[test]
    fn a_course_file_names_what_is_missing() {
        let prompts: BTreeMap<String, String> = PROMPTS
            .iter()
            .map(|(k, _)| ((*k).to_owned(), format!("p/{k}.wav")))
            .collect();
        let item = |id: &str| serde_json::json!({"id": id, "text": "ب", "label": "door", "picture": "p/door.svg", "sound": "s/ba.wav"});
        let mut file = serde_json::json!({
            "id": "alif-ba", "title": "Alif ba", "lang": "ar",
            "prompts": {"ar": prompts},
            "lessons": [{"id": "l1", "stage": "letters", "title": "B", "picture": "p/b.svg",
                         "sound": "s/l1.wav", "items": [item("ba"), item("ta")]}]
        });
        let check = |v: &serde_json::Value| {
            serde_json::from_value::<CourseFile>(v.clone())
                .map_err(|e| e.to_string())
                .and_then(|c| c.check())
        };
        assert!(check(&file).is_ok(), "{:?}", check(&file));
        file["prompts"]["ar"]
            .as_object_mut()
            .unwrap()
            .remove("right");
        assert!(
            check(&file)
                .unwrap_err()
                .contains("prompts.ar.right is missing")
        );
        file["prompts"]["ar"]["right"] = "../x.wav".into();
        assert!(
            check(&file)
                .unwrap_err()
                .contains("inside the course's folder")
        );
        file["prompts"]["ar"]["right"] = "p/right.wav".into();
        file["lessons"][0]["items"] = serde_json::json!([item("ba")]);
        assert!(check(&file).unwrap_err().contains("at least two items"));
        file["lessons"][0]["items"] = serde_json::json!([item("ba"), item("ba")]);
        assert!(check(&file).unwrap_err().contains("used twice"));
        file["lessons"][0]["stage"] = "paragraphs".into();
        assert!(check(&file).unwrap_err().contains("paragraphs"));
    }
}
