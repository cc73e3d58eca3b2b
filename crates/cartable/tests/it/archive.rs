//! The city archive as its users meet it: an archivist imports a real
//! export (the Tate's 69,202 artworks) through the example mapping, fixes
//! bad files, edits items in the browser; residents search with facets and
//! open items; a harvester takes every record with Sickle (a real OAI-PMH
//! client from PyPI), each answer checked against the protocol's schema;
//! an image viewer reads the IIIF manifest.

use crate::accounts::{Browser, add_user, hidden_csrf};
use crate::support::{Env, python, repo, stderr};
use cartable_store::Db;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tate_csv() -> Option<PathBuf> {
    let path = repo().join("../shared/data/tate-artworks.csv");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is required under CI=true",
        path.display()
    );
    eprintln!("\n*** SKIPPED: {} is not here ***\n", path.display());
    None
}

fn oai_script(python: &Path, mode: &str, base: &str) -> Value {
    let out = Command::new(python)
        .arg(repo().join("crates/cartable/tests/oai/harvest.py"))
        .args([mode, base])
        .output()
        .unwrap();
    assert!(out.status.success(), "harvest.py {mode}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn import(env: &Env, csv: &Path, mapping: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "import",
        "archive",
        csv.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--json",
    ];
    args.extend(extra);
    let out = env.run(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

async fn db(env: &Env) -> Db {
    let url = env
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", env.data().join("cartable.db").display()));
    Db::open(&url).await.unwrap()
}

/// What the Tate file holds, counted here from the CSV itself.
struct Expected {
    rows: Vec<csv::StringRecord>,
    headers: Vec<String>,
}

impl Expected {
    fn read(path: &Path) -> Expected {
        let mut r = csv::Reader::from_path(path).unwrap();
        let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
        Expected {
            rows: r.records().map(Result::unwrap).collect(),
            headers,
        }
    }
    fn col(&self, row: &csv::StringRecord, name: &str) -> String {
        let i = self.headers.iter().position(|h| h == name).unwrap();
        row.get(i).unwrap().trim().to_owned()
    }
    fn row(&self, accession: &str) -> &csv::StringRecord {
        self.rows
            .iter()
            .find(|r| self.col(r, "accession_number") == accession)
            .unwrap()
    }
    /// Rows per value of a column, split like the mapping splits it.
    fn counts(&self, name: &str, split: Option<&str>) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        for r in &self.rows {
            let cell = self.col(r, name);
            let values: BTreeSet<String> = match split {
                Some(s) => cell.split(s).map(|v| v.trim().to_owned()).collect(),
                None => [cell].into(),
            };
            for v in values.into_iter().filter(|v| !v.is_empty()) {
                *out.entry(v).or_default() += 1;
            }
        }
        out
    }
    /// The first year in the `year` column, as the import reads it.
    fn year(&self, row: &csv::StringRecord) -> Option<i64> {
        let y = self.col(row, "year");
        let digits: String = y
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        (3..=4)
            .contains(&digits.len())
            .then(|| digits.parse().unwrap())
    }
}

fn facet(results: &Value, name: &str, value: &str) -> u64 {
    results["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == value)
        .map_or(0, |f| f["count"].as_u64().unwrap())
}

fn values(item: &Value, element: &str) -> Vec<String> {
    item["item"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["element"] == element)
        .map(|v| v["value"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_tate_export_imports_searches_and_is_harvested_whole() {
    let Some(csv) = tate_csv() else { return };
    let Some(python) = python(&["sickle", "lxml"]) else {
        return;
    };
    let env = Env::new().await;
    let mapping = repo().join("examples/archive/tate.toml");
    let (out, report) = import(&env, &csv, &mapping, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["created"], 69_202, "{report}");
    assert_eq!(report["rejected"].as_array().unwrap().len(), 0);
    let expected = Expected::read(&csv);
    assert_eq!(expected.rows.len(), 69_202);

    let server = env.serve(&[]);
    // The index is built at start; wait for it to hold every item.
    let mut all = Value::Null;
    for _ in 0..120 {
        all = server.json("/api/v1/archive/search?limit=1").await;
        if all["total"] == 69_202 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(all["total"], 69_202);

    // Facets count what the file holds.
    let types = expected.counts("classification", None);
    for (value, n) in &types {
        assert_eq!(facet(&all, "type", value), *n, "type {value}");
    }
    let creators = expected.counts("artists", Some("; "));
    let (top, n) = creators.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(facet(&all, "creator", top), *n, "creator {top}");
    let painting = server
        .json("/api/v1/archive/search?limit=1&collection=painting")
        .await;
    assert_eq!(painting["total"], types["painting"]);
    let mut decades: HashMap<String, u64> = HashMap::new();
    for r in &expected.rows {
        if let Some(y) = expected.year(r) {
            *decades.entry(format!("{}s", y / 10 * 10)).or_default() += 1;
        }
    }
    let (decade, n) = decades.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(facet(&all, "decade", decade), *n, "decade {decade}");
    let in_range = expected
        .rows
        .iter()
        .filter(|r| expected.year(r).is_some_and(|y| (1800..=1809).contains(&y)))
        .count();
    let range = server
        .json("/api/v1/archive/search?limit=1&from=1800&to=1809")
        .await;
    assert_eq!(range["total"], in_range as u64);

    // A handful of items, field by field, against their rows.
    for accession in ["A00001", "A00006", "N05186", "T07148", "AR00001"] {
        let row = expected.row(accession);
        let item = server
            .json(&format!("/api/v1/archive/items/{accession}"))
            .await;
        assert_eq!(values(&item, "dc:title"), [expected.col(row, "title")]);
        let split = |c: &str| -> Vec<String> {
            let mut seen = vec![];
            for v in expected.col(row, c).split("; ").map(str::trim) {
                if !v.is_empty() && !seen.iter().any(|s| s == v) {
                    seen.push(v.to_owned());
                }
            }
            seen
        };
        assert_eq!(values(&item, "dc:creator"), split("artists"), "{accession}");
        let mut subjects = split("subjects");
        for m in split("movements") {
            if !subjects.contains(&m) {
                subjects.push(m);
            }
        }
        assert_eq!(values(&item, "dc:subject"), subjects, "{accession}");
        let one = |c: &str| -> Vec<String> {
            Some(expected.col(row, c))
                .filter(|v| !v.is_empty())
                .into_iter()
                .collect()
        };
        assert_eq!(values(&item, "dc:type"), one("classification"));
        assert_eq!(values(&item, "dc:format"), one("medium"));
        assert_eq!(values(&item, "dcterms:extent"), one("dimensions"));
        assert_eq!(values(&item, "dcterms:created"), one("date_text"));
        assert_eq!(values(&item, "dc:publisher"), ["Tate"]);
        assert_eq!(
            values(&item, "dc:identifier"),
            [one("accession_number"), one("url")].concat()
        );
        assert_eq!(
            item["item"]["rights"],
            "https://creativecommons.org/publicdomain/zero/1.0/"
        );
        assert_eq!(item["item"]["year"].as_i64(), expected.year(row));
        assert_eq!(
            item["item"]["media"][0]["name"].as_str().unwrap_or(""),
            expected.col(row, "thumbnail_url"),
            "the remote image is recorded, not fetched"
        );
        assert_eq!(item["item"]["media"][0]["kind"], "link");
    }

    // Full-text search, in the archive and in the platform's search.
    let turner = server
        .json("/api/v1/archive/search?q=turner+venice&limit=5")
        .await;
    assert!(turner["total"].as_u64().unwrap() > 0);
    let shared = server
        .json("/api/v1/search?q=turner+venice&kind=archive&limit=5")
        .await;
    assert_eq!(shared["total"], turner["total"]);
    assert!(
        shared["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["kind"] == "archive")
    );
    let first = shared["hits"][0]["id"].as_str().unwrap();
    let page = server.get(&format!("/en/archive/items/{first}")).await;
    assert_eq!(
        page.status(),
        200,
        "a platform search hit opens its item page"
    );

    // A full harvest with Sickle: every record, once, as in the database.
    let harvest = oai_script(&python, "harvest", &server.url("/oai"));
    assert_eq!(harvest["deletedRecord"], "persistent");
    assert_eq!(harvest["granularity"], "YYYY-MM-DDThh:mm:ssZ");
    let records = harvest["records"].as_array().unwrap();
    let harvested: BTreeMap<String, String> = records
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(harvested.len(), records.len(), "no record twice");
    let db = db(&env).await;
    let stored = db
        .archive_page(&Default::default(), None, 100_000)
        .await
        .unwrap();
    let in_db: BTreeMap<String, String> = stored
        .iter()
        .map(|s| {
            (
                format!("oai:localhost:{}", s.item.id),
                chrono_stamp(s.updated_at),
            )
        })
        .collect();
    assert_eq!(harvested, in_db);
    let tokens = harvest["tokens"].as_array().unwrap();
    assert_eq!(harvest["pages"], 693);
    assert!(tokens.iter().all(|t| t["size"] == "69202"));
    for (i, t) in tokens.iter().enumerate() {
        assert_eq!(t["cursor"], (i * 100).to_string());
    }
    assert_eq!(
        tokens.last().unwrap()["empty"],
        true,
        "the last token is empty"
    );
    assert_eq!(harvest["sets"].as_array().unwrap().len(), types.len());

    // Every error condition, with its code, each answer valid.
    let errors = oai_script(&python, "errors", &server.url("/oai"));
    let code = |case: &str| errors[case]["codes"][0].as_str().unwrap().to_owned();
    for (case, want) in [
        ("no verb", "badVerb"),
        ("bad verb", "badVerb"),
        ("verb twice", "badArgument"),
        ("unknown argument", "badArgument"),
        ("missing metadataPrefix", "badArgument"),
        ("unknown format", "cannotDisseminateFormat"),
        ("bad from", "badArgument"),
        ("mixed granularity", "badArgument"),
        ("from after until", "badArgument"),
        ("bad token", "badResumptionToken"),
        ("token and more", "badArgument"),
        ("unknown id", "idDoesNotExist"),
        ("GetRecord without id", "badArgument"),
        ("formats of unknown id", "idDoesNotExist"),
        ("nothing in range", "noRecordsMatch"),
        ("unknown set", "noRecordsMatch"),
        ("ListSets token", "badResumptionToken"),
    ] {
        assert_eq!(code(case), want, "{case}");
    }
    assert!(
        errors["bad verb"]["request_attributes"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    assert_eq!(errors["post"]["prefixes"], serde_json::json!(["oai_dc"]));

    // Re-importing the same file changes nothing, not even a datestamp.
    let (out, report) = import(&env, &csv, &mapping, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        (&report["created"], &report["updated"], &report["unchanged"]),
        (&Value::from(0), &Value::from(0), &Value::from(69_202))
    );
    let again = db
        .archive_page(&Default::default(), None, 100_000)
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .zip(&stored)
            .all(|(a, b)| a.updated_at == b.updated_at && a.version == 1)
    );
    assert_eq!(db.archive_history("A00001").await.unwrap().len(), 1);
    server.terminate();
}

fn chrono_stamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A PNG of w × h pixels, made here.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

const MAPPING: &str = r#"
identifier = "cote"
lang = "fr"
rights = "http://rightsstatements.org/vocab/InC/1.0/"

[[field]]
column = "titre"
element = "dc:title"

[[field]]
column = "titre_ar"
element = "dc:title"
lang = "ar"

[[field]]
column = "auteurs"
element = "dc:creator"
split = "; "

[[field]]
column = "date"
element = "dcterms:created"

[[field]]
column = "fonds"
element = "collection"

[[field]]
column = "fichier"
element = "media"
"#;

/// A city's own small export: `n` rows, the first with an image and a PDF
/// beside the CSV, one naming a file that is not there.
pub fn small_archive(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    std::fs::write(dir.join("plan.png"), png(1800, 1200)).unwrap();
    std::fs::write(dir.join("note.pdf"), b"%PDF-1.4\n%%EOF\n").unwrap();
    let mut w = csv::Writer::from_path(dir.join("items.csv")).unwrap();
    w.write_record([
        "cote", "titre", "titre_ar", "auteurs", "date", "fonds", "fichier",
    ])
    .unwrap();
    w.write_record([
        "MS-0",
        "Plan de la médina",
        "مخطط المدينة العتيقة",
        "Henri Prost; Albert Laprade",
        "1912",
        "Cartes et plans",
        "plan.png",
    ])
    .unwrap();
    w.write_record([
        "MS-1",
        "Note sur le port",
        "",
        "Anonyme",
        "vers 1925",
        "Manuscrits",
        "note.pdf",
    ])
    .unwrap();
    w.write_record([
        "MS-2",
        "Photo perdue",
        "",
        "Anonyme",
        "1930",
        "Photographies",
        "absente.jpg",
    ])
    .unwrap();
    for i in 3..n {
        w.write_record([
            format!("MS-{i}"),
            format!("Registre des naissances n° {i}"),
            String::new(),
            "État civil".into(),
            format!("{}", 1900 + i % 80),
            "Registres".into(),
            String::new(),
        ])
        .unwrap();
    }
    w.flush().unwrap();
    std::fs::write(dir.join("map.toml"), MAPPING).unwrap();
    (dir.join("items.csv"), dir.join("map.toml"))
}

#[tokio::test]
async fn bad_exports_and_bad_mappings_are_named_and_write_nothing() {
    let env = Env::new().await;
    let dir = env.dir.path();
    let (csv, mapping) = small_archive(dir, 5);

    // A mapping naming an element that is not Dublin Core, and a column the
    // file does not have.
    let bad_map = dir.join("bad.toml");
    std::fs::write(&bad_map, MAPPING.replace("dc:creator", "dc:author")).unwrap();
    let (out, _) = import(&env, &csv, &bad_map, &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("field 3 (dc:author): \"dc:author\" is not a Dublin Core element"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&bad_map, MAPPING.replace("\"fonds\"", "\"fond\"")).unwrap();
    let (out, _) = import(&env, &csv, &bad_map, &[]);
    assert!(
        stderr(&out).contains("the column \"fond\", which the CSV does not have"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&bad_map, "identifier = [").unwrap();
    let (out, _) = import(&env, &csv, &bad_map, &[]);
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));

    // Bad rows: each named by line and column; nothing written.
    let bad_csv = dir.join("bad.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("MS-1", "MS 1", 1);
    lines[3] = lines[3].replacen("Photo perdue", "", 1);
    lines.push(lines[4].clone());
    lines.push("MS-9,\"unterminated".into());
    std::fs::write(&bad_csv, lines.join("\n") + "\n").unwrap();
    let (out, report) = import(&env, &bad_csv, &mapping, &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("bad.csv:3: cote: the identifier \"MS 1\" may hold only"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:4: titre, titre_ar: no title"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:7: cote: the identifier \"MS-3\" is already on line 5"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:8") && err.contains("not a valid CSV row"),
        "{err}"
    );
    assert_eq!(report["rejected"].as_array().unwrap().len(), 4, "{report}");
    assert_eq!(
        db(&env).await.archive_counts().await.unwrap(),
        (0, 0),
        "nothing written"
    );

    // With --skip-bad the good rows go in, the bad are listed.
    let (out, report) = import(&env, &bad_csv, &mapping, &["--skip-bad"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(db(&env).await.archive_counts().await.unwrap(), (3, 0));
}

#[tokio::test]
async fn images_become_a_iiif_manifest_and_archivists_edit_with_history() {
    let Some(python) = python(&["sickle", "lxml"]) else {
        return;
    };
    let env = Env::new().await;
    let (csv, mapping) = small_archive(env.dir.path(), 250);
    let (out, report) = import(&env, &csv, &mapping, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["created"], 250);
    assert_eq!(report["missing_media"][0]["line"], 4, "{report}");
    add_user(&env, "nadia", "archivist", "registre-1912");
    add_user(&env, "karim", "learner", "registre-1913");
    let server = env.serve(&[]);

    // The image: three derivatives, a level 0 service, a manifest.
    let manifest = server.json("/iiif/MS-0/manifest").await;
    assert_eq!(manifest["type"], "Manifest");
    assert_eq!(
        manifest["@context"],
        "http://iiif.io/api/presentation/3/context.json"
    );
    assert_eq!(manifest["label"]["fr"][0], "Plan de la médina");
    assert_eq!(
        manifest["rights"],
        "http://rightsstatements.org/vocab/InC/1.0/"
    );
    let canvas = &manifest["items"][0];
    assert_eq!(
        (canvas["width"].as_u64(), canvas["height"].as_u64()),
        (Some(1600), Some(1067))
    );
    let body = &canvas["items"][0]["items"][0]["body"];
    assert_eq!(canvas["items"][0]["items"][0]["motivation"], "painting");
    assert_eq!(canvas["items"][0]["items"][0]["target"], canvas["id"]);
    let service = body["service"][0]["id"].as_str().unwrap();
    assert_eq!(body["service"][0]["profile"], "level0");
    let path = |url: &str| {
        url.split_once("127.0.0.1")
            .unwrap()
            .1
            .split_once('/')
            .unwrap()
            .1
            .to_owned()
    };
    let info = server.json(&format!("/{}/info.json", path(service))).await;
    assert_eq!(info["type"], "ImageService3");
    let sizes: Vec<(u64, u64)> = info["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, [(200, 133), (800, 533), (1600, 1067)]);
    let full = server
        .get(&format!("/{}", path(body["id"].as_str().unwrap())))
        .await;
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["access-control-allow-origin"], "*");
    let jpeg = full.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&jpeg).unwrap().width(), 1600);
    let thumb = server
        .get(&format!("/{}/full/200,/0/default.jpg", path(service)))
        .await;
    assert_eq!(thumb.status(), 200);
    let odd = server
        .get(&format!("/{}/full/300,/0/default.jpg", path(service)))
        .await;
    assert_eq!(odd.status(), 400, "level 0: only the listed sizes");
    assert_eq!(
        server.get("/iiif/MS-1/manifest").await.status(),
        404,
        "no image, no manifest"
    );

    // The item page shows the image, the PDF and the manifest link.
    let page = server
        .get("/fr/archive/items/MS-0")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("/iiif/MS-0/manifest"));
    assert!(page.contains("lang=\"ar\" dir=\"auto\">مخطط المدينة العتيقة"));
    let pdf_page = server
        .get("/fr/archive/items/MS-1")
        .await
        .text()
        .await
        .unwrap();
    let pdf = pdf_page
        .split("href=\"/media/dl/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        server
            .get(&format!("/media/dl/{pdf}"))
            .await
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"%PDF-1.4\n%%EOF\n"
    );

    // A learner may not edit; an archivist may.
    let mut learner = Browser::new(&server);
    learner.sign_in("karim", "registre-1913").await;
    assert_eq!(
        learner.get("/fr/archive/items/MS-3/edit").await.status(),
        403
    );
    let mut b = Browser::new(&server);
    b.sign_in("nadia", "registre-1912").await;
    let form = b
        .get("/fr/archive/items/MS-3/edit")
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_csrf(&form);

    // A harvest starts; the repository changes under it; it goes on.
    let first = server
        .get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc")
        .await
        .text()
        .await
        .unwrap();
    let token = first
        .split("<resumptionToken completeListSize=\"250\" cursor=\"0\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edited = b
        .post_form(
            "/fr/archive/items/MS-3/edit",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                (
                    "dc:title",
                    "Registre des naissances n° 3\n@ar سجل المواليد 3",
                ),
                ("dc:creator", "État civil"),
                ("dc:subject", "naissances"),
                ("year", "1903"),
                ("rights", "http://rightsstatements.org/vocab/InC/1.0/"),
                ("visibility", "public"),
                ("collection", "registres"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303, "{:?}", edited.text().await);
    let made_staff = b
        .post_form(
            "/fr/archive/items/MS-4/edit",
            &[
                ("csrf", &csrf),
                ("lang", "fr"),
                ("dc:title", "Registre des naissances n° 4"),
                ("visibility", "staff"),
                ("collection", "registres"),
            ],
        )
        .await;
    assert_eq!(made_staff.status(), 303);
    let deleted = b
        .post_form(
            "/fr/archive/items/MS-5/edit",
            &[("csrf", &csrf), ("action", "delete")],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    let mut seen = BTreeSet::new();
    for id in first.split("<identifier>").skip(1) {
        seen.insert(id.split('<').next().unwrap().to_owned());
    }
    let mut token = token;
    while !token.is_empty() {
        let next = server
            .get(&format!(
                "/oai?verb=ListIdentifiers&resumptionToken={token}"
            ))
            .await
            .text()
            .await
            .unwrap();
        assert!(!next.contains("<error"), "{next}");
        for id in next.split("<identifier>").skip(1) {
            assert!(
                seen.insert(id.split('<').next().unwrap().to_owned()),
                "no record twice"
            );
        }
        token = next
            .split("<resumptionToken")
            .nth(1)
            .unwrap()
            .split_once('>')
            .unwrap()
            .1
            .split('<')
            .next()
            .unwrap()
            .to_owned();
    }
    assert!(seen.len() <= 250 && seen.len() >= 247, "{}", seen.len());
    // The next incremental harvest brings the three changes, two as deleted.
    let since = chrono_stamp(
        db(&env)
            .await
            .archive_item("MS-3")
            .await
            .unwrap()
            .unwrap()
            .updated_at,
    );
    let changes = server
        .get(&format!(
            "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&from={since}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        changes.contains("oai:localhost:MS-3</identifier>"),
        "{changes}"
    );
    assert_eq!(
        changes.matches("<header status=\"deleted\">").count(),
        2,
        "{changes}"
    );
    let by_set = server
        .get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&set=cartes-et-plans")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(by_set.matches("<header>").count(), 1, "{by_set}");

    // Public pages: the hidden and the deleted item are gone.
    assert_eq!(server.get("/fr/archive/items/MS-4").await.status(), 404);
    assert_eq!(server.get("/fr/archive/items/MS-5").await.status(), 404);
    let item = server.json("/api/v1/archive/items/MS-3").await;
    assert_eq!(values(&item, "dc:subject"), ["naissances"]);
    assert_eq!(item["item"]["year"], 1903);

    // Uploading an image from the edit page (multipart, CSRF in the form).
    let boundary = "----cartable-test-boundary";
    let mut upload = Vec::new();
    upload.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    upload.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"registre.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    upload.extend_from_slice(&png(640, 480));
    upload.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sent = client
        .post(server.url("/fr/archive/items/MS-3/media"))
        .header("cookie", b.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(upload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let forged = client
        .post(server.url("/fr/archive/items/MS-3/media"))
        .header("cookie", b.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(
            String::from_utf8_lossy(&upload)
                .replace(&csrf, "forged")
                .into_bytes(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        403,
        "a multipart form without its token is refused"
    );
    let manifest = server.json("/iiif/MS-3/manifest").await;
    assert_eq!(manifest["items"][0]["width"], 640);

    // The history says who changed what, newest first.
    let form = b
        .get("/fr/archive/items/MS-3/edit")
        .await
        .text()
        .await
        .unwrap();
    let history = form.split("Historique").nth(1).unwrap();
    assert!(history.contains("nadia"));
    assert!(
        history.contains("+ dc:subject: naissances @fr"),
        "{history}"
    );
    assert!(
        history.contains("+ dc:title: سجل المواليد 3 @ar"),
        "{history}"
    );
    assert!(history.contains("import items.csv"));
    let versions = db(&env).await.archive_history("MS-3").await.unwrap();
    assert_eq!(
        versions.iter().map(|h| h.version).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    assert!(
        versions[0].changes[0].starts_with("media:"),
        "{:?}",
        versions[0]
    );

    // A bad edit is refused with its reasons and changes nothing.
    let refused = b
        .post_form(
            "/fr/archive/items/MS-3/edit",
            &[
                ("csrf", &csrf),
                ("dc:title", ""),
                ("rights", "all rights reserved"),
                ("year", "vers 1900"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("rightsstatements.org") && text.contains("vers 1900&#34; is not a year"),
        "{text}"
    );
    assert_eq!(
        db(&env).await.archive_history("MS-3").await.unwrap().len(),
        3
    );

    // A new item from the form, then its page; every page still valid OAI.
    let created = b
        .post_form(
            "/fr/archive/new",
            &[
                ("csrf", &csrf),
                ("id", "AFF-1"),
                ("lang", "fr"),
                ("dc:title", "Affiche du festival"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    assert_eq!(server.get("/fr/archive/items/AFF-1").await.status(), 200);
    let harvest = oai_script(&python, "harvest", &server.url("/oai"));
    let records = harvest["records"].as_array().unwrap();
    assert_eq!(records.len(), 251);
    assert_eq!(
        records.iter().filter(|r| r[2] == true).count(),
        2,
        "deleted records persist"
    );
    server.terminate();
}

#[tokio::test]
async fn recordings_go_through_the_capsule_pipeline() {
    if !crate::support::require("ffmpeg", "-version") {
        return;
    }
    let env = Env::new().await;
    let dir = env.dir.path();
    crate::support::make_video(&dir.join("fete.mp4"), 3, 360, 440);
    std::fs::write(
        dir.join("films.csv"),
        "cote,titre,titre_ar,auteurs,date,fonds,fichier\nFILM-1,Fête du Trône 1962,,Actualités,1962,Films,fete.mp4\n",
    )
    .unwrap();
    std::fs::write(dir.join("map.toml"), MAPPING).unwrap();
    let (out, report) = import(&env, &dir.join("films.csv"), &dir.join("map.toml"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["created"], 1, "{report}");
    let server = env.serve(&[]);
    let item = server.json("/api/v1/archive/items/FILM-1").await;
    let media = &item["item"]["media"][0];
    assert_eq!(media["kind"], "video");
    let names: Vec<&str> = media["renditions"]["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"audio") && names.contains(&"360p"),
        "{names:?}"
    );
    let page = server
        .get("/fr/archive/items/FILM-1")
        .await
        .text()
        .await
        .unwrap();
    let master = page
        .split("<source src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(master.ends_with(".m3u8"), "{master}");
    let playlist = server.get(&master).await.text().await.unwrap();
    assert!(
        playlist.starts_with("#EXTM3U") && playlist.contains("#EXT-X-STREAM-INF"),
        "{playlist}"
    );
    assert!(
        page.contains("type=\"video/mp4\""),
        "a progressive fallback"
    );
    // The same film imported again is not transcoded again.
    let (out, report) = import(&env, &dir.join("films.csv"), &dir.join("map.toml"), &[]);
    assert!(out.status.success());
    assert_eq!(report["unchanged"], 1, "{report}");
    server.terminate();
}

#[tokio::test]
async fn an_import_killed_half_way_leaves_whole_items_and_finishes_when_run_again() {
    let env = Env::new().await;
    let (csv, mapping) = small_archive(env.dir.path(), 6000);
    // The database made (and migrated) first, so this test can watch it.
    let made = env.run(&["user", "list"]);
    assert!(made.status.success(), "{}", stderr(&made));
    let db = db(&env).await;
    let mut child = env
        .command()
        .args([
            "import",
            "archive",
            csv.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as the first batches are in (or whenever it is).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (live, _) = db.archive_counts().await.unwrap_or((0, 0));
        if live >= 1000 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (written, _) = db.archive_counts().await.unwrap();
    eprintln!("the import was killed with {written} of 6000 items written");
    assert!(
        written % 1000 == 0 || written == 6000,
        "whole batches only: {written}"
    );
    for id in ["MS-0", "MS-3", "MS-999"] {
        if let Some(item) = db.archive_item(id).await.unwrap() {
            assert!(item.item.first("dc:title").is_some());
            assert_eq!(db.archive_history(id).await.unwrap().len(), 1, "{id}");
        }
    }
    let (out, report) = import(&env, &csv, &mapping, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["created"], 6000 - written as u64, "{report}");
    assert_eq!(report["unchanged"], written as u64, "{report}");
    assert_eq!(db.archive_counts().await.unwrap(), (6000, 0));
}
