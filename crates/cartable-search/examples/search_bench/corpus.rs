//! The benchmark's documents and queries: generated capsules in ar/fr/en
//! from a small vocabulary of real lesson words, the Tate collection's
//! artworks as archive items, and three fixed query lists.

use std::path::Path;

use cartable_search::Doc;
use serde::Deserialize;

use crate::Error;

type Tri = (&'static str, &'static str, &'static str);

/// (subject id, names in ar/fr/en, lesson topics in ar/fr/en)
const SUBJECTS: &[(&str, Tri, &[Tri])] = &[
    (
        "maths",
        ("الرياضيات", "Mathématiques", "Mathematics"),
        &[
            ("الكسور", "Les fractions", "Fractions"),
            ("الأعداد العشرية", "Les nombres décimaux", "Decimal numbers"),
            ("المثلثات", "Les triangles", "Triangles"),
            (
                "الجمع والطرح",
                "L'addition et la soustraction",
                "Addition and subtraction",
            ),
            ("الضرب", "La multiplication", "Multiplication"),
            ("القسمة", "La division", "Division"),
            ("المساحة", "L'aire des figures", "The area of shapes"),
            ("المحيط", "Le périmètre", "Perimeter"),
            ("الدائرة", "Le cercle", "The circle"),
        ],
    ),
    (
        "svt",
        (
            "علوم الحياة والأرض",
            "Sciences de la vie et de la Terre",
            "Life and earth sciences",
        ),
        &[
            ("التمثيل الضوئي", "La photosynthèse", "Photosynthesis"),
            ("دورة الماء", "Le cycle de l'eau", "The water cycle"),
            ("جسم الإنسان", "Le corps humain", "The human body"),
            ("التنفس", "La respiration", "Breathing"),
            ("النباتات الخضراء", "Les plantes vertes", "Green plants"),
            ("الحيوانات", "Les animaux", "Animals"),
        ],
    ),
    (
        "physics",
        ("الفيزياء", "Physique", "Physics"),
        &[
            ("الكهرباء", "L'électricité", "Electricity"),
            ("الضوء", "La lumière", "Light"),
            ("الحرارة", "La chaleur", "Heat"),
            ("القوى", "Les forces", "Forces"),
            ("المغناطيس", "Les aimants", "Magnets"),
        ],
    ),
    (
        "history",
        ("التاريخ", "Histoire", "History"),
        &[
            (
                "الحضارة الرومانية",
                "La civilisation romaine",
                "Roman civilisation",
            ),
            ("الدولة المرابطية", "Les Almoravides", "The Almoravids"),
            ("طريق الحرير", "La route de la soie", "The Silk Road"),
            ("الاستقلال", "L'indépendance", "Independence"),
        ],
    ),
    (
        "geography",
        ("الجغرافيا", "Géographie", "Geography"),
        &[
            ("الأنهار", "Les fleuves", "Rivers"),
            ("الجبال", "Les montagnes", "Mountains"),
            ("المناخ", "Le climat", "Climate"),
            ("الخرائط", "Les cartes", "Maps"),
        ],
    ),
];

const ASPECTS: &[Tri] = &[
    ("مقدمة", "introduction", "an introduction"),
    ("تمارين محلولة", "exercices corrigés", "worked exercises"),
    (
        "أمثلة من الحياة اليومية",
        "exemples de la vie quotidienne",
        "everyday examples",
    ),
    ("مراجعة", "révision", "revision"),
    ("الدرس الأول", "première leçon", "first lesson"),
    ("الدرس الثاني", "deuxième leçon", "second lesson"),
    ("تقويم", "évaluation", "assessment"),
];

const LEVELS: &[(&str, Tri)] = &[
    (
        "4ap",
        (
            "السنة الرابعة ابتدائي",
            "Quatrième année du primaire",
            "Primary year 4",
        ),
    ),
    (
        "5ap",
        (
            "السنة الخامسة ابتدائي",
            "Cinquième année du primaire",
            "Primary year 5",
        ),
    ),
    (
        "6ap",
        (
            "السنة السادسة ابتدائي",
            "Sixième année du primaire",
            "Primary year 6",
        ),
    ),
    (
        "1ac",
        (
            "السنة الأولى إعدادي",
            "Première année du collège",
            "Middle school year 1",
        ),
    ),
    (
        "2ac",
        (
            "السنة الثانية إعدادي",
            "Deuxième année du collège",
            "Middle school year 2",
        ),
    ),
    (
        "3ac",
        (
            "السنة الثالثة إعدادي",
            "Troisième année du collège",
            "Middle school year 3",
        ),
    ),
];

fn capsule(i: usize) -> Doc {
    let (subject, names, topics) = SUBJECTS[i % SUBJECTS.len()];
    let topic = topics[(i / SUBJECTS.len()) % topics.len()];
    let aspect = ASPECTS[(i / 7) % ASPECTS.len()];
    let (level, level_names) = LEVELS[(i / 3) % LEVELS.len()];
    let lang = ["ar", "fr", "en"][i % 3];
    let pair = |l: &str, t: String| (l.to_owned(), t);
    Doc {
        id: format!("capsule-{i}"),
        kind: "capsule".into(),
        lang: lang.into(),
        level: Some(level.into()),
        subject: Some(subject.into()),
        titles: vec![
            pair("ar", format!("{}: {}", topic.0, aspect.0)),
            pair("fr", format!("{} : {}", topic.1, aspect.1)),
            pair("en", format!("{}: {}", topic.2, aspect.2)),
        ],
        body: vec![
            pair(
                "ar",
                format!(
                    "في هذه الكبسولة نكتشف {} بأمثلة بسيطة وتمارين محلولة، ثم نلخص ما يجب تذكره.",
                    topic.0
                ),
            ),
            pair(
                "fr",
                format!(
                    "Dans cette capsule, nous découvrons {} avec des exemples simples et des exercices corrigés, puis nous résumons ce qu'il faut retenir.",
                    topic.1.to_lowercase()
                ),
            ),
            pair(
                "en",
                format!(
                    "In this capsule we discover {} with simple examples and worked exercises, then sum up what to remember.",
                    topic.2.to_lowercase()
                ),
            ),
        ],
        keywords: vec![
            pair("ar", names.0.into()),
            pair("fr", names.1.into()),
            pair("en", names.2.into()),
            pair("ar", level_names.0.into()),
            pair("fr", level_names.1.into()),
            pair("en", level_names.2.into()),
        ],
        archive: None,
    }
}

#[derive(Deserialize)]
struct Artwork {
    id: String,
    title: String,
    artists: String,
    medium: String,
    subjects: String,
    movements: String,
    inscription: String,
}

/// `capsules` generated capsules, then up to `rows` artworks (0: all).
pub fn docs(capsules: usize, csv: &Path, rows: usize) -> Result<Vec<Doc>, Error> {
    let mut docs: Vec<Doc> = (0..capsules).map(capsule).collect();
    let mut reader = csv::Reader::from_path(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    for (n, row) in reader.deserialize::<Artwork>().enumerate() {
        if rows > 0 && n >= rows {
            break;
        }
        let a = row?;
        let subject = a
            .subjects
            .split(';')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let body = [
            a.artists,
            a.medium,
            a.subjects.clone(),
            a.movements,
            a.inscription,
        ]
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| ("en".to_owned(), t))
        .collect();
        docs.push(Doc {
            id: format!("tate-{}", a.id),
            kind: "archive".into(),
            lang: "en".into(),
            level: None,
            subject: subject.map(Into::into),
            titles: vec![("en".into(), a.title)],
            body,
            keywords: Vec::new(),
            archive: None,
        });
    }
    Ok(docs)
}

/// A mix: its name, whether the last word is a prefix, its queries.
pub struct Mix {
    pub name: &'static str,
    pub prefix: bool,
    pub queries: &'static [&'static str],
}

