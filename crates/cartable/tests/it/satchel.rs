//! The satchel, end to end: a hub packs one for a school, a box serves it
//! with no network, learners sign in and learn there, and their records
//! come back to the hub by file and over HTTP, none lost, none doubled.

use crate::accounts::{Browser, add_user, class_of, cli};
use crate::support::{Env, Server, stderr};
use crate::xapi::{Client, new_key};
use cartable_core::satchel::KeyPair;
use cartable_core::sync::{Chunk, Direction, write_frame, write_mark};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const PROGRESSED: &str = "http://adlnet.gov/expapi/verbs/progressed";
/// A satchel of the primary-5 mathematics for the box of douar-1.
const MATH_FOR_DOUAR_1: &[&str] = &["--programme", "math-primary-5", "--school", "douar-1"];
const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";

/// A hub with the demo catalog, a key, and the school douar-1 whose class
/// cm1 has the learners Aya and Bilal.
async fn hub() -> (Env, Server) {
    let env = Env::new().await;
    add_user(&env, "prof", "teacher", "blackboard-2026");
    class_of(
        &env,
        "douar-1",
        "cm1",
        "prof",
        &[
            ("Aya", "aya", "argan-oil-2026"),
            ("Bilal", "bilal", "couscous-2026"),
        ],
    );
    cli(&env, &["keys", "init"]);
    let server = env.serve(&["--demo"]);
    (env, server)
}

fn pack(env: &Env, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["satchel", "pack", "-o", out.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&cli(env, &args)).unwrap()
}

fn hub_key(env: &Env) -> KeyPair {
    KeyPair::from_hex(&std::fs::read_to_string(env.data().join("keys/hub.key")).unwrap()).unwrap()
}

/// The box's learner records a capsule's progress as the player does.
fn record(agent: &Value, activity: &str, verb: &str, time: f64) -> Value {
    json!({
        "actor": agent, "verb": {"id": verb},
        "object": {"id": activity},
        "result": {"duration": "PT30S",
                   "extensions": {"https://w3id.org/xapi/video/extensions/time": time}},
        "context": {"extensions": {"urn:cartable:xapi:satchel": "douar-1"}}
    })
}

fn sync(env: &Env, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = env.run(&all);
    let printed = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), printed, stderr(&out))
}

/// The player's view of a capsule for the signed-in learner.
async fn progress(browser: &mut Browser, id: &str) -> Value {
    let r = browser.get(&format!("/api/v1/me/progress/{id}")).await;
    r.json().await.unwrap()
}

/// Imports a sync file the hub must refuse, for the reason given.
fn refused(env: &Env, file: &Path, reason: &str) {
    let (code, out, _) = sync(env, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let said = out["refused"][0].as_str().unwrap_or_default();
    assert!(said.contains(reason), "{out}");
}

/// Starts a box on a satchel it must refuse; what the command said.
fn refused_serve(env: &Env, satchel: &Path) -> std::process::Output {
    let out = env
        .command()
        .args(["serve", "--listen", "127.0.0.1:0", "--satchel"])
        .arg(satchel)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("serving"));
    out
}

fn tmp(env: &Env, name: &str) -> PathBuf {
    env.dir.path().join(name)
}

