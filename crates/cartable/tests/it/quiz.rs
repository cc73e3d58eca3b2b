//! Quizzes: question banks imported from GIFT and Moodle XML with bad
//! entries named, exported and imported again; an attempt that resumes
//! after a reload and that the server ends when its time is up; the
//! pages without JavaScript; and the teacher's per-question figures
//! against values worked out by hand.

use crate::accounts::{Browser, add_user, class_of, cli, hidden_csrf, token};
use crate::support::{Env, Server, stderr};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const GIFT: &str = "// A bank written for the test.
$CATEGORY: fractions

::Moitié::La moitié de 10 ? {=5 ~2 ~10}

::Tiers::Un tiers est plus petit qu'une moitié. {T}

::Produit::Combien font 7 × 6 ? {#42}

::Rédaction::Racontez votre journée. {}

::Ouvert::Une question jamais fermée {=a ~b
";

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn moodle() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>Drapeau</text></name>
    <questiontext format="html"><text><![CDATA[<p>De quelle couleur est ce carré ?</p><img src="@@PLUGINFILE@@/carre.png" alt="Un petit carré">]]></text>
      <file name="carre.png" path="/" encoding="base64">{PNG}</file>
    </questiontext>
    <single>true</single>
    <answer fraction="100"><text>Rouge</text></answer>
    <answer fraction="0"><text>Bleu</text></answer>
  </question>
  <question type="essay">
    <name><text>Essai</text></name>
    <questiontext format="html"><text>Écrivez.</text></questiontext>
  </question>
</quiz>
"#
    )
}