pub const MIXES: &[Mix] = &[
    Mix {
        name: "single word",
        prefix: false,
        queries: &[
            "portrait",
            "landscape",
            "london",
            "church",
            "river",
            "drawing",
            "water",
            "woman",
            "sea",
            "mountains",
            "fractions",
            "photosynthèse",
            "الرياضيات",
            "electricity",
            "climat",
            "paris",
            "horse",
            "tree",
            "mathématiques",
            "الكهرباء",
        ],
    },
    Mix {
        name: "multi-word",
        prefix: false,
        queries: &[
            "oil canvas",
            "portrait woman",
            "river bridge",
            "graphite paper",
            "les fractions",
            "cycle eau",
            "photosynthesis plants",
            "human body",
            "view of london",
            "sea boats",
            "church tower",
            "la lumière",
            "دورة الماء",
            "الأعداد العشرية",
            "etching paper",
            "abstract painting",
            "figure landscape",
            "exercices corrigés",
            "worked exercises",
            "screenprint on paper",
        ],
    },
    Mix {
        name: "prefix",
        prefix: true,
        queries: &[
            "portr",
            "lands",
            "photos",
            "fract",
            "الري",
            "chur",
            "wat",
            "riv",
            "elec",
            "mount",
            "oil can",
            "view of lond",
            "les fra",
            "human bo",
            "دورة الم",
            "gra",
            "ske",
            "abstr",
            "sea bo",
            "ex",
        ],
    },
];
