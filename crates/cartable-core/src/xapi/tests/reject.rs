//! One refusal per rule, each asserting where the statement was refused:
//! agents, language maps, numbers and string formats here; the shape of
//! statements, objects, contexts and attachments in `reject_shape`.

use super::*;

/// `edit` applied to a valid statement makes it invalid at `path`.
pub(super) fn refused_at(mut s: Value, edit: impl FnOnce(&mut Value), path: &str) {
    edit(&mut s);
    match check_statement(&s) {
        Ok(_) => panic!("accepted, expected a refusal at {path}: {s}"),
        Err(e) => assert_eq!(e.path, path, "refused for another reason: {e}"),
    }
}

#[test]
fn an_agent_has_exactly_one_valid_identifier() {
    let w = watched;
    refused_at(
        w(),
        |s| s["actor"]["mbox"] = json!("mailto:a@b.org"),
        "statement.actor",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"name": "Amina"}),
        "statement.actor",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"mbox": "amina@cartable.example"}),
        "statement.actor.mbox",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"mbox": "mailto:cartable.example"}),
        "statement.actor.mbox",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"mbox": "http://cartable.example"}),
        "statement.actor.mbox",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"mbox_sha1sum": "ebd31e95"}),
        "statement.actor.mbox_sha1sum",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"mbox_sha1sum": {"k": "v"}}),
        "statement.actor.mbox_sha1sum",
    );
    refused_at(
        w(),
        |s| s["actor"] = json!({"openid": "not a uri"}),
        "statement.actor.openid",
    );
    refused_at(
        w(),
        |s| s["actor"]["account"] = json!({"name": "amina.b"}),
        "statement.actor.account.homePage",
    );
    refused_at(
        w(),
        |s| s["actor"]["account"]["homePage"] = json!("ab=c://x.org"),
        "statement.actor.account.homePage",
    );
    refused_at(
        w(),
        |s| s["actor"]["account"]["name"] = json!({"k": "v"}),
        "statement.actor.account.name",
    );
    refused_at(
        w(),
        |s| s["actor"]["name"] = json!(12),
        "statement.actor.name",
    );
    refused_at(
        w(),
        |s| s["actor"]["objectType"] = json!("agent"),
        "statement.actor.objectType",
    );
    refused_at(
        w(),
        |s| s["actor"]["member"] = json!([]),
        "statement.actor.member",
    );
}

#[test]
fn groups_need_members_that_are_agents() {
    let w = watched;
    let group = |member: Value| json!({"objectType": "Group", "member": member});
    refused_at(
        w(),
        |s| s["actor"] = json!({"objectType": "Group", "name": "B"}),
        "statement.actor.member",
    );
    refused_at(
        w(),
        |s| s["actor"] = group(json!([])),
        "statement.actor.member",
    );
    refused_at(
        w(),
        |s| s["actor"] = group(json!(learner())),
        "statement.actor.member",
    );
    let inner = json!([{"objectType": "Group", "mbox": "mailto:g@b.org"}]);
    refused_at(
        w(),
        |s| s["actor"] = group(inner),
        "statement.actor.member[0].objectType",
    );
    refused_at(
        w(),
        |s| s["actor"] = group(json!([{"name": "x"}])),
        "statement.actor.member[0]",
    );
    refused_at(
        w(),
        |s| s["context"]["team"] = learner(),
        "statement.context.team",
    );
    refused_at(
        w(),
        |s| s["context"]["instructor"] = json!("Mme Alami"),
        "statement.context.instructor",
    );
}

#[test]
fn the_authority_is_an_agent_or_a_pair() {
    let w = watched;
    let pair = |extra: Value| {
        let mut g = json!({"objectType": "Group", "member": [
            {"account": {"homePage": "https://cartable.example/oauth", "name": "app"}},
            {"mbox": "mailto:amina@cartable.example"}
        ]});
        if let (Some(g), Some(extra)) = (g.as_object_mut(), extra.as_object()) {
            g.extend(extra.clone());
        }
        g
    };
    refused_at(
        w(),
        |s| s["authority"] = pair(json!({"mbox": "mailto:g@b.org"})),
        "statement.authority",
    );
    let three =
        json!({"member": [learner(), {"mbox": "mailto:a@b.org"}, {"mbox": "mailto:c@b.org"}]});
    refused_at(
        w(),
        |s| s["authority"] = pair(three),
        "statement.authority.member",
    );
    refused_at(
        w(),
        |s| s["authority"] = json!({"name": "LRS"}),
        "statement.authority",
    );
}

