//! The shapes a stored statement is returned in (Communication 2.1.3,
//! `format=exact|ids|canonical`). All three return every contextActivities
//! value as an array, which the LRS must do whatever was received
//! (2.4.6.2.s4.b3).
//!
//! This module reshapes one statement; it does not know the store's
//! canonical Activity definitions. For `canonical`, the handler substitutes
//! those first (or not), then calls [`format_canonical`] to keep one
//! language per map.

use serde_json::{Map, Value};

use super::langtag::best_language;

const IFI_KEYS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// format=exact: the statement as received, except that single
/// contextActivities values become arrays of one.
pub fn format_exact(statement: &Value) -> Value {
    let mut out = statement.clone();
    walk(&mut out, &mut |_, _| {});
    out
}

/// format=ids: agents and groups reduced to their IFI (+objectType),
/// activities to id (+objectType), verbs to id; members of anonymous groups
/// kept, as ids.
pub fn format_ids(statement: &Value) -> Value {
    let mut out = statement.clone();
    walk(&mut out, &mut |kind, v| match kind {
        Node::Agent => agent_ids(v),
        Node::Verb => keep(v, &["id"]),
        Node::Activity => keep(v, &["id", "objectType"]),
        Node::Attachment => {}
    });
    out
}

/// format=canonical: every language map (verb display, activity name and
/// description, interaction component descriptions, attachment display and
/// description) reduced to the one best tag for the caller's Accept-Language
/// list (ordered preferences, see [`super::accept_languages`]; falls back to
/// the first entry).
pub fn format_canonical(statement: &Value, accept_languages: &[String]) -> Value {
    let mut out = statement.clone();
    let pick = |map: &mut Value| reduce_map(map, accept_languages);
    walk(&mut out, &mut |kind, v| match kind {
        Node::Verb => field(v, "display", pick),
        Node::Attachment => {
            field(v, "display", pick);
            field(v, "description", pick);
        }
        Node::Activity => {
            if let Some(def) = v.get_mut("definition") {
                field(def, "name", pick);
                field(def, "description", pick);
                for list in ["choices", "scale", "source", "target", "steps"] {
                    for c in def
                        .get_mut(list)
                        .and_then(Value::as_array_mut)
                        .into_iter()
                        .flatten()
                    {
                        field(c, "description", pick);
                    }
                }
            }
        }
        Node::Agent => {}
    });
    out
}

/// What a visited node is.
#[derive(Clone, Copy)]
enum Node {
    Agent,
    Verb,
    Activity,
    Attachment,
}

/// Visits every agent, verb, activity and attachment of a statement (and of
/// its SubStatement), turning single contextActivities into arrays on the
/// way.
fn walk(statement: &mut Value, f: &mut dyn FnMut(Node, &mut Value)) {
    let Some(map) = statement.as_object_mut() else {
        return;
    };
    for key in ["actor", "authority"] {
        if let Some(v) = map.get_mut(key) {
            f(Node::Agent, v);
        }
    }
    if let Some(v) = map.get_mut("verb") {
        f(Node::Verb, v);
    }
    if let Some(obj) = map.get_mut("object") {
        match obj
            .get("objectType")
            .and_then(Value::as_str)
            .unwrap_or("Activity")
        {
            "Agent" | "Group" => f(Node::Agent, obj),
            "SubStatement" => walk(obj, f),
            "StatementRef" => {}
            _ => f(Node::Activity, obj),
        }
    }
    if let Some(ctx) = map.get_mut("context").and_then(Value::as_object_mut) {
        for key in ["instructor", "team"] {
            if let Some(v) = ctx.get_mut(key) {
                f(Node::Agent, v);
            }
        }
        let lists = ctx
            .get_mut("contextActivities")
            .and_then(Value::as_object_mut);
        for value in lists.into_iter().flat_map(|m| m.values_mut()) {
            if value.is_object() {
                *value = Value::Array(vec![value.take()]);
            }
            for a in value.as_array_mut().into_iter().flatten() {
                f(Node::Activity, a);
            }
        }
    }
    let attachments = map.get_mut("attachments").and_then(Value::as_array_mut);
    for a in attachments.into_iter().flatten() {
        f(Node::Attachment, a);
    }
}

fn field(v: &mut Value, key: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(inner) = v.get_mut(key) {
        f(inner);
    }
}

fn keep(v: &mut Value, keys: &[&str]) {
    if let Some(map) = v.as_object_mut() {
        map.retain(|k, _| keys.contains(&k.as_str()));
    }
}

/// An agent or identified group keeps its IFI and objectType; an anonymous
/// group keeps its objectType and its members, each reduced the same way.
fn agent_ids(v: &mut Value) {
    let Some(map) = v.as_object_mut() else {
        return;
    };
    let identified = IFI_KEYS.iter().any(|k| map.contains_key(*k));
    if identified {
        map.retain(|k, _| k == "objectType" || IFI_KEYS.contains(&k.as_str()));
        return;
    }
    map.retain(|k, _| k == "objectType" || k == "member");
    let members = map.get_mut("member").and_then(Value::as_array_mut);
    for m in members.into_iter().flatten() {
        agent_ids(m);
    }
}

/// Keeps the one best entry of a language map.
fn reduce_map(v: &mut Value, prefs: &[String]) {
    let Some(map) = v.as_object_mut() else {
        return;
    };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let Some(best) = best_language(&keys, prefs).map(str::to_owned) else {
        return;
    };
    if let Some(text) = map.remove(&best) {
        let mut only = Map::new();
        only.insert(best, text);
        *map = only;
    }
}
