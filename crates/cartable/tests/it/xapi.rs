//! The LRS as xAPI clients meet it: keys made on the command line,
//! statements stored once and read back with every filter, validation
//! answered with the spec's statuses, voiding, attachments and signatures,
//! documents with their concurrency rules, the alternate request syntax,
//! learners recording through their session, and acknowledged statements
//! surviving kill -9.

use crate::accounts::{Browser, add_user, class_of, cli};
use crate::support::{Env, Server};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

const VERB_WATCHED: &str = "http://adlnet.gov/expapi/verbs/experienced";
const VERB_COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// An xAPI client holding one key.
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: String,
}

pub fn new_key(env: &Env, name: &str, scopes: &str) -> (String, String) {
    let out = cli(
        env,
        &["lrs", "key", "add", name, "--scope", scopes, "--json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    (
        v["key"].as_str().unwrap().to_owned(),
        v["secret"].as_str().unwrap().to_owned(),
    )
}

impl Client {
    pub fn new(server: &Server, (key, secret): &(String, String)) -> Client {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
        Client {
            http: reqwest::Client::new(),
            base: format!("{}/xapi", server.url),
            auth: format!("Basic {auth}"),
        }
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .header("x-experience-api-version", "1.0.3")
    }

    async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> reqwest::Response {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.json(b);
        }
        r.send().await.unwrap()
    }

    pub async fn post(&self, body: &Value) -> (StatusCode, Value) {
        let r = self.send("POST", "/statements", Some(body)).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, query: &str) -> Value {
        let r = self
            .send("GET", &format!("/statements?{query}"), None)
            .await;
        assert_eq!(r.status(), 200, "GET /statements?{query}");
        assert!(
            r.headers()
                .contains_key("x-experience-api-consistent-through")
        );
        r.json().await.unwrap()
    }
}

fn learner(n: usize) -> Value {
    json!({"objectType": "Agent", "name": format!("Learner {n}"),
           "account": {"homePage": "https://cartable.example", "name": format!("learner{n}")}})
}

fn watched(n: usize, capsule: &str) -> Value {
    json!({
        "actor": learner(n),
        "verb": {"id": VERB_WATCHED, "display": {"en-US": "experienced", "fr": "a regardé"}},
        "object": {"id": format!("https://cartable.example/capsules/{capsule}"),
                   "definition": {"name": {"fr": format!("Capsule {capsule}"), "ar": "كبسولة"},
                                  "type": "http://adlnet.gov/expapi/activities/media"}},
        "context": {"contextActivities": {"parent": [{"id": "https://cartable.example/programmes/maths-6"}]}}
    })
}