#[test]
fn language_maps_have_rfc_5646_keys_and_string_values() {
    let w = watched;
    refused_at(
        w(),
        |s| s["verb"]["display"] = json!({"a12345678": "played"}),
        "statement.verb.display.a12345678",
    );
    refused_at(
        w(),
        |s| s["verb"]["display"] = json!({"something": "x"}),
        "statement.verb.display.something",
    );
    refused_at(
        w(),
        |s| s["verb"]["display"] = json!("played"),
        "statement.verb.display",
    );
    refused_at(
        w(),
        |s| s["verb"]["display"]["en-US"] = Value::Null,
        "statement.verb.display[\"en-US\"]",
    );
    let bad = json!({"zh-z-aaa-z-bbb-c-ccc": "x"});
    refused_at(
        w(),
        |s| s["object"]["definition"]["name"] = bad,
        "statement.object.definition.name[\"zh-z-aaa-z-bbb-c-ccc\"]",
    );
    refused_at(
        w(),
        |s| s["context"]["language"] = json!("something"),
        "statement.context.language",
    );
}

#[test]
fn scores_are_in_range() {
    let a = answered;
    refused_at(
        a(),
        |s| s["result"]["score"]["scaled"] = json!(1.5),
        "statement.result.score.scaled",
    );
    refused_at(
        a(),
        |s| s["result"]["score"]["scaled"] = json!(-1.01),
        "statement.result.score.scaled",
    );
    refused_at(
        a(),
        |s| s["result"]["score"]["raw"] = json!(5),
        "statement.result.score.raw",
    );
    refused_at(
        a(),
        |s| s["result"]["score"]["raw"] = json!(-1),
        "statement.result.score.raw",
    );
    refused_at(
        a(),
        |s| s["result"]["score"]["min"] = json!(4),
        "statement.result.score.min",
    );
    refused_at(
        a(),
        |s| s["result"]["score"]["max"] = json!("100"),
        "statement.result.score.max",
    );
    refused_at(
        a(),
        |s| s["result"]["score"] = json!(12345),
        "statement.result.score",
    );
    refused_at(
        a(),
        |s| s["result"]["success"] = json!("true"),
        "statement.result.success",
    );
    refused_at(
        a(),
        |s| s["result"]["completion"] = json!("false"),
        "statement.result.completion",
    );
    refused_at(
        a(),
        |s| s["result"]["response"] = json!(12345),
        "statement.result.response",
    );
}

#[test]
fn durations_and_timestamps_follow_iso_8601() {
    let w = watched;
    refused_at(
        w(),
        |s| s["result"]["duration"] = json!("P1Y2MT"),
        "statement.result.duration",
    );
    refused_at(
        w(),
        |s| s["result"]["duration"] = json!("PA1H0M0S"),
        "statement.result.duration",
    );
    refused_at(
        w(),
        |s| s["result"]["duration"] = json!(12345),
        "statement.result.duration",
    );
    refused_at(
        w(),
        |s| s["timestamp"] = json!("2008-09-15T15:53:00.601-00:00"),
        "statement.timestamp",
    );
    refused_at(
        w(),
        |s| s["timestamp"] = json!("01/011/2015"),
        "statement.timestamp",
    );
    refused_at(
        w(),
        |s| s["stored"] = json!("should fail"),
        "statement.stored",
    );
}

#[test]
fn iris_uuids_and_extension_keys_are_checked() {
    let w = watched;
    refused_at(
        w(),
        |s| s["id"] = json!("AA97B177-9383-4934-8543-0F91A7A028368"),
        "statement.id",
    );
    refused_at(
        w(),
        |s| s["id"] = json!("MA97B177-9383-4934-8543-0F91A7A02836"),
        "statement.id",
    );
    refused_at(w(), |s| s["id"] = json!(12345), "statement.id");
    refused_at(
        w(),
        |s| s["context"]["registration"] = json!("should fail"),
        "statement.context.registration",
    );
    refused_at(
        w(),
        |s| s["verb"]["id"] = json!("played"),
        "statement.verb.id",
    );
    refused_at(
        w(),
        |s| s["object"]["id"] = json!("ab=c://should.fail.com"),
        "statement.object.id",
    );
    refused_at(
        w(),
        |s| s["object"]["definition"]["type"] = json!("video"),
        "statement.object.definition.type",
    );
    refused_at(
        w(),
        |s| s["object"]["definition"]["moreInfo"] = json!(""),
        "statement.object.definition.moreInfo",
    );
    let bad = json!({"should fail": true});
    refused_at(
        w(),
        |s| s["result"]["extensions"] = bad.clone(),
        "statement.result.extensions[\"should fail\"]",
    );
    refused_at(
        w(),
        |s| s["context"]["extensions"] = bad.clone(),
        "statement.context.extensions[\"should fail\"]",
    );
    refused_at(
        w(),
        |s| s["object"]["definition"]["extensions"] = bad,
        "statement.object.definition.extensions[\"should fail\"]",
    );
}
