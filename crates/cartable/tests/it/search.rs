//! Search as a learner uses it: in Arabic, French, English, Turkish and
//! Tamazight, misspelt, typed letter by letter, narrowed by facets; bad
//! queries refused quickly; the index following imports and removals.

use crate::accounts::{add_user, token};
use crate::support::{Env, Server, repo, stderr};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Two lessons beyond the demo, written for these tests, reusing the
/// demo's transcoded media: one in Turkish, one in Tamazight.
fn more_lessons(env: &Env) -> std::path::PathBuf {
    let demo = repo().join("demo");
    let media = env.dir.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    for set in ["water-cycle", "food-chains"] {
        let copied = std::process::Command::new("cp")
            .arg("-r")
            .arg(demo.join("media").join(set))
            .arg(&media)
            .status()
            .unwrap();
        assert!(copied.success());
    }
    let manifest = json!({
        "capsules": [
            {
                "id": "isik-ve-isi",
                "lang": "tr",
                "titles": {"tr": "Işık ve ısı: güneş enerjisi İstanbul'da nasıl kullanılır?"},
                "summaries": {"tr": "Öğrenciler ışığın ve ısının farkını, güneş panellerinin çalışmasını öğrenir."},
                "level": "secondary-1",
                "subject": "physics-chemistry",
                "media": "media/water-cycle",
                "tags": ["enerji"]
            },
            {
                "id": "tamazight-alphabet",
                "lang": "zgh",
                "titles": {"zgh": "ⵜⵉⴼⵉⵏⴰⵖ ⵏ ⵜⵎⴰⵣⵉⵖⵜ", "fr": "L'alphabet tifinagh"},
                "summaries": {"zgh": "ⴰⵏⵏⴰⵎⵎⴰⵔ ⵖⵔ ⵜⵉⴼⵉⵏⴰⵖ ⵙ ⵜⵓⵙⵏⴰ"},
                "level": "primary-1",
                "subject": "amazigh",
                "media": "media/food-chains"
            }
        ]
    });
    let path = env.dir.path().join("more.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}

async fn search(server: &Server, query: &str) -> Value {
    let r = server.get(&format!("/api/v1/search?{query}")).await;
    assert_eq!(r.status(), StatusCode::OK, "search {query}");
    r.json().await.unwrap()
}

fn ids(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

fn q(text: &str) -> String {
    format!(
        "q={}",
        serde_urlencoded::to_string([("", text)])
            .unwrap()
            .trim_start_matches('=')
    )
}

async fn finds(server: &Server, text: &str, id: &str) {
    let found = ids(&search(server, &q(text)).await);
    assert!(
        found.contains(&id.to_owned()),
        "{text:?} should find {id}, found {found:?}"
    );
}

#[tokio::test]
async fn search_finds_lessons_in_every_language_despite_forms_and_typos() {
    let env = Env::new().await;
    // The demo goes into an empty catalog only: install it first.
    env.serve(&["--demo"]).terminate();
    let import = env.run(&["import", "capsules", more_lessons(&env).to_str().unwrap()]);
    assert!(import.status.success(), "{}", stderr(&import));
    let server = env.serve(&[]);

    // French, without accents and in capitals; and one typo in a long word.
    finds(&server, "decroissance radioactive", "radioactive-decay").await;
    finds(&server, "DÉCROISSANCE", "radioactive-decay").await;
    finds(&server, "mathematiqes", "fractions-same-denominator").await;
    // English stemming: "charges" → "charging".
    finds(&server, "capacitor charges", "rc-circuit-charging").await;
    // Arabic: hamza-less alef, ه for ة, harakat and tatweel.
    finds(&server, "الاعداد العشرية", "comparing-decimal-numbers").await;
    finds(&server, "الْكُسُور", "fractions-same-denominator").await;
    finds(&server, "دوره الماء", "water-cycle").await;
    finds(&server, "المـــاء", "water-cycle").await;
    // Turkish: dotted and dotless i, with and without Turkish letters.
    finds(&server, "istanbul", "isik-ve-isi").await;
    finds(&server, "İSTANBUL", "isik-ve-isi").await;
    finds(&server, "IŞIK", "isik-ve-isi").await;
    finds(&server, "isik", "isik-ve-isi").await;
    // Tamazight in Tifinagh.
    finds(&server, "ⵜⵉⴼⵉⵏⴰⵖ", "tamazight-alphabet").await;
    // Caption text is searched too (the English captions of the fractions lesson).
    let fractions = server
        .json("/api/v1/capsules/fractions-same-denominator")
        .await;
    assert!(
        fractions["captions"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );

    // A 4-letter typo is not "corrected" into something else.
    assert!(!ids(&search(&server, &q("eaz")).await).contains(&"water-cycle".to_owned()));

    // Highlighting marks the words that matched.
    let r = search(&server, &format!("{}&ui=fr", q("cycle eau"))).await;
    let hit = &r["hits"][0];
    assert_eq!(hit["id"], "water-cycle");
    let marked = hit["title"].to_string();
    assert!(
        marked.contains("cycle") && marked.contains("true"),
        "{marked}"
    );
}

#[tokio::test]
async fn facets_filters_prefixes_and_bad_queries() {
    let env = Env::new().await;
    let server = env.serve(&["--demo"]);

    let physics = search(&server, "q=the&subject=physics-chemistry").await;
    for hit in physics["hits"].as_array().unwrap() {
        assert_eq!(hit["subject"], "physics-chemistry");
    }
    let r = search(&server, &q("les")).await;
    let subjects = r["facets"]["subject"].as_array().unwrap();
    let total: u64 = subjects
        .iter()
        .map(|f| f[1].as_u64().or(f["count"].as_u64()).unwrap())
        .sum();
    assert_eq!(
        total as usize,
        r["total"].as_u64().unwrap() as usize,
        "{subjects:?}"
    );

    // As you type: a prefix of a word finds it.
    let s = server
        .json(&format!("/api/v1/search/suggest?{}", q("radioac")))
        .await;
    let found = s["suggestions"].to_string();
    assert!(found.contains("radioactive-decay"), "{found}");
    let r = server
        .get(&format!("/api/v1/search/suggest?{}", q("radioac")))
        .await;
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("public")
    );

    // Bad input: 400 with a JSON error, never a 500.
    for bad in [
        "q=".to_owned(),
        "q=%20%20".to_owned(),
        q(&"a".repeat(1025)),
        "q=%00%01binary".to_owned(),
        "q=ok&level=no-such-level".to_owned(),
        "q=ok&limit=100000".to_owned(),
        "q=ok&nonsense=1".to_owned(),
    ] {
        let r = server.get(&format!("/api/v1/search?{bad}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
    let punct = search(&server, &q("?!… ،؟ ---")).await;
    assert_eq!(punct["total"], 0);

    // The search page: marks, facets as links, in Arabic right to left.
    let page = server.get(&format!("/ar/search?{}", q("الماء"))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<mark>") && html.contains("dir=\"rtl\""),
        "{html}"
    );
    let bad_page = server
        .get(&format!("/fr/search?{}", q(&"x".repeat(1100))))
        .await;
    assert_eq!(bad_page.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_index_follows_imports_and_removals_and_reindex_rebuilds_it() {
    let env = Env::new().await;
    add_user(&env, "editor", "editor", "editor-password");
    let editor = token(&env, "editor");
    let server = env.serve(&["--demo"]);
    assert!(search(&server, &q("istanbul")).await["total"] == 0);

    let import = env.run(&["import", "capsules", more_lessons(&env).to_str().unwrap()]);
    assert!(import.status.success(), "{}", stderr(&import));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while ids(&search(&server, &q("istanbul")).await).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "an imported capsule never became searchable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let removed = reqwest::Client::new()
        .delete(server.url("/api/v1/capsules/isik-ve-isi"))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !ids(&search(&server, &q("istanbul")).await).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "a removed capsule stayed searchable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // The index belongs to the running server; reindex says so.
    let busy = env.run(&["reindex"]);
    assert!(!busy.status.success());
    assert!(stderr(&busy).contains("in use"), "{}", stderr(&busy));
    server.terminate();
    std::fs::remove_dir_all(env.data().join("search")).unwrap();
    let out = env.run(&["reindex", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["documents"], 13);
    let server = env.serve(&[]);
    finds(&server, "ⵜⵉⴼⵉⵏⴰⵖ", "tamazight-alphabet").await;
}
