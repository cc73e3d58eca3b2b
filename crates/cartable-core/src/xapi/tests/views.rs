//! Statement comparison, the retrieval formats and signature checks.

use super::*;

#[test]
fn reordered_keys_are_the_same_statement() {
    let a = watched();
    let text = serde_json::to_string(&a).unwrap();
    // Rebuild with keys in reverse order, as another client might send them.
    fn reverse(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m.iter().rev() {
                    out.insert(k.clone(), reverse(v));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(reverse).collect()),
            other => other.clone(),
        }
    }
    let b = reverse(&serde_json::from_str(&text).unwrap());
    assert!(same_statement(&a, &b));
}

#[test]
fn a_different_result_is_a_different_statement() {
    let a = answered();
    let mut b = answered();
    b["result"]["success"] = json!(false);
    assert!(!same_statement(&a, &b));
    let mut c = answered();
    c["result"]["score"]["raw"] = json!(2);
    assert!(!same_statement(&a, &c));
    let mut d = answered();
    d["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/attempted");
    assert!(!same_statement(&a, &d));
}

#[test]
fn what_the_lrs_sets_is_ignored() {
    let a = watched();
    let mut b = watched();
    b["stored"] = json!("2026-01-02T00:00:00.000Z");
    b["authority"] = json!({"mbox": "mailto:lrs@cartable.example"});
    b["version"] = json!("1.0.0");
    assert!(same_statement(&a, &b));
    let mut no_id = watched();
    no_id.as_object_mut().unwrap().remove("id");
    no_id.as_object_mut().unwrap().remove("timestamp");
    assert!(same_statement(&no_id, &b));
    let mut other_id = watched();
    other_id["id"] = json!("00000000-0000-4000-8000-000000000000");
    assert!(!same_statement(&a, &other_id));
}

#[test]
fn timestamps_compare_as_instants() {
    let mut a = watched();
    let mut b = watched();
    a["timestamp"] = json!("2026-01-01T00:00:00Z");
    b["timestamp"] = json!("2026-01-01T01:00:00+01:00");
    assert!(same_statement(&a, &b));
    b["timestamp"] = json!("2026-01-01T00:00:00.001Z");
    assert!(!same_statement(&a, &b));
}

#[test]
fn case_insensitive_parts_and_serialisation_choices_compare_equal() {
    let a = watched();
    let mut b = watched();
    b["id"] = json!("8f87ccde-bb56-4c2e-ab83-44982ef22df0");
    b["context"]["registration"] = json!("ec531277-b57b-4c15-8d91-d292c5b2b8f7");
    b["context"]["contextActivities"]["parent"] =
        json!([{"objectType": "Activity", "id": "https://cartable.example/capsules/fractions"}]);
    b["object"]["id"] = json!("HTTPS://Cartable.Example/capsules/fractions/video");
    b["verb"]["display"] = json!({"de": "abgespielt"});
    b["object"]["definition"]["name"] = json!({"fr": "Fractions"});
    b["result"]["duration"] = json!("PT12.500S");
    b["result"]["extensions"]["https://w3id.org/xapi/video/extensions/time"] = json!(12.50);
    assert!(same_statement(&a, &b));
    let mut c = watched();
    c["object"]["id"] = json!("https://cartable.example/Capsules/fractions/video");
    assert!(!same_statement(&a, &c), "IRI paths are case-sensitive");
}

#[test]
fn group_members_are_unordered_and_mbox_domains_case_insensitive() {
    let group = |members: Value| {
        let mut s = answered();
        s["actor"] = json!({"objectType": "Group", "member": members});
        s
    };
    let a = group(json!([{"mbox": "mailto:a@b.org"}, {"mbox": "mailto:c@b.org", "name": "C"}]));
    let b = group(
        json!([{"objectType": "Agent", "name": "C", "mbox": "mailto:c@B.ORG"}, {"mbox": "MAILTO:a@b.org"}]),
    );
    assert!(same_statement(&a, &b));
    let c = group(json!([{"mbox": "mailto:A@b.org"}, {"mbox": "mailto:c@b.org", "name": "C"}]));
    assert!(
        !same_statement(&a, &c),
        "the local part of an address is case-sensitive"
    );
}

#[test]
fn format_ids_keeps_only_identifiers() {
    let mut s = watched();
    s["actor"] = json!({
        "objectType": "Group",
        "name": "Binôme 4",
        "member": [learner(), {"name": "Yanis", "mbox": "mailto:yanis@cartable.example"}]
    });
    s["context"]["instructor"] =
        json!({"name": "Mme Alami", "mbox": "mailto:alami@cartable.example"});
    s["authority"] = json!({"objectType": "Agent", "name": "LRS", "account": {"homePage": "https://cartable.example", "name": "lrs"}});
    let ids = format_ids(&s);
    assert_eq!(
        ids["actor"],
        json!({"objectType": "Group", "member": [
            {"objectType": "Agent", "account": {"homePage": "https://cartable.example", "name": "amina.b"}},
            {"mbox": "mailto:yanis@cartable.example"}
        ]})
    );
    assert_eq!(
        ids["verb"],
        json!({"id": "https://w3id.org/xapi/video/verbs/played"})
    );
    assert_eq!(
        ids["object"],
        json!({"objectType": "Activity", "id": VIDEO})
    );
    assert_eq!(
        ids["context"]["instructor"],
        json!({"mbox": "mailto:alami@cartable.example"})
    );
    assert_eq!(
        ids["context"]["contextActivities"]["parent"],
        json!([{"id": "https://cartable.example/capsules/fractions"}])
    );
    assert_eq!(ids["authority"]["name"], Value::Null);
    assert_eq!(ids["result"], s["result"]);
    assert_eq!(ids["timestamp"], s["timestamp"]);
}

