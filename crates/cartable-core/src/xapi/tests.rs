//! Tests of the xAPI module: statements it must accept and the facts it
//! extracts here, one refusal per rule in `reject` and `reject_shape`, comparison and the
//! retrieval formats in `views`, and the string formats in `formats`.

mod formats;
mod reject;
mod reject_shape;
mod views;

use serde_json::{Value, json};

use super::*;

/// A learner of the platform, identified by her account.
pub(super) fn learner() -> Value {
    json!({
        "objectType": "Agent",
        "name": "Amina B.",
        "account": {"homePage": "https://cartable.example", "name": "amina.b"}
    })
}

pub(super) const AMINA: &str = "account:https://cartable.example|amina.b";
pub(super) const VIDEO: &str = "https://cartable.example/capsules/fractions/video";

/// Amina watched a video, with the position in a result extension.
pub(super) fn watched() -> Value {
    json!({
        "id": "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0",
        "actor": learner(),
        "verb": {
            "id": "https://w3id.org/xapi/video/verbs/played",
            "display": {"en-US": "played", "fr": "a regardé"}
        },
        "object": {
            "objectType": "Activity",
            "id": VIDEO,
            "definition": {
                "name": {"fr": "Les fractions", "ar": "الكسور", "en": "Fractions"},
                "type": "https://w3id.org/xapi/video/activity-type/video"
            }
        },
        "result": {
            "duration": "PT12.5S",
            "extensions": {"https://w3id.org/xapi/video/extensions/time": 12.5}
        },
        "context": {
            "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
            "contextActivities": {
                "parent": {"id": "https://cartable.example/capsules/fractions"},
                "category": [{"id": "https://w3id.org/xapi/video"}]
            },
            "language": "fr-MA",
            "platform": "cartable",
            "extensions": {"https://w3id.org/xapi/video/extensions/session-id": "s-1"}
        },
        "timestamp": "2026-01-01T10:00:00.123+01:00"
    })
}