fn ids_of(page: &Value) -> Vec<String> {
    page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

fn q(agent: &Value) -> String {
    serde_urlencoded::to_string([("agent", agent.to_string())]).unwrap()
}

#[tokio::test]
async fn statements_are_stored_once_and_read_back_with_every_filter() {
    let env = Env::new().await;
    let key = new_key(&env, "Capsule player", "statements/write,statements/read");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);

    // About needs no version header; everything else does.
    let about = reqwest::get(server.url("/xapi/about")).await.unwrap();
    assert_eq!(about.status(), 200);
    assert_eq!(about.headers()["x-experience-api-version"], "1.0.3");
    let about: Value = about.json().await.unwrap();
    assert!(
        about["version"]
            .as_array()
            .unwrap()
            .contains(&json!("1.0.3"))
    );
    let no_version = lrs
        .http
        .get(format!("{}/statements", lrs.base))
        .header("authorization", &lrs.auth)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 400);
    let wrong_version = lrs
        .http
        .get(format!("{}/statements", lrs.base))
        .header("authorization", &lrs.auth)
        .header("x-experience-api-version", "2.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_version.status(), 400);

    // Content served from another origin may use the LRS with a key.
    let preflight = lrs
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/statements", lrs.base))
        .header("origin", "https://content.example")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-experience-api-version",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    // PUT by id; the same again is accepted, other content is a conflict.
    let id = "3b7a1c52-7b7e-4c0e-9a51-2f4c1d6e8a90";
    let one = watched(1, "fractions");
    let put = lrs
        .send("PUT", &format!("/statements?statementId={id}"), Some(&one))
        .await;
    assert_eq!(put.status(), 204);
    let again = lrs
        .send("PUT", &format!("/statements?statementId={id}"), Some(&one))
        .await;
    assert_eq!(again.status(), 204);
    let other = lrs
        .send(
            "PUT",
            &format!("/statements?statementId={id}"),
            Some(&watched(2, "fractions")),
        )
        .await;
    assert_eq!(other.status(), 409);
    let stored = lrs
        .send("GET", &format!("/statements?statementId={id}"), None)
        .await;
    assert_eq!(stored.status(), 200);
    assert!(stored.headers().contains_key("last-modified"));
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored["id"], id);
    assert_eq!(stored["actor"], learner(1));
    assert_eq!(stored["authority"]["name"], "Capsule player");
    assert!(stored["stored"].as_str().unwrap().ends_with('Z'));
    assert_eq!(stored["version"], "1.0.0");

    // A batch gets ids in order, the LRS making those missing.
    let batch = json!([watched(2, "fractions"), watched(3, "volcans"), {
        "actor": learner(2), "verb": {"id": VERB_COMPLETED},
        "object": {"id": "https://cartable.example/capsules/fractions"},
        "context": {"registration": "9e0c1a4d-55aa-4f6b-8d3e-0b1c2d3e4f50"},
        "result": {"completion": true, "duration": "PT3M12S"}
    }]);
    let (status, ids) = lrs.post(&batch).await;
    assert_eq!(status, 200, "{ids}");
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    assert_eq!(ids.len(), 3);

    // All or nothing: one conflicting statement refuses the whole batch.
    let mut conflicting = watched(4, "volcans");
    conflicting["id"] = json!(id);
    let fresh_id = "0f0e0d0c-0b0a-4909-8807-060504030201";
    let mut fresh = watched(4, "volcans");
    fresh["id"] = json!(fresh_id);
    let (status, _) = lrs.post(&json!([fresh, conflicting])).await;
    assert_eq!(status, 409);
    let gone = lrs
        .send("GET", &format!("/statements?statementId={fresh_id}"), None)
        .await;
    assert_eq!(gone.status(), 404, "half a refused batch was stored");
    // Two statements with one id in a batch: 400.
    let (status, body) = lrs.post(&json!([fresh, fresh])).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("twice"), "{body}");

    // Filters.
    let all = lrs.get("").await;
    assert_eq!(ids_of(&all).len(), 4);
    assert_eq!(ids_of(&all)[0], ids[2], "newest first");
    let by_agent = lrs.get(&q(&learner(2))).await;
    assert_eq!(ids_of(&by_agent), vec![ids[2].clone(), ids[0].clone()]);
    let by_verb = lrs.get(&format!("verb={VERB_COMPLETED}")).await;
    assert_eq!(ids_of(&by_verb), vec![ids[2].clone()]);
    let by_activity = lrs
        .get("activity=https://cartable.example/capsules/volcans")
        .await;
    assert_eq!(ids_of(&by_activity), vec![ids[1].clone()]);
    let direct_only = lrs
        .get("activity=https://cartable.example/programmes/maths-6")
        .await;
    assert!(ids_of(&direct_only).is_empty());
    let related = lrs
        .get("activity=https://cartable.example/programmes/maths-6&related_activities=true")
        .await;
    assert_eq!(ids_of(&related).len(), 3);
    let by_registration = lrs
        .get("registration=9e0c1a4d-55aa-4f6b-8d3e-0b1c2d3e4f50")
        .await;
    assert_eq!(ids_of(&by_registration), vec![ids[2].clone()]);
    let ascending = lrs.get("ascending=true").await;
    assert_eq!(ids_of(&ascending)[0], id);
    let first_stored = stored["stored"].as_str().unwrap();
    let since = lrs
        .get(&serde_urlencoded::to_string([("since", first_stored)]).unwrap())
        .await;
    assert_eq!(ids_of(&since).len(), 3, "since is exclusive");
    let until = lrs
        .get(&serde_urlencoded::to_string([("until", first_stored)]).unwrap())
        .await;
    assert_eq!(ids_of(&until), vec![id.to_owned()], "until is inclusive");

    // Pages: `more` leads through all of them, each once.
    let mut seen = Vec::new();
    let mut page = lrs.get("limit=1").await;
    loop {
        seen.extend(ids_of(&page));
        let more = page["more"].as_str().unwrap().to_owned();
        if more.is_empty() {
            break;
        }
        assert!(more.starts_with("/xapi/statements?"), "{more}");
        let r = lrs
            .http
            .get(server.url(&more))
            .header("authorization", &lrs.auth)
            .header("x-experience-api-version", "1.0.3")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        page = r.json().await.unwrap();
    }
    assert_eq!(seen, ids_of(&all));

    // Formats.
    let ids_format = lrs.get("format=ids&limit=1&ascending=true").await;
    let s = &ids_format["statements"][0];
    assert!(s["actor"].get("name").is_none(), "{s}");
    assert!(s["object"].get("definition").is_none(), "{s}");
    let canonical = lrs
        .request("GET", "/statements?format=canonical&ascending=true&limit=1")
        .header("accept-language", "ar, fr;q=0.8")
        .send()
        .await
        .unwrap();
    let canonical: Value = canonical.json().await.unwrap();
    let name = &canonical["statements"][0]["object"]["definition"]["name"];
    assert_eq!(name, &json!({"ar": "كبسولة"}));

    // Bad parameters are 400s.
    for bad in [
        "agent=notjson",
        "agent=%7B%22mbox%22%3A%22bob%40example.org%22%7D",
        "verb=not%20an%20iri",
        "since=yesterday",
        "limit=-1",
        "format=full",
        "unknown=1",
        "statementId=3b7a1c52-7b7e-4c0e-9a51-2f4c1d6e8a90&verb=http://x.org/v",
        "statementId=3b7a1c52-7b7e-4c0e-9a51-2f4c1d6e8a90&voidedStatementId=3b7a1c52-7b7e-4c0e-9a51-2f4c1d6e8a90",
        "cursor=garbage",
    ] {
        let r = lrs.send("GET", &format!("/statements?{bad}"), None).await;
        assert_eq!(r.status(), 400, "GET ?{bad}");
    }

    // The Activities resource merges the definitions statements gave.
    let activity = lrs
        .send(
            "GET",
            "/activities?activityId=https://cartable.example/capsules/fractions",
            None,
        )
        .await;
    assert_eq!(activity.status(), 200);
    let activity: Value = activity.json().await.unwrap();
    assert_eq!(activity["definition"]["name"]["fr"], "Capsule fractions");
    let person = lrs
        .send("GET", &format!("/agents?{}", q(&learner(1))), None)
        .await;
    let person: Value = person.json().await.unwrap();
    assert_eq!(person["objectType"], "Person");
    assert_eq!(person["name"], json!(["Learner 1"]));
    assert_eq!(person["account"][0]["name"], "learner1");
}

