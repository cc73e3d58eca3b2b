//! A small catalog of real sentences, written for these tests, in Arabic
//! (with harakat, as lesson titles often are), French, English, Turkish and
//! Tamazight (Tifinagh), plus one archive item.

use crate::{Doc, SearchIndex};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn doc(
    id: &str,
    kind: &str,
    lang: &str,
    level: Option<&str>,
    subject: Option<&str>,
    titles: &[(&str, &str)],
    body: &[(&str, &str)],
    keywords: &[(&str, &str)],
) -> Doc {
    Doc {
        id: id.into(),
        kind: kind.into(),
        lang: lang.into(),
        level: level.map(Into::into),
        subject: subject.map(Into::into),
        titles: pairs(titles),
        body: pairs(body),
        keywords: pairs(keywords),
        archive: None,
    }
}

const MATHS: &[(&str, &str)] = &[
    ("fr", "Mathématiques"),
    ("ar", "الرياضيات"),
    ("en", "Mathematics"),
];

pub(crate) fn corpus() -> Vec<Doc> {
    vec![
        doc(
            "ar-math",
            "capsule",
            "ar",
            Some("6ap"),
            Some("maths"),
            // "Introduction to mathematics: simple fractions"
            &[("ar", "مَدْخَلٌ إِلَى الرِّيَاضِيَّاتِ: الكُسُورُ البَسِيطَةُ")],
            // "In this lesson we learn how to share a cake into equal parts,
            // and write each part as a fraction."
            &[(
                "ar",
                "فِي هَذَا الدَّرْسِ نَتَعَلَّمُ كَيْفَ نَقْسِمُ كَعْكَةً إِلَى أَجْزَاءٍ مُتَسَاوِيَةٍ، وَنَكْتُبُ كُلَّ جُزْءٍ عَلَى شَكْلِ كَسْرٍ.",
            )],
            MATHS,
        ),
        doc(
            "ar-school",
            "capsule",
            "ar",
            Some("1ap"),
            Some("civics"),
            // "The school in the village"
            &[("ar", "الْمَدْرَسَةُ فِي الْقَرْيَةِ"), ("fr", "L'école du village")],
            // "Every morning the pupils walk to school with their friends."
            &[("ar", "يَمْشِي التَّلَامِيذُ كُلَّ صَبَاحٍ إِلَى الْمَدْرَسَةِ مَعَ أَصْدِقَائِهِمْ.")],
            &[("ar", "التربية على المواطنة"), ("fr", "Éducation civique")],
        ),
        doc(
            "fr-fractions",
            "capsule",
            "fr",
            Some("cm2"),
            Some("maths"),
            &[
                ("fr", "Les fractions et les nombres décimaux"),
                ("ar", "الكسور والأعداد العشرية"),
            ],
            &[(
                "fr",
                "Comment écrire une fraction décimale sous la forme d'un nombre à virgule ? On partage l'unité en dix, cent ou mille parts égales.",
            )],
            MATHS,
        ),
        doc(
            "fr-geometry",
            "capsule",
            "fr",
            Some("cm2"),
            Some("maths"),
            &[("fr", "Mathématiques : le périmètre du carré")],
            &[(
                "fr",
                "Le périmètre d'un carré est la somme de ses quatre côtés égaux. On mesure un côté, puis on multiplie par quatre pour trouver le périmètre du carré.",
            )],
            MATHS,
        ),
        doc(
            "fr-water",
            "capsule",
            "fr",
            Some("cm1"),
            Some("svt"),
            &[("fr", "Le cycle de l'eau")],
            &[(
                "fr",
                "L'eau s'évapore sous la chaleur du soleil, forme des nuages, puis retombe en pluie sur les montagnes et rejoint la mer.",
            )],
            &[("fr", "Sciences de la vie et de la Terre")],
        ),
        doc(
            "en-photosynthesis",
            "capsule",
            "en",
            Some("college-1"),
            Some("svt"),
            &[
                ("en", "Photosynthesis in green plants"),
                ("fr", "La photosynthèse chez les plantes vertes"),
            ],
            &[(
                "en",
                "Green plants use the energy of sunlight to turn water and carbon dioxide into sugar. The leaves release oxygen into the air.",
            )],
            &[
                ("en", "Life and earth sciences"),
                ("fr", "Sciences de la vie et de la Terre"),
            ],
        ),
        doc(
            "tr-istanbul",
            "capsule",
            "tr",
            Some("college-2"),
            Some("history"),
            &[("tr", "İstanbul'un tarihi")],
            &[(
                "tr",
                "Bizans'tan Osmanlı'ya, İstanbul iki kıtanın buluştuğu bir şehirdir. Bu derste şehrin surlarını ve camilerini tanıyoruz.",
            )],
            &[("tr", "Tarih"), ("fr", "Histoire")],
        ),
        doc(
            "tr-light",
            "capsule",
            "tr",
            Some("college-2"),
            Some("physics"),
            &[("tr", "Işık ve ısı")],
            &[(
                "tr",
                "Güneş'ten gelen ışık yeryüzünü ısıtır. Işığın yansımasını ve kırılmasını basit deneylerle gözlemliyoruz.",
            )],
            &[("tr", "Fizik"), ("fr", "Physique")],
        ),
        doc(
            "zgh-tifinagh",
            "capsule",
            "zgh",
            Some("1ap"),
            Some("amazigh"),
            // almmud n tifinagh: "learning Tifinagh"
            &[
                ("zgh", "ⴰⵍⵎⵎⵓⴷ ⵏ ⵜⵉⴼⵉⵏⴰⵖ"),
                ("fr", "Apprendre l'alphabet tifinagh"),
            ],
            // ad nlmd iskkiln n tifinagh s tmazight: "let us learn the
            // letters of Tifinagh in Tamazight"
            &[("zgh", "ⴰⴷ ⵏⵍⵎⴷ ⵉⵙⴽⴽⵉⵍⵏ ⵏ ⵜⵉⴼⵉⵏⴰⵖ ⵙ ⵜⵎⴰⵣⵉⵖⵜ.")],
            &[("zgh", "ⵜⴰⵎⴰⵣⵉⵖⵜ"), ("fr", "Amazighe")],
        ),
        doc(
            "archive-harbour",
            "archive",
            "en",
            None,
            Some("art"),
            &[("en", "A view of the harbour at dawn")],
            &[(
                "en",
                "Oil paint on canvas. Fishing boats leave the harbour while the town still sleeps.",
            )],
            &[("en", "seascape; boats; morning")],
        ),
    ]
}

/// An index in RAM holding the corpus, watermark 1.
pub(crate) fn index() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let n = index.rebuild(corpus(), 1).unwrap();
    assert_eq!(n, corpus().len());
    index
}
