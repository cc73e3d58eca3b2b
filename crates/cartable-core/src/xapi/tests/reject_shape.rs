//! One refusal per rule about the shape of a statement: its properties,
//! object types, activity definitions, context, SubStatement, voiding and
//! attachments, each asserting where the statement was refused.

use super::reject::refused_at;
use super::*;

#[test]
fn properties_are_known_required_and_not_null() {
    let w = watched;
    refused_at(w(), |s| s["foo"] = json!(1), "statement.foo");
    refused_at(w(), |s| s["Actor"] = s["actor"].clone(), "statement.Actor");
    refused_at(w(), |s| s["actor"] = Value::Null, "statement.actor");
    refused_at(
        w(),
        |s| s["actor"]["name"] = Value::Null,
        "statement.actor.name",
    );
    refused_at(
        w(),
        |s| s["context"]["registration"] = Value::Null,
        "statement.context.registration",
    );
    refused_at(
        w(),
        |s| s["object"]["definition"]["moreInfo"] = Value::Null,
        "statement.object.definition.moreInfo",
    );
    refused_at(
        w(),
        |s| {
            s.as_object_mut().map(|m| m.remove("verb"));
        },
        "statement.verb",
    );
    refused_at(
        w(),
        |s| {
            s.as_object_mut().map(|m| m.remove("object"));
        },
        "statement.object",
    );
    refused_at(
        w(),
        |s| {
            s["object"].as_object_mut().map(|m| m.remove("id"));
        },
        "statement.object.id",
    );
    refused_at(
        w(),
        |s| s["result"]["foo"] = json!(1),
        "statement.result.foo",
    );
    refused_at(
        w(),
        |s| s["context"]["foo"] = json!(1),
        "statement.context.foo",
    );
    refused_at(w(), |s| s["verb"]["foo"] = json!(1), "statement.verb.foo");
    refused_at(w(), |s| s["version"] = json!("2.0.0"), "statement.version");
    refused_at(w(), |s| s["version"] = json!("0.9.9"), "statement.version");
}

#[test]
fn object_types_are_exact_and_agents_as_objects_declare_theirs() {
    let w = watched;
    refused_at(
        w(),
        |s| s["object"]["objectType"] = json!("activity"),
        "statement.object.objectType",
    );
    refused_at(
        w(),
        |s| s["object"]["objectType"] = json!(12),
        "statement.object.objectType",
    );
    refused_at(
        w(),
        |s| s["object"] = json!({"mbox": "mailto:a@b.org"}),
        "statement.object.mbox",
    );
    let sref = json!({"objectType": "StatementRef", "id": "not-a-uuid"});
    refused_at(w(), |s| s["object"] = sref, "statement.object.id");
    refused_at(
        w(),
        |s| s["context"]["statement"] = json!({"id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"}),
        "statement.context.statement.objectType",
    );
}

#[test]
fn activity_definitions_and_interactions_are_checked() {
    let a = answered;
    let scale = json!([{"id": "likert_0"}]);
    refused_at(
        a(),
        |s| s["object"]["definition"]["scale"] = scale,
        "statement.object.definition.scale",
    );
    let dup = json!([{"id": "a"}, {"id": "a"}]);
    refused_at(
        a(),
        |s| s["object"]["definition"]["choices"] = dup,
        "statement.object.definition.choices[1].id",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"]["choices"][2]["id"] = json!({"k": "v"}),
        "statement.object.definition.choices[2].id",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"]["choices"][0]["description"] = json!("1/3"),
        "statement.object.definition.choices[0].description",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"]["choices"] = json!({"id": "a"}),
        "statement.object.definition.choices",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"]["interactionType"] = json!("Choice"),
        "statement.object.definition.interactionType",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"]["correctResponsesPattern"] = json!([12345]),
        "statement.object.definition.correctResponsesPattern[0]",
    );
    let no_type = json!({"correctResponsesPattern": ["true"]});
    refused_at(
        a(),
        |s| s["object"]["definition"] = no_type,
        "statement.object.definition.correctResponsesPattern",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"] = json!({}),
        "statement.object.definition",
    );
    refused_at(
        a(),
        |s| s["object"]["definition"] = json!("quiz"),
        "statement.object.definition",
    );
}