#[tokio::test]
async fn invalid_statements_are_refused_with_400_naming_the_place() {
    let env = Env::new().await;
    let key = new_key(&env, "tester", "all");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let base = watched(1, "x");
    let with = |path: &[&str], value: Value| {
        let mut s = base.clone();
        let mut at = &mut s;
        for p in &path[..path.len() - 1] {
            at = at.get_mut(*p).unwrap();
        }
        at[path[path.len() - 1]] = value;
        s
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "actor",
            with(
                &["actor"],
                json!({"mbox": "mailto:a@b.org", "openid": "http://a.org/"}),
            ),
        ),
        ("actor", with(&["actor"], json!({"name": "nobody"}))),
        ("mbox", with(&["actor"], json!({"mbox": "a@b.org"}))),
        ("verb", with(&["verb"], json!({"display": {"en": "x"}}))),
        (
            "display",
            with(&["verb", "display"], json!({"a12345678": "x"})),
        ),
        ("object", with(&["object"], json!({"id": "no scheme"}))),
        (
            "scaled",
            with(&["result"], json!({"score": {"scaled": 1.5}})),
        ),
        ("duration", with(&["result"], json!({"duration": "P1Y2MT"}))),
        (
            "timestamp",
            with(&["timestamp"], json!("2026-01-01T00:00:00-00:00")),
        ),
        ("version", with(&["version"], json!("2.0.0"))),
        ("surprise", with(&["surprise"], json!(1))),
        ("actor", with(&["actor"], Value::Null)),
        ("id", with(&["id"], json!("not-a-uuid"))),
    ];
    for (place, statement) in cases {
        let (status, body) = lrs.post(&statement).await;
        assert_eq!(status, 400, "{place}: {statement}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(place), "{place}: {message}");
    }
    // A batch names the statement at fault.
    let (status, body) = lrs
        .post(&json!([base, with(&["verb"], json!({"id": "nope"}))]))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("statements[1]"),
        "{body}"
    );
    // Bodies that are not statements at all.
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("application/json", "42"),
        ("text/plain", "{}"),
    ] {
        let r = lrs
            .request("POST", "/statements")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{content_type} {body}");
    }
    let none: Value = lrs.get("").await;
    assert!(ids_of(&none).is_empty(), "nothing refused was stored");
}

