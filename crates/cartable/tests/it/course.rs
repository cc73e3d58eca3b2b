//! Courses: enrolment open or by class, each step's completion (a capsule
//! watched to its end, a reading marked read, a quiz passed), the
//! certificate once every step is done, its public verification, and the
//! "completed" record.

use crate::accounts::{Browser, add_user, class_of, cli, hidden_csrf};
use crate::support::Env;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_course_is_followed_step_by_step_and_ends_with_a_certificate_anyone_can_check() {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", PASSWORD);
    class_of(
        &env,
        "ecole",
        "ce6-b",
        "prof",
        &[("Amal Idrissi", "amal", PASSWORD)],
    );
    add_user(&env, "karim", "learner", PASSWORD);
    let server = env.serve(&["--demo"]);
    // A course only class ce6-b may take, and a bad one.
    let mut spec: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo().join("demo/course.json")).unwrap(),
    )
    .unwrap();
    spec["open"] = json!(false);
    spec["classes"] = json!(["ce6-b"]);
    let file = env.dir.path().join("course.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    cli(
        &env,
        &[
            "course",
            "create",
            "classe",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    spec["modules"][0]["items"][0]["id"] = json!("nowhere");
    std::fs::write(&file, spec.to_string()).unwrap();
    let out = env.run(&["course", "create", "bad", "--file", file.to_str().unwrap()]);
    assert!(
        crate::support::stderr(&out).contains("module 1, item 1: there is no capsule \"nowhere\"")
    );

    // Karim is not in the class; Amal is.
    let mut karim = Browser::new(&server);
    karim.sign_in("karim", PASSWORD).await;
    let page = karim.get("/fr/courses/classe").await.text().await.unwrap();
    assert!(page.contains("demandez à votre enseignant"), "{page}");
    let mut amal = Browser::new(&server);
    amal.sign_in("amal", PASSWORD).await;
    let page = amal.get("/fr/courses/classe").await.text().await.unwrap();
    let csrf = hidden_csrf(&page);
    assert_eq!(
        amal.post_form("/fr/courses/classe/enrol", &[("csrf", &csrf)])
            .await
            .status(),
        303
    );
    let page = amal.get("/fr/courses/classe").await.text().await.unwrap();
    assert!(page.contains("<strong>0 / 5</strong>"), "{page}");
    // No certificate before every step is done.
    let early = amal.get("/fr/courses/classe/certificate").await;
    assert_eq!(early.status(), 303);

    // The two readings.
    for (m, i) in [(0, 1), (1, 1)] {
        let r = amal
            .post_form(
                &format!("/fr/courses/classe/readings/{m}/{i}"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    // Not a reading: refused.
    assert_eq!(
        amal.post_form("/fr/courses/classe/readings/0/0", &[("csrf", &csrf)])
            .await
            .status(),
        404
    );
    // The two capsules, watched to their end (as the player records it).
    // The platform's public address (unset here: the default).
    let home = "http://localhost";
    for capsule in ["fractions-same-denominator", "comparing-decimal-numbers"] {
        let statement = json!({
            "actor": {"objectType": "Agent", "account": {"homePage": home, "name": "amal"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": format!("{}/capsules/{capsule}", home)},
        });
        let r = amal
            .send_xapi("POST", "/xapi/statements", Some(&csrf), Some(statement))
            .await;
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }
    let page = amal.get("/fr/courses/classe").await.text().await.unwrap();
    assert!(page.contains("<strong>4 / 5</strong>"), "{page}");
    // The quiz, passed.
    let started = amal
        .post_form("/fr/quizzes/fractions-check/start", &[("csrf", &csrf)])
        .await;
    let at = started.headers()["location"].to_str().unwrap().to_owned();
    let path = at.split('?').next().unwrap().to_owned();
    // The demo quiz asks the bank's seven math-primary-5 questions in
    // order: the first four right is 4/7, a pass.
    for (slot, fields) in [
        ("1", vec![("a", "0")]),
        ("2", vec![("a", "0"), ("a", "1")]),
        ("3", vec![("a", "true")]),
        ("4", vec![("a", "5")]),
    ] {
        let mut all = vec![("csrf", csrf.as_str()), ("slot", slot), ("go", "next")];
        all.extend(fields);
        assert_eq!(amal.post_form(&path, &all).await.status(), 303);
    }
    amal.post_form(&path, &[("csrf", &csrf), ("slot", "4"), ("go", "finish")])
        .await;
    let page = amal.get("/fr/courses/classe").await.text().await.unwrap();
    assert!(page.contains("<strong>5 / 5</strong>"), "{page}");

    // The certificate, and its check by anyone.
    let cert = amal.get("/fr/courses/classe/certificate").await;
    assert_eq!(cert.status(), 200);
    let cert = cert.text().await.unwrap();
    assert!(
        cert.contains("Amal Idrissi") && cert.contains("Enseigner les fractions"),
        "{cert}"
    );
    let at = cert.find("/fr/certificates/").unwrap();
    let url = cert[at..].split('<').next().unwrap().to_owned();
    let again = amal
        .get("/fr/courses/classe/certificate")
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains(&url), "one certificate per learner");
    let public = server.get(&url).await;
    assert_eq!(public.status(), 200);
    assert!(public.text().await.unwrap().contains("authentique"));
    assert_eq!(
        server.get("/fr/certificates/aaaa-bbbb-cccc").await.status(),
        404
    );
    let key = crate::xapi::new_key(&env, "reader", "all/read");
    let done = crate::xapi::Client::new(&server, &key)
        .get("verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted&limit=10")
        .await;
    assert!(
        done["statements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["object"]["id"]
                .as_str()
                .unwrap()
                .ends_with("/courses/classe")),
        "{done}"
    );
}