#[test]
fn format_ids_reduces_inside_a_substatement_and_identified_groups() {
    let s = json!({
        "actor": {"objectType": "Group", "name": "CM2 B", "mbox": "mailto:cm2b@cartable.example", "member": [learner()]},
        "verb": {"id": "https://cartable.example/verbs/planned", "display": {"fr": "a prévu"}},
        "object": {
            "objectType": "SubStatement",
            "actor": learner(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"fr": "a terminé"}},
            "object": {"id": VIDEO, "definition": {"name": {"fr": "Fractions"}}}
        }
    });
    let ids = format_ids(&s);
    assert_eq!(
        ids["actor"],
        json!({"objectType": "Group", "mbox": "mailto:cm2b@cartable.example"})
    );
    assert_eq!(ids["object"]["actor"]["name"], Value::Null);
    assert_eq!(
        ids["object"]["verb"],
        json!({"id": "http://adlnet.gov/expapi/verbs/completed"})
    );
    assert_eq!(ids["object"]["object"], json!({"id": VIDEO}));
}

#[test]
fn format_canonical_keeps_the_best_language_of_each_map() {
    let s = answered();
    let fr = format_canonical(&s, &["fr-FR".into(), "en".into()]);
    assert_eq!(fr["verb"]["display"], json!({"fr": "a répondu"}));
    let mut w = watched();
    w["attachments"] = json!([{
        "usageType": "https://cartable.example/attachments/notes",
        "display": {"en": "Notes", "ar": "ملاحظات"},
        "contentType": "text/plain",
        "length": 1,
        "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        "fileUrl": "https://cartable.example/files/notes.txt"
    }]);
    let ar = format_canonical(&w, &["ar".into()]);
    assert_eq!(ar["object"]["definition"]["name"], json!({"ar": "الكسور"}));
    assert_eq!(ar["attachments"][0]["display"], json!({"ar": "ملاحظات"}));
    let en_gb = format_canonical(&w, &["en-GB".into()]);
    assert_eq!(
        en_gb["object"]["definition"]["name"],
        json!({"en": "Fractions"})
    );
    assert_eq!(
        en_gb["verb"]["display"],
        json!({"en-US": "played"}),
        "same primary language"
    );
    let none = format_canonical(&w, &["tr".into()]);
    assert_eq!(none["verb"]["display"].as_object().unwrap().len(), 1);
    let star = format_canonical(&w, &["*".into()]);
    assert_eq!(
        star["object"]["definition"]["name"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        ar["context"]["contextActivities"]["parent"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let choices = format_canonical(&s, &["fr".into()]);
    assert_eq!(
        choices["object"]["definition"]["choices"][1]["description"],
        json!({"fr": "2/4"})
    );
}

#[test]
fn accept_language_headers_are_ordered_by_weight() {
    assert_eq!(
        accept_languages("en;q=0.5, fr-FR, ar;q=0.8, de;q=0"),
        vec!["fr-FR".to_owned(), "ar".into(), "en".into()]
    );
    assert!(accept_languages("").is_empty());
}

#[test]
fn format_exact_only_turns_single_context_activities_into_arrays() {
    let s = watched();
    let exact = format_exact(&s);
    assert_eq!(
        exact["context"]["contextActivities"]["parent"],
        json!([{"id": "https://cartable.example/capsules/fractions"}])
    );
    let mut back = exact.clone();
    back["context"]["contextActivities"]["parent"] =
        s["context"]["contextActivities"]["parent"].clone();
    assert_eq!(back, s);
}

fn b64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn jws(alg: &str, payload: &Value) -> String {
    let header = json!({"alg": alg, "x5c": ["MIIB"]});
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes()),
        b64(b"not really an rsa signature")
    )
}

#[test]
fn signatures_must_use_rsa_and_sign_the_same_statement() {
    let original = answered();
    let mut received = answered();
    received["attachments"] = json!([{
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "Signature"},
        "contentType": "application/octet-stream",
        "length": 500,
        "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
    }]);
    accepted(&received);
    assert_eq!(check_signature(&jws("RS256", &original), &received), Ok(()));
    assert!(check_signature(&jws("RS512", &original), &received).is_ok());
    assert!(check_signature(&jws("HS256", &original), &received).is_err());
    let mut altered = original.clone();
    altered["result"]["success"] = json!(false);
    assert!(check_signature(&jws("RS256", &altered), &received).is_err());
    assert!(check_signature("abc.def", &received).is_err());
    assert!(check_signature("e30.!!!.abc", &received).is_err());
    let broken = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256"}"#),
        b64(b"{not json"),
        b64(b"sig")
    );
    assert!(check_signature(&broken, &received).is_err());
}