#[tokio::test]
async fn voiding_hides_a_statement_which_stays_reachable_as_voided() {
    let env = Env::new().await;
    let key = new_key(&env, "tester", "all");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let (_, ids) = lrs.post(&json!([watched(1, "a"), watched(1, "b")])).await;
    let target = ids[0].as_str().unwrap().to_owned();
    let void = |id: &str| {
        json!({"actor": learner(9), "verb": {"id": VOIDED},
               "object": {"objectType": "StatementRef", "id": id}})
    };
    let (status, voider) = lrs.post(&void(&target)).await;
    assert_eq!(status, 200);
    let voider = voider[0].as_str().unwrap().to_owned();
    let r = lrs
        .send("GET", &format!("/statements?statementId={target}"), None)
        .await;
    assert_eq!(r.status(), 404);
    let r = lrs
        .send(
            "GET",
            &format!("/statements?voidedStatementId={target}"),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = lrs
        .send(
            "GET",
            &format!("/statements?voidedStatementId={voider}"),
            None,
        )
        .await;
    assert_eq!(r.status(), 404, "a voiding statement is not voided");
    let listed = ids_of(&lrs.get("").await);
    assert!(!listed.contains(&target));
    assert!(listed.contains(&voider), "the voiding statement is listed");
    // Filters also return what refers to a match: the voiding statement
    // is found by the voided statement's activity, and so is a comment on
    // the other statement.
    let by_activity = ids_of(
        &lrs.get("activity=https://cartable.example/capsules/a")
            .await,
    );
    assert_eq!(by_activity, vec![voider.clone()]);
    let other = ids[1].as_str().unwrap().to_owned();
    let comment = json!({"actor": learner(7), "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
                         "object": {"objectType": "StatementRef", "id": other},
                         "result": {"response": "Très clair !"}});
    let (status, comment_id) = lrs.post(&comment).await;
    assert_eq!(status, 200);
    let by_actor = ids_of(&lrs.get(&q(&learner(1))).await);
    assert_eq!(
        by_actor,
        vec![
            comment_id[0].as_str().unwrap().to_owned(),
            voider.clone(),
            other.clone()
        ],
        "newest first: the comment, the voiding, the remaining statement"
    );
    // A voiding statement cannot be voided.
    let (status, _) = lrs.post(&void(&voider)).await;
    assert_eq!(status, 400);
    // The voided verb needs a StatementRef.
    let mut wrong = void(&target);
    wrong["object"] = json!({"id": "https://cartable.example/capsules/a"});
    let (status, _) = lrs.post(&wrong).await;
    assert_eq!(status, 400);
    // A voiding statement that arrives before its target (satchels bring
    // records in any order) still voids it.
    let later = "5a5b5c5d-1111-4222-8333-444455556666";
    let (status, _) = lrs.post(&void(later)).await;
    assert_eq!(status, 200);
    let mut arriving = watched(3, "c");
    arriving["id"] = json!(later);
    let (status, _) = lrs.post(&arriving).await;
    assert_eq!(status, 200);
    let r = lrs
        .send("GET", &format!("/statements?statementId={later}"), None)
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn keys_and_scopes_decide_who_reads_and_writes() {
    let env = Env::new().await;
    let writer = new_key(&env, "writer", "statements/write,statements/read/mine");
    let other = new_key(&env, "other", "statements/write");
    let reader = new_key(&env, "dashboards", "all/read");
    let revoked = new_key(&env, "old", "all");
    cli(&env, &["lrs", "key", "revoke", &revoked.0]);
    let listed = cli(&env, &["lrs", "key", "list", "--json"]);
    assert!(!listed.contains(&writer.1), "the list never shows a secret");
    let server = env.serve(&[]);
    let (w, o, r) = (
        Client::new(&server, &writer),
        Client::new(&server, &other),
        Client::new(&server, &reader),
    );
    let (status, mine) = w.post(&watched(1, "a")).await;
    assert_eq!(status, 200);
    let (status, _) = o.post(&watched(2, "a")).await;
    assert_eq!(status, 200);
    // statements/read/mine: only what this key stored.
    assert_eq!(ids_of(&w.get("").await), vec![mine[0].as_str().unwrap()]);
    // statements/write alone cannot read; all/read cannot write.
    let denied = o.send("GET", "/statements", None).await;
    assert_eq!(denied.status(), 403);
    let (status, _) = r.post(&watched(3, "a")).await;
    assert_eq!(status, 403);
    assert_eq!(ids_of(&r.get("").await).len(), 2);
    // No credentials, a wrong secret, a revoked key: 401.
    let anonymous = reqwest::Client::new()
        .get(server.url("/xapi/statements"))
        .header("x-experience-api-version", "1.0.3")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = Client::new(&server, &(writer.0.clone(), "0".repeat(64)));
    assert_eq!(wrong.send("GET", "/statements", None).await.status(), 401);
    let gone = Client::new(&server, &revoked);
    assert_eq!(gone.send("GET", "/statements", None).await.status(), 401);
}

#[tokio::test]
async fn documents_keep_the_concurrency_rules() {
    let env = Env::new().await;
    let key = new_key(&env, "player", "state,profile,statements/read");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let agent = learner(1).to_string();
    let state_q = serde_urlencoded::to_string([
        ("activityId", "https://cartable.example/capsules/a"),
        ("agent", agent.as_str()),
        ("stateId", "position"),
    ])
    .unwrap();
    let path = format!("/activities/state?{state_q}");
    let put = lrs
        .send(
            "PUT",
            &path,
            Some(&json!({"seconds": 42, "rendition": "360p"})),
        )
        .await;
    assert_eq!(put.status(), 204);
    let got = lrs.send("GET", &path, None).await;
    assert_eq!(got.status(), 200);
    let etag = got.headers()["etag"].to_str().unwrap().to_owned();
    let body = got.bytes().await.unwrap();
    let sha1 = {
        use sha1::Digest as _;
        let d = sha1::Sha1::digest(&body);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(etag, format!("\"{sha1}\""));
    // POST merges JSON objects.
    let post = lrs.send("POST", &path, Some(&json!({"seconds": 61}))).await;
    assert_eq!(post.status(), 204);
    let merged: Value = lrs.send("GET", &path, None).await.json().await.unwrap();
    assert_eq!(merged, json!({"seconds": 61, "rendition": "360p"}));
    // The list of ids, and deleting them all.
    let list_q = serde_urlencoded::to_string([
        ("activityId", "https://cartable.example/capsules/a"),
        ("agent", agent.as_str()),
    ])
    .unwrap();
    let ids: Value = lrs
        .send("GET", &format!("/activities/state?{list_q}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids, json!(["position"]));
    let del = lrs
        .send("DELETE", &format!("/activities/state?{list_q}"), None)
        .await;
    assert_eq!(del.status(), 204);
    assert_eq!(lrs.send("GET", &path, None).await.status(), 404);

    // Profiles: overwriting needs If-Match; a stale one gets 412.
    let profile =
        "/activities/profile?activityId=https://cartable.example/capsules/a&profileId=notes";
    let first = lrs.send("PUT", profile, Some(&json!({"v": 1}))).await;
    assert_eq!(first.status(), 204);
    let blind = lrs.send("PUT", profile, Some(&json!({"v": 2}))).await;
    assert_eq!(blind.status(), 409);
    let etag = lrs.send("GET", profile, None).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let stale = lrs
        .request("PUT", profile)
        .header("if-match", "\"0000\"")
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let fresh = lrs
        .request("PUT", profile)
        .header("if-match", &etag)
        .json(&json!({"v": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 204);
    let exists = lrs
        .request("PUT", profile)
        .header("if-none-match", "*")
        .json(&json!({"v": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(exists.status(), 412);
    // Agent profiles, with a non-JSON document.
    let agent_profile = format!(
        "/agents/profile?{}",
        serde_urlencoded::to_string([("agent", agent.as_str()), ("profileId", "avatar")]).unwrap()
    );
    let png = lrs
        .request("PUT", &agent_profile)
        .header("content-type", "image/png")
        .body(vec![0x89_u8, b'P', b'N', b'G', 0, 1, 2])
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 204);
    let got = lrs.send("GET", &agent_profile, None).await;
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(
        &got.bytes().await.unwrap()[..],
        &[0x89, b'P', b'N', b'G', 0, 1, 2]
    );
    // Missing or malformed parameters are 400s.
    for bad in [
        "/activities/state?activityId=https://a.org/x",
        "/activities/state?activityId=nope&agent=%7B%7D&stateId=s",
        "/agents/profile?profileId=x",
        "/activities/profile?activityId=https://a.org/x&profileId=p&extra=1",
    ] {
        let r = lrs.send("GET", bad, None).await;
        assert_eq!(r.status(), 400, "GET {bad}");
    }
}

#[tokio::test]
async fn attachments_and_signatures_travel_in_multipart() {
    let env = Env::new().await;
    let key = new_key(&env, "tester", "all");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let worksheet = "Fiche : 3/4 + 1/4 = 1\n".as_bytes();
    let sha = |b: &[u8]| {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
    };
    let mut statement = watched(1, "fractions");
    statement["attachments"] = json!([{
        "usageType": "http://id.tincanapi.com/attachment/supporting_media",
        "display": {"fr": "Fiche remplie"}, "contentType": "text/plain",
        "length": worksheet.len(), "sha2": sha(worksheet)
    }]);
    let multipart = |statement: &Value, parts: &[(&str, &[u8])]| {
        let mut body = Vec::new();
        body.extend_from_slice(b"--xyzzy\r\nContent-Type: application/json\r\n\r\n");
        body.extend_from_slice(statement.to_string().as_bytes());
        for (hash, bytes) in parts {
            body.extend_from_slice(
                format!(
                    "\r\n--xyzzy\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {hash}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
        }
        body.extend_from_slice(b"\r\n--xyzzy--\r\n");
        body
    };
    let send = |body: Vec<u8>| {
        lrs.request("POST", "/statements")
            .header("content-type", "multipart/mixed; boundary=xyzzy")
            .body(body)
            .send()
    };
    let hash = sha(worksheet);
    // Missing part, wrong hash: refused.
    assert_eq!(
        send(multipart(&statement, &[])).await.unwrap().status(),
        400
    );
    assert_eq!(
        send(multipart(&statement, &[(&hash, b"other bytes")]))
            .await
            .unwrap()
            .status(),
        400
    );
    let ok = send(multipart(&statement, &[(&hash, worksheet)]))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let id: Vec<String> = ok.json().await.unwrap();
    let back = lrs
        .send(
            "GET",
            &format!("/statements?statementId={}&attachments=true", id[0]),
            None,
        )
        .await;
    assert_eq!(back.status(), 200);
    let content_type = back.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("multipart/mixed; boundary="),
        "{content_type}"
    );
    let body = back.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains(&format!("X-Experience-API-Hash: {hash}")),
        "{text}"
    );
    assert!(text.contains("Fiche : 3/4 + 1/4 = 1"), "{text}");

    // Signed statements: a JWS of the statement as it was before signing.
    let unsigned = watched(2, "volcans");
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let jws = |payload: &Value| {
        format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256"}"#),
            b64(payload.to_string().as_bytes()),
            b64(b"signature-bytes")
        )
    };
    let signed = |jws: &str| {
        let mut s = unsigned.clone();
        s["attachments"] = json!([{
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "Signature"}, "contentType": "application/octet-stream",
            "length": jws.len(), "sha2": sha(jws.as_bytes())
        }]);
        s
    };
    let good = jws(&unsigned);
    let r = send(multipart(
        &signed(&good),
        &[(&sha(good.as_bytes()), good.as_bytes())],
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let forged = jws(&watched(3, "volcans"));
    let r = send(multipart(
        &signed(&forged),
        &[(&sha(forged.as_bytes()), forged.as_bytes())],
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400, "a signature of another statement");
    let garbage = "not a jws";
    let r = send(multipart(
        &signed(garbage),
        &[(&sha(garbage.as_bytes()), garbage.as_bytes())],
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_alternate_request_syntax_stands_for_the_request_it_carries() {
    let env = Env::new().await;
    let key = new_key(&env, "old browser", "all");
    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let id = "7c6b5a49-3827-4165-a4b3-c2d1e0f9a8b7";
    let form = serde_urlencoded::to_string([
        ("statementId", id),
        ("Authorization", lrs.auth.as_str()),
        ("X-Experience-API-Version", "1.0.3"),
        ("Content-Type", "application/json"),
        ("content", &watched(1, "a").to_string()),
    ])
    .unwrap();
    let r = reqwest::Client::new()
        .post(server.url("/xapi/statements?method=PUT"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert_eq!(status, 204, "{}", r.text().await.unwrap());
    let got = lrs
        .send("GET", &format!("/statements?statementId={id}"), None)
        .await;
    assert_eq!(got.status(), 200);
    let extra = reqwest::Client::new()
        .post(server.url("/xapi/statements?method=PUT&statementId=1"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(extra.status(), 400);
}

#[tokio::test]
async fn a_signed_in_learner_records_and_reads_only_their_own_statements() {
    let env = Env::new().await;
    add_user(&env, "yasmine", "learner", "couscous-2026");
    let server = env.serve(&[]);
    let mut browser = Browser::new(&server);
    browser.sign_in("yasmine", "couscous-2026").await;
    let csrf = browser.session_csrf().await;
    let me = json!({"objectType": "Agent", "account": {"homePage": "http://localhost", "name": "yasmine"}});
    let mut mine = watched(1, "a");
    mine["actor"] = me.clone();
    let r = browser
        .send_xapi("POST", "/xapi/statements", Some(&csrf), Some(mine.clone()))
        .await;
    assert_eq!(r.status(), 200);
    let r = browser
        .send_xapi("POST", "/xapi/statements", None, Some(mine.clone()))
        .await;
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = browser
        .send_xapi(
            "POST",
            "/xapi/statements",
            Some(&csrf),
            Some(watched(2, "a")),
        )
        .await;
    assert_eq!(r.status(), 403, "another learner's statement");
    let r = browser
        .send_xapi("GET", "/xapi/statements", None, None)
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(ids_of(&page).len(), 1);
    assert_eq!(page["statements"][0]["actor"]["account"]["name"], "yasmine");
    assert_eq!(
        page["statements"][0]["authority"]["account"]["name"],
        "yasmine"
    );
}

#[tokio::test]
async fn acknowledged_statements_survive_kill_9_and_no_batch_is_half_written() {
    let env = Env::new().await;
    let key = new_key(&env, "load", "all");
    let server = env.serve(&[]);
    let lrs = std::sync::Arc::new(Client::new(&server, &key));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<String>>::new()));
    let mut tasks = Vec::new();
    for client in 0..8 {
        let lrs = lrs.clone();
        let acknowledged = acknowledged.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..400 {
                let batch: Vec<Value> = (0..50)
                    .map(|i| {
                        let mut s = watched(client * 1000 + i, "a");
                        s["id"] = json!(format!(
                            "{client:08x}-{round:04x}-4{i:03x}-8000-000000000000"
                        ));
                        s
                    })
                    .collect();
                let ids: Vec<String> = batch
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().to_owned())
                    .collect();
                let sent = lrs.request("POST", "/statements").json(&batch).send().await;
                match sent {
                    Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(ids),
                    _ => break,
                }
            }
        }));
    }
    // Let the clients get going, then kill the server outright.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 40 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 40, "the load did not start");

    let server = env.serve(&[]);
    let lrs = Client::new(&server, &key);
    let mut stored = HashSet::new();
    let mut page = lrs.get("format=ids").await;
    loop {
        stored.extend(ids_of(&page));
        let more = page["more"].as_str().unwrap().to_owned();
        if more.is_empty() {
            break;
        }
        page = lrs
            .http
            .get(server.url(&more))
            .header("authorization", &lrs.auth)
            .header("x-experience-api-version", "1.0.3")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    for batch in &acknowledged {
        for id in batch {
            assert!(stored.contains(id), "acknowledged statement {id} was lost");
        }
    }
    // Every stored statement belongs to a batch stored whole.
    assert_eq!(stored.len() % 50, 0, "a batch was half written");
}

#[tokio::test]
async fn progress_is_read_from_the_learners_records_and_shown_on_their_page() {
    let env = Env::new().await;
    add_user(&env, "karim", "learner", "harira-2026");
    let server = env.serve(&["--demo"]);
    let capsules = server.json("/api/v1/capsules?lang=fr&limit=1").await;
    let capsule = capsules["capsules"][0].clone();
    let id = capsule["id"].as_str().unwrap().to_owned();
    let title = capsule["titles"]["fr"].as_str().unwrap().to_owned();
    let anonymous = server.get(&format!("/api/v1/me/progress/{id}")).await;
    assert_eq!(anonymous.status(), 401);

    let mut browser = Browser::new(&server);
    browser.sign_in("karim", "harira-2026").await;
    // The marker the player's script reads to know someone is signed in.
    assert_eq!(
        browser
            .cookies
            .get("cartable_signed_in")
            .map(String::as_str),
        Some("1")
    );
    let start: Value = browser
        .get(&format!("/api/v1/me/progress/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(start["position"], Value::Null);
    assert_eq!(start["completed"], false);
    let activity = start["activity"].as_str().unwrap().to_owned();
    assert_eq!(activity, format!("http://localhost/capsules/{id}"));
    let csrf = start["csrf"].as_str().unwrap().to_owned();
    let record = |verb: &str, time: f64| {
        json!({
            "actor": start["agent"], "verb": {"id": verb},
            "object": {"id": activity},
            "result": {"duration": "PT20S",
                       "extensions": {"https://w3id.org/xapi/video/extensions/time": time}}
        })
    };
    let progressed = "http://adlnet.gov/expapi/verbs/progressed";
    for time in [20.0, 42.0] {
        let r = browser
            .send_xapi(
                "POST",
                "/xapi/statements",
                Some(&csrf),
                Some(record(progressed, time)),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let now: Value = browser
        .get(&format!("/api/v1/me/progress/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["position"], 42.0);
    let page = browser.get("/fr/learning").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    let going = &page[page.find("Reprendre").unwrap()..page.find("Mes dernières").unwrap()];
    assert!(going.contains(&title), "{going}");
    assert!(going.contains("0:42"), "{going}");

    let r = browser
        .send_xapi(
            "POST",
            "/xapi/statements",
            Some(&csrf),
            Some(record(VERB_COMPLETED, 61.0)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = browser.get("/fr/learning").await.text().await.unwrap();
    let done = &page[page.find("Terminées").unwrap()..];
    assert!(done.contains(&title), "{page}");

    let download = browser.get("/api/v1/me/records").await;
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("cartable-records-karim.json")
    );
    let records: Vec<Value> = download.json().await.unwrap();
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r["actor"]["account"]["name"] == "karim")
    );
}

#[tokio::test]
async fn the_teacher_sees_each_learners_progress_and_who_is_away() {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "blackboard-2026");
    class_of(
        &env,
        "fes-1",
        "ce6-b",
        "prof",
        &[
            ("Aya", "aya", "aya-pass-2026"),
            ("Bilal", "bilal", "bilal-pass-2026"),
            ("Chama", "chama", "chama-pass-2026"),
        ],
    );
    let key = new_key(&env, "player", "all");
    let server = env.serve(&["--demo"]);
    let lrs = Client::new(&server, &key);
    let programmes = server.json("/api/v1/programmes").await;
    let programme = programmes["programmes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let capsules = server
        .json(&format!("/api/v1/capsules?programme={programme}"))
        .await;
    let ids: Vec<String> = capsules["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 2);
    let me = |login: &str| json!({"account": {"homePage": "http://localhost", "name": login}});
    let record = |login: &str, capsule: &str, verb: &str, time: f64, reached: f64, spent: &str| {
        json!({"actor": me(login), "verb": {"id": verb},
               "object": {"id": format!("http://localhost/capsules/{capsule}")},
               "result": {"duration": spent, "extensions": {
                   "https://w3id.org/xapi/video/extensions/time": time,
                   "https://w3id.org/xapi/video/extensions/progress": reached}}})
    };
    let progressed = "http://adlnet.gov/expapi/verbs/progressed";
    // Aya finished the first capsule (two records, 3 minutes in all) and
    // stopped a third of the way into the second; Bilal stopped at 10 %
    // of the first; Chama did nothing.
    let (status, _) = lrs
        .post(&json!([
            record("aya", &ids[0], progressed, 30.0, 0.5, "PT60S"),
            record("aya", &ids[0], VERB_COMPLETED, 58.0, 1.0, "PT120S"),
            record("aya", &ids[1], progressed, 20.0, 0.33, "PT20S"),
            record("bilal", &ids[0], progressed, 6.0, 0.1, "PT6S"),
        ]))
        .await;
    assert_eq!(status, 200);

    let mut teacher = Browser::new(&server);
    teacher.sign_in("prof", "blackboard-2026").await;
    let page = teacher
        .get(&format!(
            "/fr/teach/classes/ce6-b/progress?programme={programme}"
        ))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let row = |name: &str| {
        let at = html.find(&format!(">{name}</th>")).unwrap();
        html[at..at + html[at..].find("</tr>").unwrap()].to_owned()
    };
    let aya = row("Aya");
    assert!(aya.contains("terminée"), "{aya}");
    assert!(aya.contains("en cours (33 %)"), "{aya}");
    assert!(
        aya.contains("<td>4</td>"),
        "3 min 20 s rounds up to 4: {aya}"
    );
    assert!(row("Bilal").contains("en cours (10 %)"));
    let chama = row("Chama");
    assert!(chama.contains("absent"), "{chama}");
    assert!(!row("Aya").contains("<strong>absent"));
    assert!(html.contains("absents : 1"), "only Chama is away");

    let csv = teacher
        .get(&format!(
            "/fr/teach/classes/ce6-b/progress.csv?programme={programme}"
        ))
        .await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with(&format!("login,name,{}", ids[0])));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("aya,Aya,terminée,en cours (33 %)")),
        "{text}"
    );

    // Voiding Aya's completion takes it out of the dashboard.
    let page: Value = lrs.get(&format!("verb={VERB_COMPLETED}")).await;
    let completed_id = ids_of(&page)[0].clone();
    let (status, _) = lrs
        .post(&json!({"actor": me("prof"), "verb": {"id": VOIDED},
                      "object": {"objectType": "StatementRef", "id": completed_id}}))
        .await;
    assert_eq!(status, 200);
    let html = teacher
        .get(&format!(
            "/fr/teach/classes/ce6-b/progress?programme={programme}"
        ))
        .await
        .text()
        .await
        .unwrap();
    let at = html.find(">Aya</th>").unwrap();
    let aya = &html[at..at + html[at..].find("</tr>").unwrap()];
    assert!(aya.contains("en cours (50 %)"), "{aya}");

    // The school's page sums the class up: Aya and Bilal started, nobody
    // finished now, Bilal stopped in the first quarter.
    let school = teacher
        .get(&format!(
            "/fr/teach/schools/fes-1/progress?programme={programme}"
        ))
        .await;
    assert_eq!(school.status(), 200);
    let html = school.text().await.unwrap();
    let at = html.find(">CE6 B</a></th>").unwrap();
    let class_row = &html[at..at + html[at..].find("</tr>").unwrap()];
    assert!(
        class_row.starts_with(">CE6 B</a></th><td>3</td><td>2</td><td>3</td><td>0</td>"),
        "learners, active, started, finished: {class_row}"
    );

    // A learner may not see the dashboard; a teacher of another class
    // neither.
    let mut learner = Browser::new(&server);
    learner.sign_in("aya", "aya-pass-2026").await;
    let denied = learner.get("/fr/teach/classes/ce6-b/progress").await;
    assert_eq!(denied.status(), 403);
    let denied = learner.get("/fr/teach/schools/fes-1/progress").await;
    assert_eq!(denied.status(), 403);
}

#[tokio::test]
async fn city_indicators_count_activity_without_naming_anyone() {
    let env = Env::new().await;
    add_user(&env, "planner", "editor", "planning-2026");
    add_user(&env, "prof", "teacher", "blackboard-2026");
    cli(
        &env,
        &[
            "school",
            "add",
            "fes-1",
            "--name",
            "École Fès 1",
            "--district",
            "Fès-Meknès",
        ],
    );
    cli(
        &env,
        &[
            "school",
            "add",
            "ifrane-2",
            "--name",
            "École Ifrane 2",
            "--district",
            "Fès-Meknès",
        ],
    );
    cli(
        &env,
        &[
            "school",
            "add",
            "agadir-3",
            "--name",
            "École Agadir 3",
            "--district",
            "Souss-Massa",
        ],
    );
    for (class, school) in [
        ("fes-a", "fes-1"),
        ("ifrane-a", "ifrane-2"),
        ("agadir-a", "agadir-3"),
    ] {
        cli(
            &env,
            &["class", "add", class, "--school", school, "--name", class],
        );
    }
    let csv = env.dir.path().join("learners.csv");
    std::fs::write(
        &csv,
        "name,login,class,password\nAya,aya,fes-a,aya-pass-2026\nBilal,bilal,fes-a,bilal-pass-2026\nChama,chama,ifrane-a,chama-pass-2026\nDriss,driss,agadir-a,driss-pass-2026\n",
    )
    .unwrap();
    cli(&env, &["enrol", csv.to_str().unwrap()]);
    let key = new_key(&env, "player", "all");
    let server = env.serve(&["--demo"]);
    let lrs = Client::new(&server, &key);
    let capsule = server.json("/api/v1/capsules?limit=1").await["capsules"][0].clone();
    let id = capsule["id"].as_str().unwrap().to_owned();
    let level = capsule["level"].as_str().unwrap().to_owned();
    let record = |login: &str, verb: &str, day: &str, extensions: Value, spent: &str| {
        json!({"actor": {"account": {"homePage": "http://localhost", "name": login}},
               "verb": {"id": verb}, "object": {"id": format!("http://localhost/capsules/{id}")},
               "timestamp": format!("{day}T10:00:00Z"),
               "result": {"duration": spent},
               "context": {"extensions": extensions}})
    };
    let launched = "http://adlnet.gov/expapi/verbs/launched";
    let phone = json!({"urn:cartable:xapi:device": "phone", "https://w3id.org/xapi/video/extensions/quality": "audio"});
    let offline =
        json!({"urn:cartable:xapi:satchel": "box-ifrane", "urn:cartable:xapi:device": "computer"});
    let (status, _) = lrs
        .post(&json!([
            // Aya: two days, the first twice (counted once that day).
            record("aya", launched, "2026-11-02", phone.clone(), "PT0S"),
            record(
                "aya",
                VERB_COMPLETED,
                "2026-11-02",
                phone.clone(),
                "PT3600S"
            ),
            record("aya", launched, "2026-11-03", phone.clone(), "PT0S"),
            // Bilal, same school, one day.
            record("bilal", launched, "2026-11-03", json!({}), "PT60S"),
            // Chama offline at Ifrane.
            record("chama", launched, "2026-11-03", offline.clone(), "PT120S"),
            // Driss outside the period.
            record("driss", launched, "2026-10-01", json!({}), "PT60S"),
        ]))
        .await;
    assert_eq!(status, 200);

    let mut planner = Browser::new(&server);
    planner.sign_in("planner", "planning-2026").await;
    let page = planner
        .get("/en/indicators?from=2026-11-01&to=2026-11-07")
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for login in ["aya", "bilal", "chama", "driss", "Aya"] {
        assert!(
            !html.contains(&format!(">{login}<")),
            "the page names {login}"
        );
    }
    let csv = planner
        .get("/en/indicators.csv?from=2026-11-01&to=2026-11-07")
        .await
        .text()
        .await
        .unwrap();
    let value = |indicator: &str, key: &str| -> i64 {
        csv.lines()
            .find_map(|l| {
                let (head, v) = l.rsplit_once(',')?;
                (head == format!("{indicator},{key}") || head == format!("{indicator},\"{key}\""))
                    .then(|| v.parse().unwrap())
            })
            .unwrap_or_else(|| panic!("{indicator},{key} missing in\n{csv}"))
    };
    assert_eq!(value("active_learners_day", "2026-11-02"), 1);
    assert_eq!(value("active_learners_day", "2026-11-03"), 3);
    assert_eq!(value("active_learners_day", "2026-11-04"), 0);
    assert_eq!(
        value("active_learners_week", "2026-W45"),
        3,
        "Aya counted once in her week"
    );
    assert_eq!(value("reach_school_active", "fes-1"), 2);
    assert_eq!(value("reach_school_enrolled", "fes-1"), 2);
    assert_eq!(
        value("reach_school_active", "agadir-3"),
        0,
        "Driss was active before the period"
    );
    assert_eq!(value("reach_district_active", "Fès-Meknès"), 3);
    assert_eq!(value("channel_records", "offline"), 1);
    assert_eq!(value("channel_records", "online"), 4);
    assert_eq!(value("device_records", "phone"), 3);
    assert_eq!(value("audio_only_seconds", "total"), 3600);
    assert!(value("audio_only_bytes_saved", "total") > 0);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("started_level,") && l.ends_with(",4")),
        "four starts in the capsule's level ({level}):\n{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("completed_level,") && l.ends_with(",1"))
    );

    // Teachers and learners may not read the indicators.
    let mut teacher = Browser::new(&server);
    teacher.sign_in("prof", "blackboard-2026").await;
    assert_eq!(teacher.get("/en/indicators").await.status(), 403);

    // An admin erases Aya's records: they are gone, the counts stay.
    add_user(&env, "root", "admin", "root-password-1");
    let admin = crate::accounts::token(&env, "root");
    let http = reqwest::Client::new();
    let copy: Vec<Value> = http
        .get(server.url("/api/v1/users/aya/records"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(copy.len(), 3, "the admin's copy before erasure");
    let erased: Value = http
        .delete(server.url("/api/v1/users/aya/records"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(erased["erased"], 3);
    let after: Vec<Value> = http
        .get(server.url("/api/v1/users/aya/records"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(after.is_empty());
    let by_agent = lrs
        .get(&q(
            &json!({"account": {"homePage": "http://localhost", "name": "aya"}}),
        ))
        .await;
    assert!(ids_of(&by_agent).is_empty());
    let again = planner
        .get("/en/indicators.csv?from=2026-11-01&to=2026-11-07")
        .await
        .text()
        .await
        .unwrap();
    for line in [
        "active_learners_day,2026-11-03,3",
        "active_learners_week,2026-W45,3",
        "device_records,phone,3",
    ] {
        assert!(
            again.lines().any(|l| l == line),
            "{line} after erasure:\n{again}"
        );
    }
    let out = env.run(&["lrs", "erase", "bilal", "--json"]);
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["erased"], 1);
}

#[tokio::test]
async fn a_teacher_assigns_a_programme_and_learners_see_it_at_home() {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "blackboard-2026");
    class_of(
        &env,
        "oujda-1",
        "ce5",
        "prof",
        &[("Aya", "aya", "aya-pass-2026")],
    );
    let server = env.serve(&["--demo"]);
    let programme = server.json("/api/v1/programmes").await["programmes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let capsules = server
        .json(&format!("/api/v1/capsules?programme={programme}"))
        .await;
    let ids: Vec<String> = capsules["capsules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();

    let mut teacher = Browser::new(&server);
    teacher.sign_in("prof", "blackboard-2026").await;
    let page = teacher
        .get("/fr/teach/classes/ce5/progress")
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::accounts::hidden_csrf(&page);
    // A bad day is refused with a message, nothing assigned.
    let refused = teacher
        .post_form(
            "/fr/teach/classes/ce5/assignments",
            &[
                ("csrf", &csrf),
                ("programme", &programme),
                ("due", "next week"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("YYYY-MM-DD"));
    let made = teacher
        .post_form(
            "/fr/teach/classes/ce5/assignments",
            &[
                ("csrf", &csrf),
                ("programme", &programme),
                ("due", "2099-06-30"),
            ],
        )
        .await;
    assert_eq!(made.status(), 303);

    let mut learner = Browser::new(&server);
    learner.sign_in("aya", "aya-pass-2026").await;
    let home = learner.get("/fr/").await;
    assert_eq!(home.headers()["cache-control"], "no-store");
    let home = home.text().await.unwrap();
    assert!(home.contains("Mes devoirs"), "{home}");
    assert!(
        home.contains(&format!("0 sur {} terminées", ids.len())),
        "{home}"
    );
    assert!(home.contains(&format!("/fr/capsules/{}", ids[0])));
    // Anonymous visitors still get the shared page.
    let anonymous = server.get("/fr/").await;
    assert!(
        anonymous.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("public")
    );
    assert!(!anonymous.text().await.unwrap().contains("Mes devoirs"));

    // Aya finishes the first capsule: her home says so and points on.
    let me: Value = learner
        .get(&format!("/api/v1/me/progress/{}", ids[0]))
        .await
        .json()
        .await
        .unwrap();
    let done = json!({"actor": me["agent"], "verb": {"id": VERB_COMPLETED},
                      "object": {"id": me["activity"]}});
    let r = learner
        .send_xapi("POST", "/xapi/statements", me["csrf"].as_str(), Some(done))
        .await;
    assert_eq!(r.status(), 200);
    let home = learner.get("/fr/").await.text().await.unwrap();
    assert!(
        home.contains(&format!("1 sur {} terminées", ids.len())),
        "{home}"
    );
    assert!(home.contains(&format!("/fr/capsules/{}", ids[1])));
    let mine: Value = learner
        .get("/api/v1/me/assignments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["assignments"][0]["done"], 1);

    // The API does the same for scripts, and refuses what is not there.
    let token = crate::accounts::token(&env, "prof");
    let http = reqwest::Client::new();
    let bad = http
        .post(server.url("/api/v1/classes/ce5/assignments"))
        .bearer_auth(&token)
        .json(&json!({"capsules": ["no-such-capsule"], "due": "2099-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let listed: Value = http
        .get(server.url("/api/v1/classes/ce5/assignments"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let aid = listed["assignments"][0]["id"].as_str().unwrap().to_owned();
    let gone = http
        .delete(server.url(&format!("/api/v1/classes/ce5/assignments/{aid}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let home = learner.get("/fr/").await.text().await.unwrap();
    assert!(!home.contains("Mes devoirs"));
}