#[test]
fn context_rules() {
    let w = watched;
    refused_at(
        w(),
        |s| s["object"] = learner(),
        "statement.context.platform",
    );
    let agent_object = |s: &mut Value| {
        s["object"] = learner();
        s["context"].as_object_mut().map(|c| c.remove("platform"));
        s["context"]["revision"] = json!("v2");
    };
    refused_at(w(), agent_object, "statement.context.revision");
    let ca = |v: Value| move |s: &mut Value| s["context"]["contextActivities"] = v;
    refused_at(w(), ca(json!({})), "statement.context.contextActivities");
    refused_at(
        w(),
        ca(json!("should fail")),
        "statement.context.contextActivities",
    );
    refused_at(
        w(),
        ca(json!({"consequences": [{"id": VIDEO}]})),
        "statement.context.contextActivities.consequences",
    );
    refused_at(
        w(),
        ca(json!({"other": [{"id": VIDEO}, {"key": "x"}]})),
        "statement.context.contextActivities.other[1].key",
    );
    refused_at(
        w(),
        ca(json!({"parent": "https://cartable.example"})),
        "statement.context.contextActivities.parent",
    );
}

#[test]
fn substatement_rules() {
    let sub = |extra: Value| {
        let mut s = json!({
            "actor": learner(),
            "verb": {"id": "https://cartable.example/verbs/planned"},
            "object": {
                "objectType": "SubStatement",
                "actor": learner(),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": VIDEO}
            }
        });
        if let (Some(o), Some(extra)) = (s["object"].as_object_mut(), extra.as_object()) {
            o.extend(extra.clone());
        }
        s
    };
    accepted(&sub(json!({})));
    let nested = json!({"object": {"objectType": "SubStatement", "actor": learner(), "verb": {"id": "https://a.example/v"}, "object": {"id": VIDEO}}});
    refused_at(sub(nested), |_| {}, "statement.object.object.objectType");
    let id = json!({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"});
    refused_at(sub(id), |_| {}, "statement.object.id");
    refused_at(
        sub(json!({"stored": "2026-01-01T00:00:00Z"})),
        |_| {},
        "statement.object.stored",
    );
    refused_at(
        sub(json!({"version": "1.0.0"})),
        |_| {},
        "statement.object.version",
    );
    refused_at(
        sub(json!({"authority": learner()})),
        |_| {},
        "statement.object.authority",
    );
    refused_at(
        sub(json!({"objectType": "substatement"})),
        |_| {},
        "statement.object.objectType",
    );
    refused_at(
        sub(json!({})),
        |s| {
            s["object"].as_object_mut().map(|m| m.remove("actor"));
        },
        "statement.object.actor",
    );
    refused_at(
        sub(json!({"timestamp": "2008-09-15T15:53:00.601-0000"})),
        |_| {},
        "statement.object.timestamp",
    );
}

#[test]
fn voiding_needs_a_statement_ref() {
    let voided =
        |s: &mut Value| s["verb"] = json!({"id": VOIDED_VERB, "display": {"en-US": "voided"}});
    refused_at(watched(), voided, "statement.object");
}

#[test]
fn attachments_have_their_required_fields() {
    let good = || {
        let mut s = watched();
        s["attachments"] = json!([{
            "usageType": "https://cartable.example/attachments/certificate",
            "display": {"fr": "Attestation"},
            "contentType": "application/pdf",
            "length": 27,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
            "fileUrl": "https://cartable.example/files/attestation.pdf"
        }]);
        s
    };
    accepted(&good());
    let at = |key: &str| format!("statement.attachments[0].{key}");
    for key in ["usageType", "display", "contentType", "length", "sha2"] {
        refused_at(
            good(),
            |s| {
                s["attachments"][0].as_object_mut().map(|m| m.remove(key));
            },
            &at(key),
        );
    }
    refused_at(
        good(),
        |s| s["attachments"][0]["usageType"] = json!("should fail"),
        &at("usageType"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["contentType"] = json!("should fail"),
        &at("contentType"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["length"] = json!("27"),
        &at("length"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["length"] = json!(-1),
        &at("length"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["sha2"] = json!(12345),
        &at("sha2"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["fileUrl"] = json!("should fail"),
        &at("fileUrl"),
    );
    refused_at(
        good(),
        |s| s["attachments"][0]["display"] = json!({"something": "x"}),
        "statement.attachments[0].display.something",
    );
    let signature = |s: &mut Value| {
        s["attachments"][0]["usageType"] = json!(SIGNATURE_USAGE);
        s["attachments"][0]["contentType"] = json!("text/plain; charset=ascii");
    };
    refused_at(good(), signature, &at("contentType"));
    refused_at(
        good(),
        |s| s["attachments"] = s["attachments"][0].clone(),
        "statement.attachments",
    );
}
