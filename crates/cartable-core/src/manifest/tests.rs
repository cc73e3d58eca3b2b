use super::*;
use std::fs;

fn taxonomy() -> Taxonomy {
    Taxonomy::builtin().expect("builtin taxonomy")
}

fn no_programme(_: &str) -> bool {
    false
}

/// A folder with one media file, one caption file and the given manifest.
fn folder(name: &str, manifest: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("a.mp4"), b"not really a video").expect("write");
    fs::write(
        dir.path().join("a.fr.vtt"),
        "WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour\n",
    )
    .expect("write");
    fs::write(dir.path().join("bad.vtt"), "hello").expect("write");
    let path = dir.path().join(name);
    fs::write(&path, manifest).expect("write");
    (dir, path)
}

const HEADER: &str =
    "id,lang,title,title_en,level,subject,programme,position,programme_title,media,captions,tags\n";

#[test]
fn a_good_csv_row_becomes_a_capsule_and_declares_its_programme() {
    let csv = format!(
        "{HEADER}fractions-1,fr,Les fractions,Fractions,primary-5,mathematics,math-p5,1,Maths 5e,a.mp4,a.fr.vtt,fractions; calcul\n"
    );
    let (_dir, path) = folder("m.csv", &csv);
    let m = Manifest::read(&path, &taxonomy(), &no_programme);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let c = &m.capsules[0];
    assert_eq!(c.titles.get("en").map(String::as_str), Some("Fractions"));
    assert_eq!(c.tags, ["fractions", "calcul"]);
    assert_eq!(c.captions.len(), 1);
    assert_eq!(m.programmes[0].id.as_str(), "math-p5");
}

#[test]
fn titles_in_tamazight_and_turkish_are_kept() {
    let csv = "id,lang,title,title_zgh,title_tr,level,subject,media\n\
               alphabet-1,zgh,ⵜⵉⴼⵉⵏⴰⵖ,ⵜⵉⴼⵉⵏⴰⵖ,Tifinağ alfabesi,literacy,amazigh,a.mp4\n";
    let (_dir, path) = folder("m.csv", csv);
    let m = Manifest::read(&path, &taxonomy(), &no_programme);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let c = &m.capsules[0];
    assert_eq!(c.titles.get("zgh").map(String::as_str), Some("ⵜⵉⴼⵉⵏⴰⵖ"));
    assert_eq!(
        c.titles.get("tr").map(String::as_str),
        Some("Tifinağ alfabesi")
    );
}

#[test]
fn every_bad_field_is_named_with_its_line() {
    let csv = format!(
        "{HEADER}ok-1,fr,Titre,,primary-5,mathematics,,,,a.mp4,,\n\
         Bad Id,fr,Titre,,primary-5,mathematics,,,,a.mp4,,\n\
         ok-2,fr,Titre,,grade-99,mathematics,,,,a.mp4,,\n\
         ok-3,fr,Titre,,primary-5,mathematics,,,,missing.mp4,,\n\
         ok-4,fr,Titre,,primary-5,mathematics,,,,a.mp4,bad.vtt,\n\
         ok-5,fr,Titre,,primary-5,mathematics,,,,../a.mp4,,\n\
         ok-6,fr,,English only,primary-5,mathematics,,,,a.mp4,,\n\
         ok-1,fr,Titre,,primary-5,mathematics,,,,a.mp4,,\n\
         ok-7,fr,Titre,,primary-5,mathematics,nowhere,x,,a.mp4,,\n"
    );
    let (_dir, path) = folder("m.csv", &csv);
    let m = Manifest::read(&path, &taxonomy(), &no_programme);
    let found: Vec<(usize, &str)> = m
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "id"),
            (4, "level"),
            (5, "media"),
            (6, "captions"),
            (7, "media"),
            (8, "title"),
            (9, "id"),
            (10, "position")
        ]
    );
    assert!(
        m.problems[2]
            .to_string()
            .contains("m.csv:5: media: file \"missing.mp4\" does not exist"),
        "{}",
        m.problems[2]
    );
    assert_eq!(m.capsules.len(), 1, "only the first ok-1 survives");
}

#[test]
fn unknown_and_missing_columns_are_refused_at_the_header() {
    let (_dir, path) = folder("m.csv", "id,lang,title,colour,media\n");
    let m = Manifest::read(&path, &taxonomy(), &no_programme);
    let messages: Vec<String> = m.problems.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|p| p.contains(":1: unknown column \"colour\"")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|p| p.contains("\"level\" is missing")),
        "{messages:?}"
    );
}

#[test]
fn a_programme_must_exist_somewhere() {
    let csv = format!("{HEADER}c-1,fr,Titre,,primary-5,mathematics,elsewhere,1,,a.mp4,,\n");
    let (_dir, path) = folder("m.csv", &csv);
    assert_eq!(
        Manifest::read(&path, &taxonomy(), &no_programme).problems[0].field,
        "programme"
    );
    assert!(
        Manifest::read(&path, &taxonomy(), &|p| p == "elsewhere")
            .problems
            .is_empty()
    );
}

#[test]
fn json_problems_carry_the_line_of_their_capsule() {
    let json = r#"{
  "capsules": [
    {"id": "c-1", "lang": "fr", "titles": {"fr": "Un"}, "level": "primary-5", "subject": "mathematics", "media": "a.mp4"},
    {"id": "c-2", "lang": "fr", "titles": {"fr": "Deux"}, "level": "primary-5", "subject": "mathematics", "media": "a.mp4",
     "colour": "red"},
    {"id": "c-3", "lang": "xx-yy", "titles": {"fr": "Trois"}, "level": "primary-5", "subject": "mathematics", "media": "a.mp4"}
  ]
}"#;
    let (_dir, path) = folder("m.json", json);
    let m = Manifest::read(&path, &taxonomy(), &no_programme);
    let found: Vec<(usize, &str)> = m
        .problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(found, [(4, ""), (6, "lang")]);
    assert!(
        m.problems[0].message.contains("colour"),
        "{}",
        m.problems[0]
    );
    assert_eq!(m.capsules.len(), 1);
}

#[test]
fn hostile_bytes_are_refused_not_panicked_on() {
    for bytes in [
        &b"\xff\xfe\x00garbage"[..],
        b"{",
        b"[]",
        b"id\n\"unterminated",
        b"",
    ] {
        for name in ["m.json", "m.csv"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join(name);
            fs::write(&path, bytes).expect("write");
            let m = Manifest::read(&path, &taxonomy(), &no_programme);
            assert!(m.capsules.is_empty());
            assert!(!m.problems.is_empty(), "{name} {bytes:?} accepted");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    /// Whatever bytes an editor (or an attacker) hands in, the reader
    /// answers with problems, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048), json in proptest::prelude::any::<bool>()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(if json { "m.json" } else { "m.csv" });
        fs::write(&path, &bytes).expect("write");
        let _ = Manifest::read(&path, &taxonomy(), &no_programme);
    }

    /// Rows shaped like real ones, with random cells, never panic either.
    #[test]
    fn arbitrary_cells_never_panic(cells in proptest::collection::vec("[ -~éاⵜ;,\"\\n]{0,12}", 12)) {
        let quoted: Vec<String> = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
        let csv = format!("{HEADER}{}\n", quoted.join(","));
        let (_dir, path) = folder("m.csv", &csv);
        let _ = Manifest::read(&path, &taxonomy(), &no_programme);
    }
}
