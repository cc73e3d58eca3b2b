//! The literacy path over HTTP: `cartable import literacy` (with real
//! ffmpeg), bad courses named, practice answered as a learner (each
//! answer a record, the lesson done after enough right answers) and as a
//! visitor (nothing recorded), the trainer's view, and the spoken prompts
//! in the page's language.

use crate::accounts::{Browser, add_user, class_of, hidden_csrf};
use crate::library::tone;
use crate::support::{Env, require, stderr};
use serde_json::{Value, json};
use std::path::Path;

const KEYS: [&str; 12] = [
    "welcome", "signin", "listen", "repeat", "next", "back", "home", "practice", "choose", "right",
    "wrong", "done",
];

/// A course of one lesson of three letters, with prompts in French and
/// Arabic (tones stand in for voices).
fn course(dir: &Path) {
    std::fs::create_dir_all(dir.join("sounds")).unwrap();
    std::fs::create_dir_all(dir.join("pictures")).unwrap();
    let mut prompts = json!({});
    for (lang, base) in [("fr", 200), ("ar", 900)] {
        for (i, key) in KEYS.iter().enumerate() {
            let file = format!("sounds/{lang}-{key}.wav");
            tone(&dir.join(&file), base + 10 * i as u32, 1);
            prompts[lang][key] = json!(file);
        }
    }
    for (i, name) in ["ba", "ta", "sa", "lesson"].iter().enumerate() {
        tone(
            &dir.join(format!("sounds/{name}.wav")),
            400 + 50 * i as u32,
            1,
        );
        std::fs::write(
            dir.join(format!("pictures/{name}.svg")),
            format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><circle cx="24" cy="24" r="{}"/></svg>"#, 10 + i * 3),
        )
        .unwrap();
    }
    let item = |id: &str, text: &str, label: &str| json!({"id": id, "text": text, "label": label, "picture": format!("pictures/{id}.svg"), "sound": format!("sounds/{id}.wav")});
    std::fs::write(
        dir.join("literacy.json"),
        json!({
            "id": "alif-ba", "title": "Alif ba", "lang": "ar", "prompts": prompts,
            "lessons": [{
                "id": "ba-ta-sa", "stage": "letters", "title": "ب ت س",
                "picture": "pictures/lesson.svg", "sound": "sounds/lesson.wav",
                "items": [item("ba", "ب", "une porte"), item("ta", "ت", "une pomme"), item("sa", "س", "un poisson")]
            }]
        })
        .to_string(),
    )
    .unwrap();
}

fn import(env: &Env, dir: &Path) -> (bool, Value, String) {
    let out = env.run(&["import", "literacy", dir.to_str().unwrap(), "--json"]);
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr(&out),
    )
}

/// What a practice page asks: the target sound, and (sound, value) of
/// each picture button.
fn round_of(html: &str) -> (String, Vec<(String, String)>) {
    let attr = |from: &str, name: &str| {
        let at = from.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        from[at..at + from[at..].find('"').unwrap()].to_owned()
    };
    let target = attr(&html[html.find("data-target").unwrap()..], "src");
    let choices = html
        .match_indices("name=\"choice\"")
        .map(|(at, _)| {
            let rest = &html[at..];
            (attr(rest, "data-audio"), attr(rest, "value"))
        })
        .collect();
    (target, choices)
}

