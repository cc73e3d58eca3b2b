//! Accounts as their users meet them: the command line, signing in and
//! out, the rate limit, CSRF, API tokens, bulk enrolment, and the whole
//! role matrix over every protected route.

use crate::support::{Env, Server, stderr};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;

/// Adds a user through `cartable user add`, the password on stdin.
pub fn add_user(env: &Env, login: &str, role: &str, password: &str) {
    let mut child = env
        .command()
        .args(["user", "add", login, "--role", role, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "user add {login}: {}", stderr(&out));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, json!({"login": login, "role": role}));
}

pub fn cli(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// A school with one class taught by `teacher`, and learners enrolled in
/// it from CSV rows `name,login,password` (through the command line). The
/// class is named after its id: "ce6-b" is "CE6 B".
pub fn class_of(
    env: &Env,
    school: &str,
    class: &str,
    teacher: &str,
    learners: &[(&str, &str, &str)],
) {
    cli(
        env,
        &[
            "school",
            "add",
            school,
            "--name",
            &format!("École {school}"),
        ],
    );
    cli(
        env,
        &[
            "class",
            "add",
            class,
            "--school",
            school,
            "--name",
            &class.to_uppercase().replace('-', " "),
        ],
    );
    cli(env, &["class", "teacher", class, teacher]);
    if learners.is_empty() {
        return;
    }
    let mut rows = String::from("name,login,class,password\n");
    for (name, login, password) in learners {
        rows.push_str(&format!("{name},{login},{class},{password}\n"));
    }
    let csv = env.dir.path().join(format!("{class}.csv"));
    std::fs::write(&csv, rows).unwrap();
    cli(env, &["enrol", csv.to_str().unwrap()]);
}

pub fn token(env: &Env, login: &str) -> String {
    let v: Value = serde_json::from_str(&cli(env, &["user", "token", login, "--json"])).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// A browser: keeps cookies, does not follow redirects, so each step can
/// be checked.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    pub cookies: HashMap<String, String>,
}

pub fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_owned()
}