#[tokio::test]
async fn a_school_learns_offline_and_its_records_come_back_by_file_and_by_http() {
    let (hub_env, hub) = hub().await;
    let file = tmp(&hub_env, "douar-1.satchel");
    let packed = pack(&hub_env, &file, &["--all", "--school", "douar-1"]);
    assert_eq!(packed["capsules"], 12);
    assert_eq!(packed["box"], "douar-1");
    // Same inputs, same bytes.
    let again = tmp(&hub_env, "again.satchel");
    pack(&hub_env, &again, &["--all", "--school", "douar-1"]);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let verified: Value = serde_json::from_str(&cli(
        &hub_env,
        &["satchel", "verify", file.to_str().unwrap(), "--json"],
    ))
    .unwrap();
    assert_eq!(verified["ok"], true);
    assert_eq!(verified["blobs"], verified["blobs_in_file"]);

    // The box: no demo, no network to the hub; everything from the file.
    let box_env = Env::new().await;
    let the_box = box_env.serve(&["--satchel", file.to_str().unwrap()]);
    assert!(
        the_box.banner.contains("serving 12 capsules"),
        "{}",
        the_box.banner
    );
    // The library and the literacy path travel in the satchel too.
    let book = the_box.get("/fr/library/le-puits-du-village").await;
    assert_eq!(book.status(), 200);
    let html = book.text().await.unwrap();
    let chapter = html.split("<source src=\"").nth(1).unwrap();
    let chapter = &chapter[..chapter.find('"').unwrap()];
    assert_eq!(the_box.get(chapter).await.status(), 200, "{chapter}");
    let lesson = the_box.get("/ar/literacy/alif-ba/ba-ta-sa").await;
    assert_eq!(lesson.status(), 200);
    let html = lesson.text().await.unwrap();
    let sound = html.split("id=\"lit-item-sound\" src=\"").nth(1).unwrap();
    let sound = &sound[..sound.find('"').unwrap()];
    assert_eq!(the_box.get(sound).await.status(), 200, "{sound}");
    let capsule = &the_box.json("/api/v1/capsules?lang=fr&limit=1").await["capsules"][0];
    let id = capsule["id"].as_str().unwrap().to_owned();
    let names: Vec<&str> = capsule["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["audio", "360p"],
        "only the default renditions travel"
    );
    // The video plays from the satchel: the same bytes as the hub's, by range.
    let video = capsule["renditions"][1]["url"].as_str().unwrap();
    let from_hub = hub.get(video).await.bytes().await.unwrap();
    let ranged = reqwest::Client::new()
        .get(the_box.url(video))
        .header("range", "bytes=100-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap(), from_hub.slice(100..1100));
    let master = capsule["hls_url"].as_str().unwrap();
    let playlist = the_box.get(master).await.text().await.unwrap();
    assert!(
        playlist.contains("RESOLUTION=640x360") && !playlist.contains("426x240"),
        "{playlist}"
    );
    // Search works on the box.
    let found = the_box.json("/api/v1/search?q=fraction&lang=fr").await;
    assert!(found["total"].as_u64().unwrap() >= 1, "{found}");

    // Aya signs in at the box with the password she has at the hub.
    let mut aya = Browser::new(&the_box);
    let signed = aya.sign_in("aya", "argan-oil-2026").await;
    assert_eq!(signed.status(), 303);
    // Classrooms reach a box over plain HTTP: its session cookie cannot
    // be marked Secure, or browsers would drop it (the hub's is).
    let session_cookie = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("cartable_session="))
            .unwrap()
    };
    assert!(
        !session_cookie(&signed).contains("Secure"),
        "{}",
        session_cookie(&signed)
    );
    let me: Value = progress(&mut aya, &id).await;
    assert_eq!(
        me["satchel"], "douar-1",
        "the player marks box records offline"
    );
    let activity = me["activity"].as_str().unwrap().to_owned();
    assert_eq!(
        activity,
        format!("http://localhost/capsules/{id}"),
        "the hub's names"
    );
    let csrf = me["csrf"].as_str().unwrap().to_owned();
    for (verb, time) in [(PROGRESSED, 20.0), (COMPLETED, 58.0)] {
        let r = aya
            .send_xapi(
                "POST",
                "/xapi/statements",
                Some(&csrf),
                Some(record(&me["agent"], &activity, verb, time)),
            )
            .await;
        assert_eq!(r.status(), 200);
    }

    // By USB stick: export at the box, import at the hub, twice.
    let stick = tmp(&box_env, "douar-1.sync");
    let (code, exported, err) = sync(&box_env, &["export", stick.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(exported["records"], 2);
    let (code, imported, err) = sync(&hub_env, &["import", stick.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        (
            imported["accepted"].as_i64(),
            imported["duplicates"].as_i64()
        ),
        (Some(2), Some(0))
    );
    let (code, again, _) = sync(&hub_env, &["import", stick.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(2))
    );

    // The teacher at the hub sees Aya's finished capsule.
    let mut prof = Browser::new(&hub);
    let at_hub = prof.sign_in("prof", "blackboard-2026").await;
    assert!(session_cookie(&at_hub).contains("Secure"));
    let page = prof
        .get("/fr/teach/classes/cm1/progress")
        .await
        .text()
        .await
        .unwrap();
    let at = page.find(">Aya</th>").expect("Aya's row");
    let row = &page[at..at + page[at..].find("</tr>").unwrap()];
    assert!(row.contains("terminée"), "{row}");

    // Over HTTP: a new record at the box, pushed; pushed again, nothing new.
    let r = aya
        .send_xapi(
            "POST",
            "/xapi/statements",
            Some(&csrf),
            Some(record(&me["agent"], &activity, PROGRESSED, 5.0)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (code, pushed, err) = sync(&box_env, &["push", "--hub", &hub.url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(pushed["accepted"], 1, "{pushed}");
    assert_eq!(
        pushed["duplicates"], 0,
        "the push starts where the hub stands: {pushed}"
    );
    let (_, pushed, _) = sync(&box_env, &["push", "--hub", &hub.url]);
    assert_eq!(pushed["accepted"], 0, "{pushed}");

    // Bilal learnt at home on the hub; the box pulls it, once.
    let mut bilal = Browser::new(&hub);
    bilal.sign_in("bilal", "couscous-2026").await;
    let home: Value = progress(&mut bilal, &id).await;
    let r = bilal
        .send_xapi(
            "POST",
            "/xapi/statements",
            Some(home["csrf"].as_str().unwrap()),
            Some(json!({"actor": home["agent"], "verb": {"id": PROGRESSED}, "object": {"id": activity},
                        "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": 33.0}}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (code, pulled, err) = sync(&box_env, &["pull", "--hub", &hub.url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        pulled["accepted"], 1,
        "only Bilal's home record is new: {pulled}"
    );
    let (_, pulled, _) = sync(&box_env, &["pull", "--hub", &hub.url]);
    assert_eq!(pulled["accepted"], 0);
    let mut bilal_at_box = Browser::new(&the_box);
    bilal_at_box.sign_in("bilal", "couscous-2026").await;
    let resumed: Value = progress(&mut bilal_at_box, &id).await;
    assert_eq!(
        resumed["position"], 33.0,
        "Bilal resumes at school where he stopped at home"
    );

    // The hub's admin page shows the box's last sync and no failure.
    add_user(&hub_env, "chef", "admin", "admin-pass-2026");
    let mut admin = Browser::new(&hub);
    admin.sign_in("chef", "admin-pass-2026").await;
    let page = admin.get("/fr/admin/boxes").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("douar-1"), "{page}");
    assert!(page.contains("envoi par le réseau"), "{page}");
}

#[tokio::test]
async fn forged_replayed_and_foreign_sync_files_change_nothing_and_are_reported() {
    let (hub_env, hub) = hub().await;
    // Another school, whose learner the box of douar-1 may not speak for.
    class_of(
        &hub_env,
        "douar-2",
        "cm2",
        "prof",
        &[("Chama", "chama", "tagine-pass-2026")],
    );
    let file = tmp(&hub_env, "douar-1.satchel");
    pack(&hub_env, &file, MATH_FOR_DOUAR_1);
    let key = hub_key(&hub_env).derive_box("douar-1");
    let agent = |login: &str| json!({"account": {"homePage": "http://localhost", "name": login}});
    let statement = |login: &str, n: u32| {
        let mut s = record(
            &agent(login),
            "http://localhost/capsules/rectangle-area",
            PROGRESSED,
            f64::from(n),
        );
        s["id"] = json!(format!("6f0e1c1e-0000-4000-8000-{n:012}"));
        s
    };
    let write = |name: &str, chunk: &Chunk, key: &KeyPair, tamper: bool| {
        let path = tmp(&hub_env, name);
        let mut payload = chunk.to_bytes();
        let signature = key.sign(&payload);
        if tamper {
            let at = payload.iter().position(|b| *b == b'5').unwrap();
            payload[at] = b'6';
        }
        let mut out = Vec::new();
        write_mark(&mut out).unwrap();
        write_frame(&mut out, &payload, &signature).unwrap();
        std::fs::write(&path, out).unwrap();
        path
    };
    let chunk = |statements: Vec<Value>| Chunk {
        box_id: "douar-1".into(),
        direction: Direction::Up,
        after: 0,
        last: statements.len() as i64,
        newest: statements.len() as i64,
        statements,
    };
    let count = || async {
        let token = crate::accounts::token(&hub_env, "chef");
        let r = reqwest::Client::new()
            .get(hub.url("/api/v1/users/aya/records"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        r.json::<Vec<Value>>().await.unwrap().len()
    };
    add_user(&hub_env, "chef", "admin", "admin-pass-2026");

    // Altered after signing.
    let forged = write("forged.sync", &chunk(vec![statement("aya", 5)]), &key, true);
    refused(&hub_env, &forged, "forged or altered");
    // Signed by a key no hub certified.
    let stranger = KeyPair::generate().unwrap();
    let unknown = write(
        "stranger.sync",
        &chunk(vec![statement("aya", 5)]),
        &stranger,
        false,
    );
    refused(&hub_env, &unknown, "forged or altered");
    // Records of a learner of another school, properly signed by the box.
    let foreign = write(
        "foreign.sync",
        &chunk(vec![statement("aya", 5), statement("chama", 6)]),
        &key,
        false,
    );
    refused(&hub_env, &foreign, "chama is not a member");
    assert_eq!(count().await, 0, "nothing of a refused file is kept");
    // Not a sync file at all, and a file cut in the middle.
    let junk = tmp(&hub_env, "junk.sync");
    std::fs::write(&junk, b"PK\x03\x04 this is a zip").unwrap();
    refused(&hub_env, &junk, "not a cartable sync file");
    let good = write("good.sync", &chunk(vec![statement("aya", 5)]), &key, false);
    let bytes = std::fs::read(&good).unwrap();
    let cut = tmp(&hub_env, "cut.sync");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    refused(&hub_env, &cut, "cut inside a frame");
    assert_eq!(count().await, 0);
    // The good file, then the same file replayed: one record.
    let (code, out, err) = sync(&hub_env, &["import", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["accepted"], 1);
    let (code, out, _) = sync(&hub_env, &["import", good.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out["duplicates"], 1);
    assert_eq!(count().await, 1);

    // The admin page lists the failures with their reasons.
    let mut admin = Browser::new(&hub);
    admin.sign_in("chef", "admin-pass-2026").await;
    let page = admin.get("/fr/admin/boxes").await.text().await.unwrap();
    assert!(page.contains("chama is not a member"), "{page}");
    assert!(page.contains("forged or altered"), "{page}");
}

#[tokio::test]
async fn tampered_satchels_are_refused_and_nothing_of_them_is_served() {
    let (hub_env, _hub) = hub().await;
    let file = tmp(&hub_env, "s.satchel");
    pack(&hub_env, &file, MATH_FOR_DOUAR_1);
    let bytes = std::fs::read(&file).unwrap();
    let verify = |path: &Path| hub_env.run(&["satchel", "verify", path.to_str().unwrap()]);

    // One byte of media changed (well inside the entries).
    let mut altered = bytes.clone();
    let mid = bytes.len() / 2;
    altered[mid] ^= 0x55;
    let bad = tmp(&hub_env, "altered.satchel");
    std::fs::write(&bad, &altered).unwrap();
    let out = verify(&bad);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not match"), "{}", stderr(&out));
    // Truncated.
    let cut = tmp(&hub_env, "cut.satchel");
    std::fs::write(&cut, &bytes[..bytes.len() - 50]).unwrap();
    let out = verify(&cut);
    assert!(
        stderr(&out).contains("end of the file is missing"),
        "{}",
        stderr(&out)
    );
    // Not a satchel.
    let junk = tmp(&hub_env, "junk.satchel");
    std::fs::write(&junk, vec![0u8; 4096]).unwrap();
    assert!(stderr(&verify(&junk)).contains("not a satchel"));
    // The manifest changed after signing.
    let mut text = bytes.clone();
    let needle = b"\"version\":1";
    let at = text
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    text[at + needle.len() - 1] = b'7';
    let resigned = tmp(&hub_env, "manifest.satchel");
    std::fs::write(&resigned, &text).unwrap();
    assert!(stderr(&verify(&resigned)).contains("signature does not match"));

    // A box refuses the altered file at start and serves nothing.
    let box_env = Env::new().await;
    let out = refused_serve(&box_env, &bad);
    assert!(
        stderr(&out).contains("does not match its hash"),
        "{}",
        stderr(&out)
    );

    // A satchel from another hub, on a box that trusts the first.
    let other = Env::new().await;
    cli(&other, &["keys", "init"]);
    drop(other.serve(&["--demo"]));
    let theirs = tmp(&other, "other.satchel");
    pack(&other, &theirs, &["--all"]);
    let trusting = box_env.serve(&["--satchel", file.to_str().unwrap()]);
    drop(trusting);
    let out = refused_serve(&box_env, &theirs);
    assert!(stderr(&out).contains("this box trusts"), "{}", stderr(&out));
}

#[tokio::test]
async fn an_update_carries_only_new_blobs_and_a_cut_apply_leaves_the_old_version_serving() {
    let (hub_env, _hub) = hub().await;
    let v1 = tmp(&hub_env, "v1.satchel");
    let first = pack(&hub_env, &v1, MATH_FOR_DOUAR_1);
    assert_eq!(first["capsules"], 4);
    let full = tmp(&hub_env, "full.satchel");
    pack(
        &hub_env,
        &full,
        &[
            "--programme",
            "math-primary-5",
            "--programme",
            "sciences-bac-2",
            "--school",
            "douar-1",
        ],
    );
    let v2 = tmp(&hub_env, "v2.satchel");
    let update = pack(
        &hub_env,
        &v2,
        &[
            "--programme",
            "math-primary-5",
            "--programme",
            "sciences-bac-2",
            "--school",
            "douar-1",
            "--parent",
            v1.to_str().unwrap(),
        ],
    );
    assert_eq!(update["version"], 2);
    assert_eq!(update["capsules"], 8);
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(
        size(&v2) < size(&full) * 6 / 10,
        "the update holds only the new capsules' blobs"
    );
    let diff: Value = serde_json::from_str(&cli(
        &hub_env,
        &[
            "satchel",
            "diff",
            v1.to_str().unwrap(),
            v2.to_str().unwrap(),
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(diff["added"].as_array().unwrap().len(), 4, "{diff}");
    assert_eq!(diff["removed"].as_array().unwrap().len(), 0);
    // An update alone does not verify; with its parent it does.
    assert!(
        !hub_env
            .run(&["satchel", "verify", v2.to_str().unwrap()])
            .status
            .success()
    );
    cli(
        &hub_env,
        &[
            "satchel",
            "verify",
            v2.to_str().unwrap(),
            "--parent",
            v1.to_str().unwrap(),
        ],
    );

    // The box serves v1 from its own copy of the file.
    let box_env = Env::new().await;
    let served = tmp(&box_env, "box.satchel");
    std::fs::copy(&v1, &served).unwrap();
    let the_box = box_env.serve(&["--satchel", served.to_str().unwrap()]);
    assert_eq!(
        the_box.json("/api/v1/capsules").await["capsules"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // A power cut in the middle of an apply: half an update's bytes at the
    // end of the file, the switch never made.
    let half = std::fs::read(&v2).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&served)
        .unwrap();
    std::io::Write::write_all(&mut f, &half[..half.len() / 2]).unwrap();
    drop(f);
    drop(the_box);
    let mut the_box = box_env.serve(&["--satchel", served.to_str().unwrap()]);
    assert_eq!(
        the_box.json("/api/v1/capsules").await["capsules"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // The real apply, while the box serves: it switches within seconds.
    let wrong = box_env.run(&["satchel", "apply", full.to_str().unwrap()]);
    assert!(
        stderr(&wrong).contains("updates another version"),
        "{}",
        stderr(&wrong)
    );
    // kill -9 at random moments of real applies: each time, the box still
    // opens a whole version, old or new, and every capsule it lists plays.
    let mut dice = Dice(seed());
    for _ in 0..4 {
        let mut apply = box_env
            .command()
            .args(["satchel", "apply", v2.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(dice.roll(60) as u64));
        let _ = apply.kill();
        let _ = apply.wait();
        drop(the_box);
        the_box = box_env.serve(&["--satchel", served.to_str().unwrap()]);
        let list = the_box.json("/api/v1/capsules").await;
        let capsules = list["capsules"].as_array().unwrap();
        assert!([4, 8].contains(&capsules.len()), "{}", capsules.len());
        for c in capsules {
            let url = c["renditions"][1]["url"].as_str().unwrap();
            assert_eq!(the_box.get(url).await.status(), 200, "{url}");
        }
    }
    let out = box_env.run(&["satchel", "apply", v2.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut seen = 0;
    for _ in 0..50 {
        let page = the_box.json("/api/v1/capsules").await;
        seen = page["capsules"].as_array().unwrap().len();
        let video = the_box
            .json("/api/v1/capsules?programme=sciences-bac-2&limit=1")
            .await;
        let url = video["capsules"][0]["renditions"][1]["url"]
            .as_str()
            .map(str::to_owned);
        if seen == 8
            && let Some(url) = url
            && the_box.get(&url).await.status() == 200
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(seen, 8);
    assert!(
        size(&served) < size(&v1) + size(&v2) + size(&v2) / 4,
        "the bytes of the cut apply were dropped, not kept"
    );
}

#[tokio::test]
async fn the_zim_export_passes_zimcheck_and_kiwix_serves_it() {
    if !crate::support::require("zimcheck", "--version")
        || !crate::support::require("kiwix-serve", "--version")
    {
        return;
    }
    let (env, hub) = hub().await;
    let zim = tmp(&env, "cartable-demo.zim");
    let packed = pack(&env, &zim, &["--all", "--format", "zim"]);
    assert_eq!(packed["capsules"], 12);
    let check = std::process::Command::new("zimcheck")
        .arg("-A")
        .arg(&zim)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "zimcheck: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Same inputs, same bytes, as for a satchel.
    let again = tmp(&env, "again.zim");
    pack(&env, &again, &["--all", "--format", "zim"]);
    assert_eq!(std::fs::read(&zim).unwrap(), std::fs::read(&again).unwrap());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut kiwix = std::process::Command::new("kiwix-serve")
        .args(["--address=127.0.0.1", &format!("--port={port}")])
        .arg(&zim)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/cartable-demo");
    let mut page = None;
    for _ in 0..50 {
        if let Ok(r) = reqwest::get(format!("{base}/capsules/water-cycle.html")).await
            && r.status() == 200
        {
            page = Some(r.text().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = page.expect("kiwix-serve answers");
    assert!(page.contains("Le cycle de l&#39;eau"), "{page}");
    let home = reqwest::get(format!("{base}/index.html"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("مقارنة الأعداد العشرية"),
        "Arabic titles in their language"
    );
    // The page's video plays from the ZIM: the hub's very bytes, by range.
    let at = page.find("src=\"../media/").unwrap() + 14;
    let file = &page[at..at + page[at..].find('"').unwrap()];
    let from_hub = hub
        .get(&format!("/media/b/{file}"))
        .await
        .bytes()
        .await
        .unwrap();
    let ranged = reqwest::Client::new()
        .get(format!("{base}/media/{file}"))
        .header("range", "bytes=0-999")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap(), from_hub.slice(0..1000));
    let _ = kiwix.kill();
    let _ = kiwix.wait();
}

/// Every statement id an LRS holds, through every `more` page.
async fn all_ids(lrs: &Client) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut query = "limit=500".to_owned();
    loop {
        let page = lrs.get(&query).await;
        for s in page["statements"].as_array().unwrap() {
            assert!(
                ids.insert(s["id"].as_str().unwrap().to_owned()),
                "a statement twice"
            );
        }
        match page["more"].as_str() {
            Some(more) if !more.is_empty() => {
                query = more.strip_prefix("/xapi/statements?").unwrap().to_owned();
            }
            _ => return ids,
        }
    }
}

/// A small pseudo-random sequence, reproducible from its seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Dice for a randomised test, their seed printed so a failure replays.
fn dice(what: &str) -> (u64, Dice) {
    let seed = seed();
    eprintln!("{what} seed: {seed} (CARTABLE_TEST_SEED={seed} replays it)");
    (seed, Dice(seed))
}

fn seed() -> u64 {
    std::env::var("CARTABLE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

#[tokio::test]
async fn any_order_of_pushes_pulls_and_files_ends_with_the_same_records_everywhere() {
    let (seed, mut dice) = dice("convergence");
    let (hub_env, hub) = hub().await;
    let schools = ["douar-1", "douar-2", "douar-3"];
    for (i, school) in schools.iter().enumerate().skip(1) {
        let login = format!("learner{i}");
        class_of(
            &hub_env,
            school,
            &format!("cm-{i}"),
            "prof",
            &[("Élève", &login, "a-long-password-1")],
        );
    }
    let learners = ["aya", "learner1", "learner2"];
    let scopes = "statements/write,statements/read";
    let hub_lrs = Client::new(&hub, &new_key(&hub_env, "hub", scopes));
    let mut boxes = Vec::new();
    for school in schools {
        let file = tmp(&hub_env, &format!("{school}.satchel"));
        pack(
            &hub_env,
            &file,
            &["--programme", "math-primary-5", "--school", school],
        );
        let env = Env::new().await;
        let key = new_key(&env, "box", scopes);
        let server = env.serve(&["--satchel", file.to_str().unwrap()]);
        let lrs = Client::new(&server, &key);
        boxes.push((env, server, lrs));
    }
    let mut made = 0u32;
    let mut statement = |learner: &str| {
        made += 1;
        let mut s = record(
            &json!({"account": {"homePage": "http://localhost", "name": learner}}),
            "http://localhost/capsules/rectangle-area",
            PROGRESSED,
            f64::from(made),
        );
        s["id"] = json!(format!("00000000-0000-4000-8000-{made:012}"));
        s
    };
    let mut everywhere: Vec<BTreeSet<String>> = vec![BTreeSet::new(); 3];
    for step in 0..40 {
        let i = dice.roll(3);
        let (env, _, lrs) = &boxes[i];
        let stick = tmp(env, &format!("step-{step}.sync"));
        let stick = stick.to_str().unwrap();
        match dice.roll(6) {
            0 => {
                let s = statement(learners[i]);
                everywhere[i].insert(s["id"].as_str().unwrap().to_owned());
                assert_eq!(lrs.post(&json!([s])).await.0, 200);
            }
            1 => {
                // At home, on the hub, a learner of any school.
                let j = dice.roll(3);
                let s = statement(learners[j]);
                everywhere[j].insert(s["id"].as_str().unwrap().to_owned());
                assert_eq!(hub_lrs.post(&json!([s])).await.0, 200);
            }
            2 => assert_eq!(sync(env, &["push", "--hub", &hub.url]).0, 0),
            3 => assert_eq!(sync(env, &["pull", "--hub", &hub.url]).0, 0),
            4 => {
                assert_eq!(sync(env, &["export", stick]).0, 0);
                assert_eq!(sync(&hub_env, &["import", stick]).0, 0);
            }
            _ => {
                let (code, _, err) = sync(&hub_env, &["export", stick, "--box", schools[i]]);
                assert_eq!(code, 0, "{err}");
                assert_eq!(sync(env, &["import", stick]).0, 0);
            }
        }
    }
    // Once everyone has synced both ways, every side holds the same records.
    for (env, _, _) in &boxes {
        assert_eq!(sync(env, &["push", "--hub", &hub.url]).0, 0);
    }
    for (env, _, _) in &boxes {
        assert_eq!(sync(env, &["pull", "--hub", &hub.url]).0, 0);
    }
    let all: BTreeSet<String> = everywhere.iter().flatten().cloned().collect();
    assert!(!all.is_empty(), "seed {seed} recorded nothing");
    assert_eq!(all_ids(&hub_lrs).await, all, "seed {seed}: the hub");
    for (i, (_, _, lrs)) in boxes.iter().enumerate() {
        assert_eq!(all_ids(lrs).await, everywhere[i], "seed {seed}: box {i}");
    }
}

/// Which way a cutting proxy counts the bytes it lets through.
#[derive(Clone, Copy)]
enum Cut {
    /// Client to server: a push cut mid-upload.
    Up,
    /// Server to client: a download cut midway.
    Down,
}

/// Forwards connections to `target`, cutting everything once `budget`
/// bytes have gone the `cut` way: a network that drops mid-transfer.
async fn cutting_proxy(target: String, budget: usize, cut: Cut) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    async fn pipe(
        mut from: impl AsyncRead + Unpin,
        mut to: impl AsyncWrite + Unpin,
        limit: Option<(&AtomicUsize, usize)>,
    ) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            let allowed = match limit {
                Some((sent, budget)) => budget
                    .saturating_sub(sent.fetch_add(n, Ordering::SeqCst))
                    .min(n),
                None => n,
            };
            if n == 0 || to.write_all(&buf[..allowed]).await.is_err() || allowed < n {
                return;
            }
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let target = target.clone();
            let sent = sent.clone();
            tokio::spawn(async move {
                let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let (cr, cw) = client.split();
                let (sr, sw) = server.split();
                let (up, down) = match cut {
                    Cut::Up => (Some((&*sent, budget)), None),
                    Cut::Down => (None, Some((&*sent, budget))),
                };
                tokio::select! {
                    () = pipe(cr, sw, up) => {},
                    () = pipe(sr, cw, down) => {},
                }
            });
        }
    });
    address
}

// The proxy runs on the second worker while the CLI blocks the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_cut_at_random_points_resumes_where_it_stopped() {
    let (seed, mut dice) = dice("cut");
    let (hub_env, hub) = hub().await;
    let file = tmp(&hub_env, "douar-1.satchel");
    pack(&hub_env, &file, MATH_FOR_DOUAR_1);
    let box_env = Env::new().await;
    let key = new_key(&box_env, "box", "statements/write,statements/read");
    let the_box = box_env.serve(&["--satchel", file.to_str().unwrap()]);
    let lrs = Client::new(&the_box, &key);
    let total = 2600usize;
    for batch in 0..(total / 200) {
        let statements: Vec<Value> = (0..200)
            .map(|k| {
                let n = batch * 200 + k;
                let mut s = record(
                    &json!({"account": {"homePage": "http://localhost", "name": if n % 2 == 0 { "aya" } else { "bilal" }}}),
                    "http://localhost/capsules/rectangle-area",
                    PROGRESSED,
                    n as f64,
                );
                s["id"] = json!(format!("00000000-0000-4000-9000-{n:012}"));
                s
            })
            .collect();
        assert_eq!(lrs.post(&json!(statements)).await.0, 200);
    }
    let hub_address = hub.url.trim_start_matches("http://").to_owned();
    let box_row = || async {
        let r = reqwest::get(hub.url("/sync/v1/boxes/douar-1"))
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["received"]
            .as_i64()
            .unwrap()
    };
    let mut received = 0;
    let mut accepted = 0;
    let mut cuts = 0;
    for _ in 0..20 {
        // Cut somewhere within the next chunk or two (about 600 KB each).
        let budget = 1 + dice.roll(1_400_000);
        let proxy = cutting_proxy(hub_address.clone(), budget, Cut::Up).await;
        let (code, out, _) = sync(&box_env, &["push", "--hub", &proxy]);
        let now = box_row().await;
        assert!(
            now >= received,
            "the hub never goes back: {now} < {received}"
        );
        received = now;
        if code == 0 {
            accepted += out["accepted"].as_i64().unwrap();
            break;
        }
        cuts += 1;
    }
    // Whatever was cut, one last push over a good line finishes the job.
    let (code, out, err) = sync(&box_env, &["push", "--hub", &hub.url]);
    assert_eq!(code, 0, "{err}");
    accepted += out["accepted"].as_i64().unwrap();
    assert_eq!(box_row().await, total as i64, "every record arrived");
    let hub_lrs = Client::new(&hub, &new_key(&hub_env, "hub", "statements/read"));
    assert_eq!(all_ids(&hub_lrs).await.len(), total, "seed {seed}");
    assert!(
        accepted <= total as i64,
        "no record was counted new twice: {accepted}"
    );
    eprintln!("{cuts} cuts before the push went through");
}

// The proxy runs on the second worker while the CLI blocks the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_box_online_fetches_only_the_blobs_it_lacks_and_resumes_a_cut_download() {
    let (_, mut dice) = dice("fetch");
    let (hub_env, hub) = hub().await;
    let v1 = tmp(&hub_env, "v1.satchel");
    pack(&hub_env, &v1, MATH_FOR_DOUAR_1);
    let box_env = Env::new().await;
    let served = tmp(&box_env, "box.satchel");
    std::fs::copy(&v1, &served).unwrap();
    let the_box = box_env.serve(&["--satchel", served.to_str().unwrap()]);
    let fetch = |hub: &str| {
        let out = box_env.run(&["satchel", "fetch", "--hub", hub, "--json"]);
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.success(), printed, stderr(&out))
    };
    let (ok, out, err) = fetch(&hub.url);
    assert!(ok, "{err}");
    assert_eq!(out["changed"], false, "nothing newer yet: {out}");

    // The hub packs version 2 for the box; the box fetches it online.
    let v2 = tmp(&hub_env, "v2.satchel");
    pack(
        &hub_env,
        &v2,
        &[
            "--programme",
            "math-primary-5",
            "--programme",
            "sciences-bac-2",
            "--school",
            "douar-1",
            "--parent",
            v1.to_str().unwrap(),
        ],
    );
    let diff: Value = serde_json::from_str(&cli(
        &hub_env,
        &[
            "satchel",
            "diff",
            v1.to_str().unwrap(),
            v2.to_str().unwrap(),
            "--json",
        ],
    ))
    .unwrap();
    let to_fetch = diff["bytes_added"].as_u64().unwrap();
    // What earlier, cut attempts left on the box's disk.
    let on_disk = || -> u64 {
        std::fs::read_dir(box_env.data().join("tmp/fetch"))
            .map(|dir| {
                dir.flatten()
                    .filter(|e| e.file_name() != "update.satchel")
                    .map(|e| e.metadata().unwrap().len())
                    .sum()
            })
            .unwrap_or(0)
    };
    let hub_address = hub.url.trim_start_matches("http://").to_owned();
    let mut cuts = 0;
    let mut done = false;
    for attempt in 0..11 {
        let kept = on_disk();
        let (ok, out, err) = if attempt < 10 {
            let budget = 1 + dice.roll(to_fetch as usize);
            fetch(&cutting_proxy(hub_address.clone(), budget, Cut::Down).await)
        } else {
            fetch(&hub.url)
        };
        if ok {
            assert_eq!(
                out["bytes_downloaded"].as_u64().unwrap() + kept,
                to_fetch,
                "a resumed fetch downloads only what the cut ones did not: {out}"
            );
            done = true;
            break;
        }
        assert!(attempt < 10, "{err}");
        cuts += 1;
    }
    assert!(done);
    eprintln!("{cuts} cuts before the fetch went through ({to_fetch} bytes to fetch)");
    let mut seen = 0;
    for _ in 0..50 {
        seen = the_box.json("/api/v1/capsules").await["capsules"]
            .as_array()
            .unwrap()
            .len();
        if seen == 8 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(seen, 8, "the running box switched to version 2");
    let video = the_box
        .json("/api/v1/capsules?programme=sciences-bac-2&limit=1")
        .await;
    let url = video["capsules"][0]["renditions"][1]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        the_box.get(&url).await.bytes().await.unwrap(),
        hub.get(&url).await.bytes().await.unwrap()
    );
    let (ok, out, _) = fetch(&hub.url);
    assert!(ok);
    assert_eq!(out["changed"], false, "fetched once: {out}");
}

/// A TLS front for `target` on a free port, as a hub's HTTPS proxy would
/// be (Python's ssl module: no server of the project speaks TLS itself);
/// returns the process, its https URL and the authority to trust.
fn https_front(dir: &Path, target: &str) -> Option<(std::process::Child, String, PathBuf)> {
    if !crate::support::require("openssl", "version")
        || !crate::support::require("python3", "--version")
    {
        return None;
    }
    // A certificate authority of the test's own, and the hub's
    // certificate it signs for 127.0.0.1.
    let (ca, cert, key) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    let made = std::process::Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(
            "set -e; ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
             openssl req -x509 -days 2 -subj '/CN=cartable test CA' $ec -keyout ca.key -out ca.pem
             openssl req -subj /CN=127.0.0.1 $ec -keyout key.pem -out hub.csr
             printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' > hub.ext
             openssl x509 -req -days 2 -in hub.csr -CA ca.pem -CAkey ca.key -CAcreateserial -extfile hub.ext -out cert.pem",
        )
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (host, target_port) = target
        .trim_start_matches("http://")
        .split_once(':')
        .unwrap();
    let script = format!(
        r#"
import asyncio, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("{cert}", "{key}")
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data); await w.drain()
    finally:
        w.close()
async def serve(cr, cw):
    sr, sw = await asyncio.open_connection("{host}", {target_port})
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw), return_exceptions=True)
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", {port}, ssl=ctx)
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
"#,
        cert = cert.display(),
        key = key.display(),
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    Some((child, format!("https://127.0.0.1:{port}"), ca))
}

#[tokio::test]
async fn a_box_syncs_with_an_https_hub_it_can_verify_and_refuses_one_it_cannot() {
    let (hub_env, hub) = hub().await;
    let Some((mut front, https, cert)) = https_front(hub_env.dir.path(), &hub.url) else {
        return;
    };
    let file = tmp(&hub_env, "douar-1.satchel");
    pack(&hub_env, &file, MATH_FOR_DOUAR_1);
    let box_env = Env::new().await;
    let key = new_key(&box_env, "box", "statements/write");
    let the_box = box_env.serve(&["--satchel", file.to_str().unwrap()]);
    let lrs = Client::new(&the_box, &key);
    let mut s = record(
        &json!({"account": {"homePage": "http://localhost", "name": "aya"}}),
        "http://localhost/capsules/rectangle-area",
        COMPLETED,
        61.0,
    );
    s["id"] = json!("00000000-0000-4000-a000-000000000001");
    assert_eq!(lrs.post(&json!([s])).await.0, 200);
    let push = |trust: Option<&Path>| {
        let mut cmd = box_env.command();
        cmd.args(["sync", "push", "--hub", &https, "--json"]);
        // An empty store of authorities, or one holding only the test's.
        cmd.env("SSL_CERT_FILE", trust.unwrap_or(Path::new("/dev/null")));
        cmd.env("SSL_CERT_DIR", "/nonexistent");
        cmd.output().unwrap()
    };
    let refused = push(None);
    assert!(
        !refused.status.success(),
        "a hub whose certificate nobody vouches for is refused"
    );
    let trusted = push(Some(&cert));
    assert!(trusted.status.success(), "{}", stderr(&trusted));
    let out: Value = serde_json::from_slice(&trusted.stdout).unwrap();
    assert_eq!(out["accepted"], 1, "{out}");
    let _ = front.kill();
    let _ = front.wait();
}