#[tokio::test]
async fn a_lesson_is_practised_and_recorded_and_the_trainer_sees_it() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let dir = env.dir.path().join("alif-ba");
    course(&dir);
    let (ok, report, err) = import(&env, &dir);
    assert!(ok, "{err}\n{report}");
    assert_eq!(report["imported"], json!(["alif-ba"]));
    let (ok, report, _) = import(&env, &dir);
    assert!(ok);
    assert_eq!(
        report["unchanged"],
        json!(["alif-ba"]),
        "the same folder again"
    );

    add_user(&env, "ustada", "teacher", "chalk-and-slate");
    class_of(
        &env,
        "fes-1",
        "alpha-1",
        "ustada",
        &[("Fatima Ait", "fatima", "mint-tea-2026")],
    );
    let server = env.serve(&[]);

    // The prompts follow the page's language.
    let fr = server.get("/fr/literacy").await.text().await.unwrap();
    let ar = server.get("/ar/literacy").await.text().await.unwrap();
    let screen = |html: &str| {
        let at = html.find("data-screen=\"").unwrap() + 13;
        html[at..at + html[at..].find('"').unwrap()].to_owned()
    };
    assert_ne!(screen(&fr), screen(&ar), "French and Arabic prompts differ");
    assert!(
        fr.contains("aria-label=\"Se connecter avec ses images\""),
        "a visitor is offered picture sign-in"
    );
    let played = server.get(&screen(&fr)).await;
    assert_eq!(played.status(), 200);
    assert_eq!(played.headers()["content-type"], "audio/mp4");
    // An SVG picture opened on its own runs no script.
    let lesson = server
        .get("/fr/literacy/alif-ba/ba-ta-sa")
        .await
        .text()
        .await
        .unwrap();
    let at = lesson.find(".svg\"").unwrap();
    let svg = &lesson[lesson[..at].rfind('"').unwrap() + 1..at + 4];
    let picture = server.get(svg).await;
    assert_eq!(picture.headers()["content-type"], "image/svg+xml");
    assert!(
        picture.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );

    // A visitor practises; nothing is recorded.
    let mut visitor = Browser::new(&server);
    let page = visitor
        .get("/fr/literacy/alif-ba/ba-ta-sa/practice")
        .await
        .text()
        .await
        .unwrap();
    let (target, choices) = round_of(&page);
    let right = choices
        .iter()
        .find(|(s, _)| *s == target)
        .unwrap()
        .1
        .clone();
    let csrf = hidden_csrf(&page);
    let answered = visitor
        .post_form(
            "/fr/literacy/alif-ba/ba-ta-sa/practice",
            &[
                ("csrf", &csrf),
                ("round", "0"),
                ("right", "0"),
                ("missed", "0"),
                ("choice", &right),
            ],
        )
        .await;
    assert_eq!(answered.status(), 303);
    assert!(
        answered.headers()["location"]
            .to_str()
            .unwrap()
            .contains("round=1&right=1&last=right")
    );

    // A learner: a wrong picture first, then the right ones.
    let mut learner = Browser::new(&server);
    learner.sign_in("fatima", "mint-tea-2026").await;
    let mut path = "/fr/literacy/alif-ba/ba-ta-sa/practice".to_owned();
    let mut wrong_once = false;
    for _ in 0..6 {
        let page = learner.get(&path).await.text().await.unwrap();
        if !page.contains("data-target") {
            break;
        }
        let csrf = hidden_csrf(&page);
        let field = |name: &str| {
            let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
            page[at..at + page[at..].find('"').unwrap()].to_owned()
        };
        let (round, right, missed) = (field("round"), field("right"), field("missed"));
        let (target, choices) = round_of(&page);
        assert_eq!(choices.len(), 3);
        let pick = if wrong_once {
            choices.iter().find(|(s, _)| *s == target)
        } else {
            wrong_once = true;
            choices.iter().find(|(s, _)| *s != target)
        }
        .unwrap()
        .1
        .clone();
        let r = learner
            .post_form(
                "/fr/literacy/alif-ba/ba-ta-sa/practice",
                &[
                    ("csrf", &csrf),
                    ("round", &round),
                    ("right", &right),
                    ("missed", &missed),
                    ("choice", &pick),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        path = r.headers()["location"].to_str().unwrap().to_owned();
    }
    assert!(
        path.contains("round=3&right=2"),
        "two of three right at the first try: {path}"
    );
    let done = learner.get(&path).await.text().await.unwrap();
    assert!(done.contains("lit-stars"), "the end shows stars");

    // The learner's home shows the lesson done, as a picture with a name.
    let home = learner.get("/fr/literacy").await.text().await.unwrap();
    assert!(home.contains("finie"), "{home}");
    assert!(!home.contains("Se connecter avec ses images"));

    // The trainer sees it; a visitor may not.
    let mut trainer = Browser::new(&server);
    trainer.sign_in("ustada", "chalk-and-slate").await;
    let page = trainer
        .get("/fr/teach/classes/alpha-1/literacy")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Fatima Ait") && page.contains("finie"),
        "{page}"
    );
    let refused = Browser::new(&server)
        .get("/fr/teach/classes/alpha-1/literacy")
        .await;
    assert_ne!(refused.status(), 200);

    // A made-up choice is refused, and records nothing.
    let page = learner
        .get("/fr/literacy/alif-ba/ba-ta-sa/practice")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page);
    let r = learner
        .post_form(
            "/fr/literacy/alif-ba/ba-ta-sa/practice",
            &[
                ("csrf", &csrf),
                ("round", "0"),
                ("right", "0"),
                ("missed", "0"),
                ("choice", "zz"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_bad_course_is_named_and_nothing_is_written() {
    if !require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let dir = env.dir.path().join("alif-ba");
    course(&dir);
    let file = dir.join("literacy.json");
    let good = std::fs::read_to_string(&file).unwrap();

    let mut bad: Value = serde_json::from_str(&good).unwrap();
    bad["prompts"]["fr"]
        .as_object_mut()
        .unwrap()
        .remove("wrong");
    std::fs::write(&file, bad.to_string()).unwrap();
    let (ok, report, err) = import(&env, &dir);
    assert!(!ok);
    assert!(
        err.contains("prompts.fr.wrong is missing"),
        "{err}\n{report}"
    );

    std::fs::write(&file, &good).unwrap();
    std::fs::write(dir.join("sounds/ta.wav"), b"not a sound").unwrap();
    std::fs::remove_file(dir.join("pictures/sa.svg")).unwrap();
    let (ok, report, _) = import(&env, &dir);
    assert!(!ok);
    let rejected = report["rejected"].as_array().unwrap();
    assert!(
        rejected
            .iter()
            .any(|r| r["file"].as_str().unwrap().ends_with("sounds/ta.wav")
                && r["field"] == "lessons[0].items[1].sound"
                && r["message"]
                    .as_str()
                    .unwrap()
                    .contains("ffmpeg cannot read")),
        "{report}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r["field"] == "lessons[0].items[2].picture"
                && r["message"].as_str().unwrap().contains("no such file")),
        "{report}"
    );

    std::fs::write(&file, "{\"id\": \"alif-ba\",").unwrap();
    let (ok, _, err) = import(&env, &dir);
    assert!(!ok);
    assert!(
        err.contains("literacy.json") && err.contains("line 1"),
        "{err}"
    );

    let server = env.serve(&[]);
    let page = server.get("/fr/literacy").await.text().await.unwrap();
    assert!(page.contains("Pas encore de leçon"), "nothing was written");
}

/// Posts a picture password to a keypad page, with its CSRF token.
async fn sign_in_with_pictures(
    b: &mut Browser,
    keypad: &str,
    csrf: String,
    pictures: &[String],
) -> reqwest::Response {
    let mut fields = vec![("csrf".to_owned(), csrf)];
    for (i, p) in pictures.iter().enumerate() {
        fields.push((format!("p{}", i + 1), p.clone()));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(keypad, &fields).await
}

#[tokio::test]
async fn the_picture_sign_in_brings_a_learner_back_to_the_path() {
    use crate::accounts::{cli, token};
    let env = Env::new().await;
    add_user(&env, "ustada", "teacher", "chalk-and-slate");
    cli(&env, &["school", "add", "azrou", "--name", "École Azrou"]);
    cli(
        &env,
        &[
            "class", "add", "alpha-2", "--school", "azrou", "--name", "Alpha 2",
        ],
    );
    cli(&env, &["class", "teacher", "alpha-2", "ustada"]);
    let csv = env.dir.path().join("alpha.csv");
    std::fs::write(&csv, "name,login,class\nItto,itto,alpha-2\n").unwrap();
    cli(&env, &["enrol", csv.to_str().unwrap()]);
    let teacher = token(&env, "ustada");
    let server = env.serve(&[]);
    let cards: Value = reqwest::Client::new()
        .post(server.url("/api/v1/classes/alpha-2/picture-login"))
        .bearer_auth(&teacher)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pictures: Vec<String> = cards["cards"][0]["pictures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();

    let mut b = Browser::new(&server);
    let start = b.get("/ar/signin/pictures-then?next=/ar/literacy").await;
    assert_eq!(start.status(), 303);
    assert_eq!(start.headers()["location"], "/ar/signin/pictures");
    let keypad = b
        .get("/ar/signin/pictures/alpha-2/itto")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&keypad);
    let signed =
        sign_in_with_pictures(&mut b, "/ar/signin/pictures/alpha-2/itto", csrf, &pictures).await;
    assert_eq!(signed.status(), 303, "{}", signed.text().await.unwrap());
    assert_eq!(
        signed.headers()["location"],
        "/ar/literacy",
        "back to the path"
    );
    let home = b.get("/ar/literacy").await.text().await.unwrap();
    assert!(
        !home.contains("pictures-then"),
        "signed in: no sign-in button"
    );

    // Somewhere else than this site is not a place to come back to.
    let mut other = Browser::new(&server);
    other
        .get("/fr/signin/pictures-then?next=//evil.example/")
        .await;
    let keypad = other
        .get("/fr/signin/pictures/alpha-2/itto")
        .await
        .text()
        .await
        .unwrap();
    let signed = sign_in_with_pictures(
        &mut other,
        "/fr/signin/pictures/alpha-2/itto",
        hidden_csrf(&keypad),
        &pictures,
    )
    .await;
    assert_eq!(signed.status(), 303);
    assert!(
        signed.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/fr/")
    );
}