impl Browser {
    pub fn new(server: &Server) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: server.url.clone(),
            cookies: HashMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for c in response.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        self.send_with(method, path, csrf, body, &[]).await
    }

    async fn send_with(
        &mut self,
        method: &str,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        self.keep(&r);
        r
    }

    /// A request to the LRS with this browser's session.
    pub async fn send_xapi(
        &mut self,
        method: &str,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        self.send_with(
            method,
            path,
            csrf,
            body,
            &[("x-experience-api-version", "1.0.3")],
        )
        .await
    }

    /// Signs in through the login form; the CSRF token of the session.
    pub async fn sign_in(&mut self, login: &str, password: &str) -> reqwest::Response {
        let page = self.get("/fr/login").await.text().await.unwrap();
        let csrf = hidden_csrf(&page);
        self.post_form(
            "/fr/login",
            &[
                ("csrf", &csrf),
                ("login", login),
                ("password", password),
                ("next", "/fr/account"),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in session, from the account page.
    pub async fn session_csrf(&mut self) -> String {
        let page = self.get("/fr/account").await.text().await.unwrap();
        hidden_csrf(&page)
    }
}

#[tokio::test]
async fn a_user_added_on_the_command_line_signs_in_and_out() {
    let env = Env::new().await;
    add_user(&env, "amina", "teacher", "tajine-2026");
    let server = env.serve(&[]);
    let mut b = Browser::new(&server);

    let wrong = b.sign_in("amina", "couscous-2026").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("L’identifiant ou le mot de passe est faux.")
    );
    assert!(!b.cookies.contains_key("cartable_session"));

    let ok = b.sign_in("amina", "tajine-2026").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/fr/account");
    let set_cookie: Vec<&str> = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("cartable_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    let account = b.get("/fr/account").await;
    assert_eq!(account.headers()["cache-control"], "no-store");
    assert!(account.text().await.unwrap().contains("Enseignant"));
    let me: Value = b
        .send("GET", "/api/v1/me", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "teacher");

    let csrf = b.session_csrf().await;
    let refused = b.post_form("/fr/logout", &[]).await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "logout without CSRF"
    );
    let out = b.post_form("/fr/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.send("GET", "/api/v1/me", None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(b.get("/fr/account").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account_with_a_clear_message() {
    let env = Env::new().await;
    add_user(&env, "omar", "learner", "first-password");
    add_user(&env, "sara", "learner", "second-password");
    let server = env.serve(&[]);
    let mut b = Browser::new(&server);
    for _ in 0..5 {
        assert_eq!(
            b.sign_in("omar", "guess-guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = b.sign_in("omar", "first-password").await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let text = locked.text().await.unwrap();
    assert!(
        text.contains("Trop d’essais manqués pour ce compte. Réessayez dans 15 minutes."),
        "{text}"
    );
    // Someone else at the same address is not locked out.
    assert_eq!(
        Browser::new(&server)
            .sign_in("sara", "second-password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn csrf_guards_every_state_changing_request_of_a_session() {
    let env = Env::new().await;
    add_user(&env, "nadia", "learner", "mint-tea-please");
    let server = env.serve(&[]);
    let mut b = Browser::new(&server);
    b.sign_in("nadia", "mint-tea-please").await;
    let csrf = b.session_csrf().await;
    let body = || Some(json!({"name": "laptop"}));

    let none = b.send("POST", "/api/v1/tokens", None, body()).await;
    assert_eq!(none.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        none.json::<Value>().await.unwrap()["error"]["code"],
        "csrf_failed"
    );
    let wrong = b
        .send("POST", "/api/v1/tokens", Some(&"0".repeat(64)), body())
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let cross = b
        .client
        .post(format!("{}/api/v1/tokens", b.base))
        .header("cookie", b.cookie_header())
        .header("x-csrf-token", &csrf)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let ok = b.send("POST", "/api/v1/tokens", Some(&csrf), body()).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    // A form from another page of the same session must carry the token too.
    let form = b
        .post_form("/fr/account/tokens", &[("name", "phone")])
        .await;
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    assert!(form.text().await.unwrap().contains("Formulaire expiré"));
}

#[tokio::test]
async fn api_tokens_are_listed_used_revoked_and_never_stored_whole() {
    let env = Env::new().await;
    add_user(&env, "script", "editor", "long-enough-pw");
    let token = token(&env, "script");
    assert!(token.starts_with("ct_"));
    let server = env.serve(&[]);
    let client = reqwest::Client::new();
    let call = |method: &str, path: &str| {
        client
            .request(method.parse().unwrap(), server.url(path))
            .bearer_auth(&token)
    };
    let me: Value = call("GET", "/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "script");
    let list: Value = call("GET", "/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = &list["tokens"][0];
    assert_eq!(listed["name"], "cli");
    assert!(
        !list.to_string().contains(&token[3..]),
        "a list never shows the secret"
    );
    // A token is no ambient credential: it needs no CSRF token.
    let made = call("POST", "/api/v1/tokens")
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);

    if env.database_url.is_none() {
        let mut stored = Vec::new();
        for f in ["cartable.db", "cartable.db-wal"] {
            stored.extend(std::fs::read(env.data().join(f)).unwrap_or_default());
        }
        let stored = String::from_utf8_lossy(&stored);
        assert!(!stored.contains(&token[3..]), "the token is stored whole");
    }

    let id = listed["id"].as_str().unwrap();
    let gone = call("DELETE", &format!("/api/v1/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let after = call("GET", "/api/v1/me").send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        after.json::<Value>().await.unwrap()["error"]["code"],
        "bad_token"
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_user() {
    let env = Env::new().await;
    add_user(&env, "yasmine", "learner", "two-devices-pw");
    let server = env.serve(&[]);
    let mut phone = Browser::new(&server);
    let mut laptop = Browser::new(&server);
    phone.sign_in("yasmine", "two-devices-pw").await;
    laptop.sign_in("yasmine", "two-devices-pw").await;
    assert_eq!(
        phone.send("GET", "/api/v1/me", None, None).await.status(),
        StatusCode::OK
    );
    let csrf = laptop.session_csrf().await;
    let r = laptop
        .post_form("/fr/logout-everywhere", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        phone.send("GET", "/api/v1/me", None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        laptop.send("GET", "/api/v1/me", None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

const ROLES: [&str; 6] = [
    "learner",
    "teacher",
    "editor",
    "archivist",
    "broadcaster",
    "admin",
];

/// Sets up a school, a class taught by `teacher`, and one user per role.
fn school(env: &Env) {
    for role in ROLES {
        add_user(env, role, role, &format!("{role}-password"));
    }
    cli(
        env,
        &["school", "add", "tetouan-1", "--name", "École Tétouan 1"],
    );
    cli(
        env,
        &[
            "class",
            "add",
            "cm2-a",
            "--school",
            "tetouan-1",
            "--name",
            "CM2 A",
        ],
    );
    cli(env, &["class", "teacher", "cm2-a", "teacher"]);
}

#[tokio::test]
async fn every_role_against_every_protected_route_is_allowed_or_403_never_500() {
    let env = Env::new().await;
    school(&env);
    let tokens: HashMap<&str, String> = ROLES.iter().map(|r| (*r, token(&env, r))).collect();
    let server = env.serve(&[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let any = &ROLES[..];
    let admin = &["admin"][..];
    let teachers = &["teacher", "admin"][..];
    let editors = &["editor", "admin"][..];
    // (method, path, body, who may) — every protected API route.
    let routes: Vec<(&str, String, Option<Value>, &[&str])> = vec![
        ("GET", "/api/v1/me".into(), None, any),
        ("GET", "/api/v1/tokens".into(), None, any),
        (
            "POST",
            "/api/v1/tokens".into(),
            Some(json!({"name": "matrix"})),
            any,
        ),
        ("DELETE", "/api/v1/tokens/000000000000".into(), None, any),
        ("GET", "/api/v1/users".into(), None, admin),
        (
            "POST",
            "/api/v1/users".into(),
            Some(json!({"login": "new-{role}", "name": "N", "role": "learner"})),
            admin,
        ),
        (
            "PATCH",
            "/api/v1/users/learner".into(),
            Some(json!({"name": "Learner"})),
            admin,
        ),
        (
            "DELETE",
            "/api/v1/users/nobody/sessions".into(),
            None,
            admin,
        ),
        ("GET", "/api/v1/schools".into(), None, admin),
        (
            "POST",
            "/api/v1/schools".into(),
            Some(json!({"id": "s-{role}", "name": "S"})),
            admin,
        ),
        ("GET", "/api/v1/classes".into(), None, teachers),
        (
            "POST",
            "/api/v1/classes".into(),
            Some(json!({"id": "c-{role}", "school": "tetouan-1", "name": "C"})),
            admin,
        ),
        ("GET", "/api/v1/classes/cm2-a".into(), None, teachers),
        (
            "POST",
            "/api/v1/classes/cm2-a/members".into(),
            Some(json!({"login": "learner", "as": "learner"})),
            admin,
        ),
        (
            "POST",
            "/api/v1/classes/cm2-a/picture-login".into(),
            Some(json!({"enabled": false})),
            teachers,
        ),
        ("POST", "/api/v1/enrolments".into(), None, admin),
        (
            "DELETE",
            "/api/v1/capsules/no-such-capsule".into(),
            None,
            editors,
        ),
        ("GET", "/api/v1/me/progress".into(), None, any),
        ("GET", "/api/v1/me/progress/some-capsule".into(), None, any),
        ("GET", "/api/v1/me/records".into(), None, any),
        ("GET", "/api/v1/users/learner/records".into(), None, admin),
        (
            "DELETE",
            "/api/v1/users/learner/records".into(),
            None,
            admin,
        ),
        (
            "GET",
            "/api/v1/classes/cm2-a/assignments".into(),
            None,
            teachers,
        ),
        (
            "POST",
            "/api/v1/classes/cm2-a/assignments".into(),
            Some(json!({"capsules": [], "due": "2099-01-01"})),
            teachers,
        ),
        (
            "DELETE",
            "/api/v1/classes/cm2-a/assignments/none".into(),
            None,
            teachers,
        ),
        ("GET", "/api/v1/me/assignments".into(), None, any),
    ];
    for (method, path, body, allowed) in &routes {
        for who in ROLES.iter().map(Some).chain([None]) {
            let mut req = client.request(method.parse().unwrap(), server.url(path));
            if let Some(role) = who {
                req = req.bearer_auth(&tokens[role]);
            }
            if let Some(b) = body {
                let text = b.to_string().replace("{role}", who.unwrap_or(&"anon"));
                req = req.header("content-type", "application/json").body(text);
            } else if path.ends_with("enrolments") {
                req = req.body(format!(
                    "name,login,class\nKid,kid-{},cm2-a\n",
                    who.unwrap_or(&"anon")
                ));
            }
            let status = req.send().await.unwrap().status();
            let label = format!("{method} {path} as {who:?}");
            assert!(!status.is_server_error(), "{label}: {status}");
            match who {
                None => assert_eq!(status, StatusCode::UNAUTHORIZED, "{label}"),
                Some(role) if allowed.contains(role) => {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{label}: {status}"
                    )
                }
                Some(_) => assert_eq!(status, StatusCode::FORBIDDEN, "{label}"),
            }
        }
    }
    // The pages, with a signed-in browser per role.
    let pages: Vec<(&str, &[&str])> = vec![
        ("/fr/account", any),
        ("/ar/admin", admin),
        ("/en/teach", teachers),
        ("/fr/teach/classes/cm2-a", teachers),
        ("/fr/teach/classes/cm2-a/progress", teachers),
        ("/ar/teach/schools/tetouan-1/progress", teachers),
        ("/en/teach/classes/cm2-a/progress.csv", teachers),
        ("/fr/learning", any),
        ("/ar/indicators", editors),
        ("/fr/indicators.csv", editors),
    ];
    for role in ROLES {
        let mut b = Browser::new(&server);
        assert_eq!(
            b.sign_in(role, &format!("{role}-password")).await.status(),
            StatusCode::SEE_OTHER
        );
        for (path, allowed) in &pages {
            let status = b.get(path).await.status();
            let want = if allowed.contains(&role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(status, want, "GET {path} as {role}");
        }
    }
    for (path, _) in &pages {
        let r = Browser::new(&server).get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET {path} anonymously");
        assert!(r.headers()["location"].to_str().unwrap().contains("/login"));
    }
}

#[tokio::test]
async fn a_teacher_sees_only_their_own_classes() {
    let env = Env::new().await;
    school(&env);
    cli(
        &env,
        &[
            "class",
            "add",
            "cm1-b",
            "--school",
            "tetouan-1",
            "--name",
            "CM1 B",
        ],
    );
    let t = token(&env, "teacher");
    let server = env.serve(&[]);
    let client = reqwest::Client::new();
    let list: Value = client
        .get(server.url("/api/v1/classes"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cm2-a"]);
    let other = client
        .get(server.url("/api/v1/classes/cm1-b"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_csv_enrolment_with_bad_rows_writes_nothing_unless_told_to_skip_them() {
    let env = Env::new().await;
    school(&env);
    let dir = env.dir.path();
    let csv = dir.join("cm2.csv");
    std::fs::write(
        &csv,
        "name,login,class,password\n\
         Amina Benali,amina.b,cm2-a,\n\
         Youssef El Idrissi,youssef,cm2-a,olive-tree-42\n\
         Omar,Omar!,cm2-a,\n\
         Sara,sara,cm9-z,\n\
         Teacher again,teacher,cm2-a,\n",
    )
    .unwrap();
    let before = cli(&env, &["user", "list"]).lines().count();
    let out = env.run(&["enrol", csv.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let name = csv.display();
    assert!(
        err.contains(&format!("{name}:4: login: login \"Omar!\" is not valid")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:5: class: there is no class \"cm9-z\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:6: login: \"teacher\" is taken")),
        "{err}"
    );
    assert!(err.contains("nothing was enrolled"), "{err}");
    assert_eq!(cli(&env, &["user", "list"]).lines().count(), before);

    let out = env.run(&["enrol", csv.to_str().unwrap(), "--skip-bad", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let enrolled = report["enrolled"].as_array().unwrap();
    assert_eq!(enrolled.len(), 2);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 3);
    let amina = enrolled.iter().find(|e| e["login"] == "amina.b").unwrap();
    let generated = amina["generated_password"].as_str().unwrap().to_owned();
    assert_eq!(
        enrolled.iter().find(|e| e["login"] == "youssef").unwrap()["generated_password"],
        Value::Null
    );

    let server = env.serve(&[]);
    let mut b = Browser::new(&server);
    assert_eq!(
        b.sign_in("amina.b", &generated).await.status(),
        StatusCode::SEE_OTHER
    );
    let me: Value = b
        .send("GET", "/api/v1/me", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["classes"][0]["class"]["id"], "cm2-a");
    assert_eq!(me["classes"][0]["as"], "learner");
}

#[tokio::test]
async fn the_admin_page_adds_a_user_and_shows_the_generated_password_once() {
    let env = Env::new().await;
    add_user(&env, "admin", "admin", "admin-password");
    let server = env.serve(&[]);
    let mut b = Browser::new(&server);
    b.sign_in("admin", "admin-password").await;
    let csrf = b.session_csrf().await;
    let r = b
        .post_form(
            "/ar/admin/users",
            &[
                ("csrf", &csrf),
                ("login", "hind"),
                ("name", "هند"),
                ("role", "editor"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    let at = html.find("كلمة المرور المولدة: ").unwrap() + "كلمة المرور المولدة: ".len();
    let password: String = html[at..].chars().take(12).collect();
    let again = b.get("/ar/admin").await.text().await.unwrap();
    assert!(!again.contains(&password), "shown only once");
    assert_eq!(
        Browser::new(&server)
            .sign_in("hind", &password)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}