/// A quiz question answered: a choice interaction with its choices.
pub(super) fn answered() -> Value {
    json!({
        "actor": {"mbox": "mailto:Yanis@Cartable.Example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"fr": "a répondu"}},
        "object": {
            "id": "https://cartable.example/quiz/fractions/q2",
            "definition": {
                "description": {"fr": "Quelle fraction vaut un demi ?"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
                "correctResponsesPattern": ["b[,]d"],
                "choices": [
                    {"id": "a", "description": {"fr": "1/3"}},
                    {"id": "b", "description": {"fr": "2/4"}},
                    {"id": "c", "description": {"fr": "3/4"}},
                    {"id": "d", "description": {"fr": "4/8"}}
                ]
            }
        },
        "result": {
            "response": "b[,]d",
            "success": true,
            "completion": true,
            "score": {"scaled": 0.75, "raw": 3, "min": 0, "max": 4}
        }
    })
}

pub(super) fn accepted(v: &Value) -> Facts {
    check_statement(v).unwrap_or_else(|e| panic!("refused: {e}"))
}

#[test]
fn a_video_statement_is_accepted_with_its_facts() {
    let facts = accepted(&watched());
    assert_eq!(
        facts.id.as_deref(),
        Some("8f87ccde-bb56-4c2e-ab83-44982ef22df0")
    );
    assert_eq!(facts.verb, "https://w3id.org/xapi/video/verbs/played");
    assert_eq!(facts.actor, vec![Ifi(AMINA.into())]);
    assert!(facts.object_agent.is_empty());
    assert_eq!(facts.activity.as_deref(), Some(VIDEO));
    assert_eq!(facts.related_agents, vec![Ifi(AMINA.into())]);
    let mut related = facts.related_activities.clone();
    related.sort();
    assert_eq!(
        related,
        vec![
            "https://cartable.example/capsules/fractions".to_owned(),
            VIDEO.into(),
            "https://w3id.org/xapi/video".into(),
        ]
    );
    assert_eq!(facts.related_activities[0], VIDEO, "the object comes first");
    assert_eq!(
        facts.registration.as_deref(),
        Some("ec531277-b57b-4c15-8d91-d292c5b2b8f7")
    );
    assert_eq!(
        facts.timestamp.as_deref(),
        Some("2026-01-01T10:00:00.123+01:00")
    );
    assert_eq!(facts.voids, None);
    assert_eq!(facts.refers_to, None);
    assert_eq!(facts.activities.len(), 1);
    assert_eq!(facts.activities[0].0, VIDEO);
    assert_eq!(facts.activities[0].1["name"]["fr"], "Les fractions");
    assert!(facts.attachments.is_empty());
}

#[test]
fn a_choice_interaction_is_accepted_and_the_mbox_domain_is_lower_cased() {
    let facts = accepted(&answered());
    assert_eq!(facts.id, None);
    assert_eq!(
        facts.actor,
        vec![Ifi("mbox:mailto:Yanis@cartable.example".into())]
    );
    assert_eq!(facts.activities[0].1["choices"][3]["id"], "d");
}

#[test]
fn every_interaction_type_with_its_own_lists_is_accepted() {
    let component = json!([{"id": "x", "description": {"en": "x"}}, {"id": "y"}]);
    let cases = [
        ("true-false", None),
        ("fill-in", None),
        ("long-fill-in", None),
        ("numeric", None),
        ("other", None),
        ("choice", Some("choices")),
        ("sequencing", Some("choices")),
        ("likert", Some("scale")),
        ("matching", Some("source")),
        ("matching", Some("target")),
        ("performance", Some("steps")),
    ];
    for (interaction, list) in cases {
        let mut s = answered();
        let def = json!({"interactionType": interaction, "correctResponsesPattern": []});
        s["object"]["definition"] = def;
        if let Some(list) = list {
            s["object"]["definition"][list] = component.clone();
        }
        accepted(&s);
    }
}

#[test]
fn a_substatement_is_accepted_and_its_agents_and_activities_are_related() {
    let s = json!({
        "actor": {"objectType": "Agent", "mbox": "mailto:teacher@cartable.example"},
        "verb": {"id": "https://cartable.example/verbs/assigned", "display": {"fr": "a assigné"}},
        "object": {
            "objectType": "SubStatement",
            "actor": learner(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": VIDEO},
            "context": {
                "instructor": {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
                "contextActivities": {"grouping": [{"id": "https://cartable.example/programmes/cm2"}]}
            },
            "timestamp": "2030-06-01T08:00:00Z"
        },
        "context": {
            "team": {
                "objectType": "Group",
                "name": "CM2 B",
                "account": {"homePage": "https://cartable.example", "name": "class-cm2-b"}
            },
            "contextActivities": {"parent": [{"id": "https://cartable.example/programmes/cm2"}]}
        }
    });
    let facts = accepted(&s);
    assert_eq!(facts.activity, None);
    assert!(facts.object_agent.is_empty());
    assert_eq!(
        facts.related_agents,
        vec![
            Ifi("mbox:mailto:teacher@cartable.example".into()),
            Ifi(AMINA.into()),
            Ifi("mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9".into()),
            Ifi("account:https://cartable.example|class-cm2-b".into()),
        ]
    );
    assert_eq!(
        facts.related_activities,
        vec![
            VIDEO.to_owned(),
            "https://cartable.example/programmes/cm2".into()
        ]
    );
}

#[test]
fn a_voiding_statement_names_its_target() {
    let s = json!({
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@cartable.example"},
        "verb": {"id": VOIDED_VERB, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": "E05AA883-ACAF-40AD-BF54-02C8CE485FB0"}
    });
    let facts = accepted(&s);
    assert_eq!(
        facts.voids.as_deref(),
        Some("e05aa883-acaf-40ad-bf54-02c8ce485fb0")
    );
    assert_eq!(facts.refers_to, facts.voids);
}

#[test]
fn a_comment_refers_to_a_statement_without_voiding_it() {
    let s = json!({
        "actor": learner(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
        "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        "result": {"response": "Merci !"}
    });
    let facts = accepted(&s);
    assert_eq!(facts.voids, None);
    assert_eq!(
        facts.refers_to.as_deref(),
        Some("e05aa883-acaf-40ad-bf54-02c8ce485fb0")
    );
}

#[test]
fn an_anonymous_group_actor_relates_its_members() {
    let mut s = watched();
    s["actor"] = json!({
        "objectType": "Group",
        "name": "Binôme 4",
        "member": [learner(), {"openid": "https://id.cartable.example/yanis"}]
    });
    let facts = accepted(&s);
    let members = vec![
        Ifi(AMINA.into()),
        Ifi("openid:https://id.cartable.example/yanis".into()),
    ];
    assert_eq!(facts.actor, members);
    assert_eq!(facts.related_agents, members);
}

#[test]
fn an_agent_object_is_indexed_as_the_object_agent() {
    let s = json!({
        "actor": {"mbox": "mailto:teacher@cartable.example"},
        "verb": {"id": "https://cartable.example/verbs/mentored"},
        "object": learner(),
    });
    let facts = accepted(&s);
    assert_eq!(facts.object_agent, vec![Ifi(AMINA.into())]);
    assert_eq!(facts.related_agents.len(), 2);
}

#[test]
fn attachments_with_a_signature_are_accepted_and_listed() {
    let mut s = answered();
    s["attachments"] = json!([
        {
            "usageType": "https://cartable.example/attachments/drawing",
            "display": {"fr": "Dessin"},
            "description": {"fr": "Le dessin de la fraction"},
            "contentType": "image/png",
            "length": 2048,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
            "fileUrl": "https://cartable.example/files/dessin.png"
        },
        {
            "usageType": SIGNATURE_USAGE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": 4235,
            "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
        }
    ]);
    let facts = accepted(&s);
    assert_eq!(facts.attachments.len(), 2);
    assert_eq!(facts.attachments[0].length, 2048);
    assert_eq!(
        facts.attachments[0].file_url.as_deref(),
        Some("https://cartable.example/files/dessin.png")
    );
    assert_eq!(facts.attachments[1].usage_type, SIGNATURE_USAGE);
    assert_eq!(facts.attachments[1].file_url, None);
}

#[test]
fn stored_authority_and_version_are_accepted() {
    let mut s = watched();
    s["stored"] = json!("2026-01-01T09:00:01.000Z");
    s["version"] = json!("1.0.0");
    s["authority"] = json!({
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "https://cartable.example/oauth/token", "name": "app-1"}},
            {"mbox": "mailto:amina@cartable.example"}
        ]
    });
    accepted(&s);
    s["version"] = json!("1.0");
    accepted(&s);
    s["version"] = json!("1.0.9");
    accepted(&s);
}

#[test]
fn extensions_may_hold_null_and_maps_may_be_empty() {
    let mut s = watched();
    s["result"]["extensions"] = json!({"https://cartable.example/ext/none": null});
    s["context"]["extensions"] = json!({});
    s["verb"]["display"] = json!({});
    accepted(&s);
}

#[test]
fn an_activity_defined_twice_is_listed_once_with_merged_names() {
    let mut s = watched();
    s["context"]["contextActivities"]["other"] = json!([{
        "id": VIDEO,
        "definition": {"name": {"es": "Fracciones", "fr": "Fractions (vidéo)"}}
    }]);
    let facts = accepted(&s);
    assert_eq!(facts.activities.len(), 1);
    let name = &facts.activities[0].1["name"];
    assert_eq!(name["fr"], "Fractions (vidéo)");
    assert_eq!(name["ar"], "الكسور");
    assert_eq!(name["es"], "Fracciones");
    assert_eq!(
        facts
            .related_activities
            .iter()
            .filter(|a| *a == VIDEO)
            .count(),
        1
    );
}

#[test]
fn agent_parameters_must_be_identified() {
    let p = check_agent_param(&learner()).unwrap();
    assert_eq!(
        p,
        AgentParam {
            ifi: Ifi(AMINA.into()),
            is_group: false
        }
    );
    let group = json!({"objectType": "Group", "mbox": "mailto:cm2b@cartable.example"});
    assert!(check_agent_param(&group).unwrap().is_group);
    let anonymous = json!({"objectType": "Group", "member": [learner()]});
    assert_eq!(check_agent_param(&anonymous).unwrap_err().path, "agent");
    let two = json!({"mbox": "mailto:a@b.org", "openid": "https://b.org/a"});
    assert_eq!(check_agent_param(&two).unwrap_err().path, "agent");
    let bad = json!({"mbox": "a@b.org"});
    assert_eq!(check_agent_param(&bad).unwrap_err().path, "agent.mbox");
}

#[test]
fn merge_definition_merges_names_and_replaces_the_rest() {
    let old = json!({"name": {"fr": "Fractions", "ar": "الكسور"}, "type": "https://a.example/old", "moreInfo": "https://a.example/info"});
    let new = json!({"name": {"fr": "Les fractions"}, "description": {"en": "Halves"}, "type": "https://a.example/new"});
    let merged = merge_definition(&old, &new);
    assert_eq!(
        merged,
        json!({
            "name": {"fr": "Les fractions", "ar": "الكسور"},
            "description": {"en": "Halves"},
            "type": "https://a.example/new",
            "moreInfo": "https://a.example/info"
        })
    );
}

#[test]
fn new_statement_ids_are_lower_case_random_uuids() {
    let (a, b) = (new_statement_id(), new_statement_id());
    assert_ne!(a, b);
    assert_eq!(check_uuid(&a).unwrap(), a);
    assert_eq!(&a[14..15], "4");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
}

#[test]
fn version_headers_of_1_0_are_accepted() {
    for ok in ["1.0", "1.0.0", "1.0.1", "1.0.3", "1.0.9", " 1.0.3 "] {
        assert!(check_version(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "1",
        "0.95",
        "0.9.9",
        "1.1.0",
        "2.0.0",
        "1.0.",
        "1.0.x",
        "1.0.3-beta",
    ] {
        assert!(check_version(bad).is_err(), "{bad}");
    }
    assert_eq!(VERSION, "1.0.3");
}

#[test]
fn a_property_used_twice_is_refused_when_parsing() {
    let twice = br#"{"actor": {"mbox": "mailto:a@b.org"}, "verb": {"id": "https://a.example/v"}, "object": {"id": "https://a.example/o"}, "actor": {"mbox": "mailto:c@b.org"}}"#;
    let err = parse_json(twice).unwrap_err();
    assert!(err.contains("\"actor\" is used twice"), "{err}");
    let nested = br#"{"result": {"success": true, "success": false}}"#;
    assert!(parse_json(nested).is_err());
    assert!(parse_json(b"{} trailing").is_err());
    let text = serde_json::to_string(&watched()).unwrap();
    assert_eq!(parse_json(text.as_bytes()).unwrap(), watched());
    assert_eq!(
        parse_json(b"[1, -2, 2.5, null, \"x\"]").unwrap(),
        json!([1, -2, 2.5, null, "x"])
    );
}