fn write(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[tokio::test]
async fn banks_come_in_from_gift_and_moodle_xml_with_bad_entries_named() {
    let env = Env::new().await;
    let gift = write(&env, "fractions.gift", GIFT);
    let gift = gift.to_str().unwrap();

    // Without --skip-bad: every problem named, nothing written.
    let out = env.run(&["import", "questions", gift]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let essay = line_of(GIFT, "::Rédaction");
    let open = line_of(GIFT, "::Ouvert");
    assert!(err.contains(&format!("fractions.gift:{essay}")), "{err}");
    assert!(err.contains("essay"), "{err}");
    assert!(err.contains(&format!("fractions.gift:{open}")), "{err}");
    assert!(err.contains("not closed"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let banks: Value = serde_json::from_str(&cli(&env, &["quiz", "banks", "--json"])).unwrap();
    assert_eq!(banks, json!([]));

    // With it: the good ones in, the bad listed; again: nothing new.
    let report: Value = serde_json::from_str(&cli(
        &env,
        &["import", "questions", gift, "--skip-bad", "--json"],
    ))
    .unwrap();
    assert_eq!(report["bank"], "fractions");
    assert_eq!(report["format"], "gift");
    assert_eq!(report["added"], 3);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 2);
    let again: Value = serde_json::from_str(&cli(
        &env,
        &["import", "questions", gift, "--skip-bad", "--json"],
    ))
    .unwrap();
    assert_eq!(
        (again["added"].clone(), again["already"].clone()),
        (json!(0), json!(3))
    );

    // Moodle XML, with its picture kept as a blob.
    let xml = write(&env, "couleurs.xml", &moodle());
    let out = env.run(&[
        "import",
        "questions",
        xml.to_str().unwrap(),
        "--bank",
        "fractions",
    ]);
    assert!(!out.status.success());
    let essay = line_of(&moodle(), "type=\"essay\"");
    assert!(
        stderr(&out).contains(&format!("couleurs.xml:{essay}")),
        "{}",
        stderr(&out)
    );
    let report: Value = serde_json::from_str(&cli(
        &env,
        &[
            "import",
            "questions",
            xml.to_str().unwrap(),
            "--bank",
            "fractions",
            "--skip-bad",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(report["format"], "moodle_xml");
    assert_eq!(report["added"], 1);

    // Out in cartable's format, and in again as another bank.
    let exported = cli(&env, &["quiz", "export", "fractions"]);
    let file: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(file["format"], "cartable-questions/1");
    let questions = file["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 4);
    assert_eq!(questions[0]["type"], "single");
    assert_eq!(questions[0]["tags"], json!(["category:fractions"]));
    assert_eq!(questions[3]["media"][0]["alt"], "Un petit carré");
    let copy = write(&env, "copie.json", &exported);
    let report: Value = serde_json::from_str(&cli(
        &env,
        &[
            "import",
            "questions",
            copy.to_str().unwrap(),
            "--bank",
            "copie",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(report["added"], 4);
    let bad = write(
        &env,
        "bad.json",
        "{\"format\": \"cartable-questions/1\", \"title\": \"x\",\n\"questions\": [\n{\"text\": \"?\", \"type\": \"single\", \"choices\": []}]}",
    );
    let out = env.run(&["import", "questions", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bad.json:3"), "{}", stderr(&out));
}

/// A bank and a quiz on it; the ids of learners with their API tokens.
fn quiz(env: &Env, extra: &[&str]) {
    let gift = write(
        env,
        "bank.gift",
        "::x::Premier ? {=oui ~non}\n\n::y::Deuxième ? {=oui ~non}\n\n::z::Troisième ? {=oui ~non}\n",
    );
    cli(
        env,
        &[
            "import",
            "questions",
            gift.to_str().unwrap(),
            "--bank",
            "banque",
        ],
    );
    let mut args = vec![
        "quiz",
        "create",
        "examen",
        "--title",
        "Examen blanc",
        "--bank",
        "banque",
    ];
    args.extend(extra);
    cli(env, &args);
}

struct Learner {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Learner {
    fn new(server: &Server, token: String) -> Learner {
        Learner {
            http: reqwest::Client::new(),
            base: server.url.clone(),
            token,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(
                method.parse().unwrap(),
                format!("{}/api/v1{path}", self.base),
            )
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn start(&self) -> Value {
        let (status, attempt) = self.call("POST", "/quizzes/examen/attempts", None).await;
        assert!(status == 201 || status == 200, "{status} {attempt}");
        attempt
    }

    async fn answer(&self, attempt: &Value, slot: usize, answer: Value) -> (u16, Value) {
        let id = attempt["id"].as_str().unwrap();
        self.call(
            "PUT",
            &format!("/attempts/{id}/answers/{slot}"),
            Some(json!({ "answer": answer })),
        )
        .await
    }
}

/// The option of a shown choice question whose text is `text`.
fn option(attempt: &Value, slot: usize, text: &str) -> usize {
    attempt["questions"][slot]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == text)
        .unwrap()
}

#[tokio::test]
async fn the_server_ends_an_attempt_when_its_time_is_up_and_an_attempt_resumes() {
    let env = Env::new().await;
    add_user(&env, "amal", "learner", "correct horse battery");
    quiz(
        &env,
        &[
            "--time-limit",
            "5s",
            "--feedback",
            "deferred",
            "--attempts",
            "2",
        ],
    );
    let key = crate::xapi::new_key(&env, "reader", "all/read");
    let server = env.serve(&[]);
    let amal = Learner::new(&server, token(&env, "amal"));

    let attempt = amal.start().await;
    let id = attempt["id"].as_str().unwrap().to_owned();
    assert_eq!(attempt["questions"].as_array().unwrap().len(), 3);
    assert!(attempt["deadline"].as_i64().unwrap() - attempt["started_at"].as_i64().unwrap() == 5);
    // Nothing in the paper gives the answer away.
    assert!(!attempt["questions"].to_string().contains("weight"));
    let (status, saved) = amal
        .answer(&attempt, 0, json!([option(&attempt, 0, "oui")]))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved,
        json!({"saved": true}),
        "deferred feedback says nothing yet"
    );
    // Changed before the end: the last answer counts.
    amal.answer(&attempt, 1, json!([option(&attempt, 1, "non")]))
        .await;
    amal.answer(&attempt, 1, json!([option(&attempt, 1, "oui")]))
        .await;
    // "Start" again (a reload): the same attempt, with its answers.
    let again = amal.start().await;
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["answers"].as_array().unwrap().len(), 2);
    // Out of range and wrong shapes are refused by name.
    let (status, body) = amal.answer(&attempt, 9, json!([0])).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("question 10"),
        "{body}"
    );

    // Nobody presses anything: the server ends it once the time is up.
    let started = Instant::now();
    let ended = loop {
        let (_, a) = amal.call("GET", &format!("/attempts/{id}"), None).await;
        if !a["finished_at"].is_null() {
            break a;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never ended: {a}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        (ended["score"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9,
        "{ended}"
    );
    let (status, body) = amal
        .answer(&attempt, 2, json!([option(&attempt, 2, "oui")]))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("over"),
        "{body}"
    );

    // Every answer and the result are learning records of the attempt.
    let statements = crate::xapi::Client::new(&server, &key)
        .get(&format!("registration={id}&limit=50"))
        .await;
    let verbs: Vec<&str> = statements["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["verb"]["id"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        verbs.iter().filter(|v| **v == "answered").count(),
        3,
        "{verbs:?}"
    );
    assert!(
        verbs.contains(&"scored") && verbs.contains(&"passed"),
        "{verbs:?}"
    );

    // A second attempt is allowed, a third is not.
    let second = amal.start().await;
    assert_eq!(second["number"], 2);
    let (status, _) = amal
        .call(
            "POST",
            &format!("/attempts/{}/finish", second["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = amal.call("POST", "/quizzes/examen/attempts", None).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn teachers_see_each_question_s_difficulty_and_discrimination() {
    let env = Env::new().await;
    let learners = [
        ("Amal", "amal", "correct horse battery"),
        ("Bilal", "bilal", "correct horse battery"),
        ("Chama", "chama", "correct horse battery"),
        ("Driss", "driss", "correct horse battery"),
    ];
    add_user(&env, "prof", "teacher", "correct horse battery");
    class_of(&env, "ecole", "ce6-b", "prof", &learners);
    quiz(&env, &[]);
    let server = env.serve(&[]);

    // Right (1) or wrong (0) on x, y, z, as worked out in core's unit
    // test: x: 1 1 0 0, y: 1 1 0 0, z: 1 0 1 0.
    let pattern = [[1, 1, 1], [1, 1, 0], [0, 0, 1], [0, 0, 0]];
    for ((_, login, _), right) in learners.iter().zip(pattern).skip(1) {
        let learner = Learner::new(&server, token(&env, login));
        let attempt = learner.start().await;
        for (slot, r) in right.iter().enumerate() {
            let pick = option(&attempt, slot, if *r == 1 { "oui" } else { "non" });
            let (status, body) = learner.answer(&attempt, slot, json!([pick])).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["correct"], *r == 1, "instant feedback: {body}");
        }
        // Instant feedback: the first answer is final.
        let (status, _) = learner.answer(&attempt, 0, json!([0])).await;
        assert_eq!(status, 409);
        let id = attempt["id"].as_str().unwrap();
        let (status, _) = learner
            .call("POST", &format!("/attempts/{id}/finish"), None)
            .await;
        assert_eq!(status, 200);
    }

    // Amal takes it in the pages, without JavaScript.
    let mut browser = Browser::new(&server);
    browser.sign_in("amal", "correct horse battery").await;
    let intro = browser
        .get("/fr/quizzes/examen")
        .await
        .text()
        .await
        .unwrap();
    assert!(intro.contains("Examen blanc"), "{intro}");
    let csrf = hidden_csrf(&intro);
    let started = browser
        .post_form("/fr/quizzes/examen/start", &[("csrf", &csrf)])
        .await;
    assert_eq!(started.status(), 303, "{:?}", started.text().await);
    let mut at = started.headers()["location"].to_str().unwrap().to_owned();
    let attempt_path = at.split('?').next().unwrap().to_owned();
    for n in 1..=3 {
        let page = browser.get(&at).await.text().await.unwrap();
        assert!(page.contains(&format!("Question {n} / 3")), "{page}");
        let oui = page.find("> <span dir=\"auto\">oui</span>").unwrap();
        let value_at = page[..oui].rfind("value=\"").unwrap() + 7;
        let value = &page[value_at..value_at + 1];
        let go = if n < 3 { "next" } else { "check" };
        let n = n.to_string();
        let saved = browser
            .post_form(
                &attempt_path,
                &[("csrf", &csrf), ("slot", &n), ("a", value), ("go", go)],
            )
            .await;
        assert_eq!(saved.status(), 303);
        at = saved.headers()["location"].to_str().unwrap().to_owned();
    }
    // After a reload the last question shows its answer and feedback.
    let last = browser.get(&at).await.text().await.unwrap();
    assert!(last.contains("Juste"), "{last}");
    assert!(last.contains(" checked>"), "{last}");
    let done = browser
        .post_form(
            &attempt_path,
            &[("csrf", &csrf), ("slot", "3"), ("go", "finish")],
        )
        .await;
    assert_eq!(done.status(), 303);
    let review = browser
        .get(done.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("Votre note :") && review.contains("100 %"),
        "{review}"
    );

    // The teacher's figures, for the class.
    let teacher = Learner::new(&server, token(&env, "prof"));
    let (status, results) = teacher
        .call("GET", "/quizzes/examen/results?class=ce6-b", None)
        .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["finished"], 4);
    assert_eq!(results["passed"], 2);
    let items = results["questions"].as_array().unwrap();
    let by_title = |t: &str| items.iter().find(|q| q["title"] == t).unwrap();
    for t in ["x", "y", "z"] {
        assert!((by_title(t)["facility"].as_f64().unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(by_title(t)["answered"], 4);
    }
    let d = by_title("x")["discrimination"].as_f64().unwrap();
    assert!((d - 1.0 / 2f64.sqrt()).abs() < 1e-9, "{d}");
    assert!(by_title("z")["discrimination"].as_f64().unwrap().abs() < 1e-9);
    let needs: Vec<&str> = results["learners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["needs_help"] == true)
        .map(|l| l["login"].as_str().unwrap())
        .collect();
    assert_eq!(needs, ["chama", "driss"]);
    // A learner may not read them.
    let (status, _) = Learner::new(&server, token(&env, "bilal"))
        .call("GET", "/quizzes/examen/results", None)
        .await;
    assert_eq!(status, 403);
    let mut prof = Browser::new(&server);
    prof.sign_in("prof", "correct horse battery").await;
    let page = prof
        .get("/ar/quizzes/examen/results?class=ce6-b")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("0.71") && page.contains("driss"), "{page}");
}

#[tokio::test]
async fn quizzes_travel_in_a_satchel_and_offline_attempts_come_back_as_records() {
    let hub_env = Env::new().await;
    add_user(&hub_env, "prof", "teacher", "correct horse battery");
    class_of(
        &hub_env,
        "douar-1",
        "cm1",
        "prof",
        &[("Aya", "aya", "argan-oil-2026")],
    );
    cli(&hub_env, &["keys", "init"]);
    let hub = hub_env.serve(&["--demo"]);
    let file = hub_env.dir.path().join("douar-1.satchel");
    cli(
        &hub_env,
        &[
            "satchel",
            "pack",
            "-o",
            file.to_str().unwrap(),
            "--programme",
            "math-primary-5",
            "--school",
            "douar-1",
        ],
    );

    // The box has the quizzes of its programme, and the practice exams.
    let box_env = Env::new().await;
    let the_box = box_env.serve(&["--satchel", file.to_str().unwrap()]);
    let listed = the_box.json("/api/v1/quizzes").await;
    let mut ids: Vec<&str> = listed["quizzes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["fractions-check", "math-5-unit", "practice-exam"]);
    // And the courses.
    assert_eq!(
        the_box.get("/fr/courses/teach-fractions").await.status(),
        200
    );

    // Aya takes one at the box, in its pages.
    let mut aya = Browser::new(&the_box);
    aya.sign_in("aya", "argan-oil-2026").await;
    let intro = aya
        .get("/fr/quizzes/fractions-check")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&intro);
    let started = aya
        .post_form("/fr/quizzes/fractions-check/start", &[("csrf", &csrf)])
        .await;
    assert_eq!(started.status(), 303);
    let at = started.headers()["location"].to_str().unwrap().to_owned();
    let path = at.split('?').next().unwrap().to_owned();
    for slot in ["1", "2", "3", "4"] {
        let saved = aya
            .post_form(
                &path,
                &[("csrf", &csrf), ("slot", slot), ("a", "0"), ("go", "next")],
            )
            .await;
        assert_eq!(saved.status(), 303);
    }
    let done = aya
        .post_form(&path, &[("csrf", &csrf), ("slot", "4"), ("go", "finish")])
        .await;
    assert_eq!(done.status(), 303);

    // Its records come back to the hub on a USB stick.
    let stick = box_env.dir.path().join("douar-1.sync");
    cli(&box_env, &["sync", "export", stick.to_str().unwrap()]);
    cli(&hub_env, &["sync", "import", stick.to_str().unwrap()]);
    let key = crate::xapi::new_key(&hub_env, "reader", "all/read");
    let scored = crate::xapi::Client::new(&hub, &key)
        .get("verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fscored")
        .await;
    let scored = &scored["statements"][0];
    assert_eq!(scored["actor"]["account"]["name"], "aya", "{scored}");
    assert_eq!(
        scored["context"]["extensions"]["urn:cartable:xapi:satchel"],
        "douar-1"
    );
    assert!(
        scored["object"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/quizzes/fractions-check")
    );
    // The hub rebuilt the attempt: the teacher's figures count it.
    let prof = Learner::new(&hub, token(&hub_env, "prof"));
    let (status, results) = prof
        .call("GET", "/quizzes/fractions-check/results", None)
        .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["finished"], 1, "{results}");
    assert_eq!(results["learners"][0]["login"], "aya");
    assert_eq!(results["questions"].as_array().unwrap().len(), 7);
}
