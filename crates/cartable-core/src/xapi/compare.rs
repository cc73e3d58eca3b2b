//! Statement comparison (2.3.1, "Statement Comparison Requirements"), for
//! the idempotent re-send rule and for checking a signature's payload.
//!
//! Differences the immutability exceptions allow are ignored: `stored`,
//! `authority`, `version`, an `id` or `timestamp` only one side has (the LRS
//! assigns them), the serialisation of timestamps, Activity definitions and
//! Verb displays (not part of the statement, 2.3.1.b2–b3), the order of
//! Group members, a single context Activity versus an array of one, case
//! where the specification makes it insensitive (UUIDs, e-mail domains,
//! hashes, IRI schemes and hosts, language tags), default `objectType`s, and
//! duration precision below hundredths of a second (4.6.s1.b5). Every other
//! difference counts. JSON property order never matters.

use serde_json::{Map, Value};

use super::syntax::{check_mailto, normalize_iri, truncate_duration};
use super::time::{format_timestamp, parse_timestamp};

/// Statement comparison per the specification, for the idempotent re-send
/// rule (same id, same content: accepted; different: 409). Both inputs are
/// statements that passed [`super::check_statement`].
pub fn same_statement(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let (mut a, mut b) = (a.clone(), b.clone());
    for key in ["stored", "authority", "version"] {
        a.remove(key);
        b.remove(key);
    }
    for key in ["id", "timestamp"] {
        if a.contains_key(key) != b.contains_key(key) {
            a.remove(key);
            b.remove(key);
        }
    }
    let (mut a, mut b) = (Value::Object(a), Value::Object(b));
    normalize_statement(&mut a);
    normalize_statement(&mut b);
    a == b
}

fn lower(v: &mut Value) {
    if let Value::String(s) = v {
        *s = s.to_lowercase();
    }
}

fn iri(v: &mut Value) {
    if let Value::String(s) = v {
        *s = normalize_iri(s);
    }
}

fn each(map: &mut Map<String, Value>, key: &str, f: fn(&mut Value)) {
    if let Some(v) = map.get_mut(key) {
        f(v);
    }
}

/// Numbers compare by value: `1` and `1.0` are the same number.
fn numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(x) = n.as_f64() {
                *v = Value::from(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(numbers),
        Value::Object(map) => map.values_mut().for_each(numbers),
        _ => {}
    }
}

/// Normalises a statement or SubStatement in place.
pub(super) fn normalize_statement(v: &mut Value) {
    let Some(map) = v.as_object_mut() else {
        return;
    };
    each(map, "id", lower);
    each(map, "timestamp", |t| {
        if let Some(instant) = t.as_str().and_then(|s| parse_timestamp(s).ok()) {
            *t = Value::String(format_timestamp(instant));
        }
    });
    each(map, "actor", agent);
    each(map, "verb", |verb| {
        if let Some(verb) = verb.as_object_mut() {
            verb.remove("display");
            each(verb, "id", iri);
        }
    });
    each(map, "object", object);
    each(map, "result", result);
    each(map, "context", context);
    each(map, "attachments", |list| {
        for item in list.as_array_mut().into_iter().flatten() {
            if let Some(att) = item.as_object_mut() {
                each(att, "usageType", iri);
                each(att, "fileUrl", iri);
                each(att, "sha2", lower);
                each(att, "display", language_keys);
                each(att, "description", language_keys);
            }
        }
    });
    numbers(v);
}

fn language_keys(v: &mut Value) {
    if let Value::Object(map) = v {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
    }
}

fn extensions(v: &mut Value) {
    if let Value::Object(map) = v {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| (normalize_iri(&k), v))
            .collect();
    }
}

fn agent(v: &mut Value) {
    let Some(map) = v.as_object_mut() else {
        return;
    };
    map.entry("objectType").or_insert_with(|| "Agent".into());
    each(map, "mbox", |m| {
        if let Some(canonical) = m.as_str().and_then(|s| check_mailto(s).ok()) {
            *m = Value::String(canonical);
        }
    });
    each(map, "mbox_sha1sum", lower);
    each(map, "openid", iri);
    each(map, "account", |acc| {
        if let Some(acc) = acc.as_object_mut() {
            each(acc, "homePage", iri);
        }
    });
    each(map, "member", |members| {
        if let Value::Array(list) = members {
            list.iter_mut().for_each(agent);
            list.iter_mut().for_each(numbers);
            list.sort_by_cached_key(canonical_text);
        }
    });
}

fn activity(v: &mut Value) {
    if let Some(map) = v.as_object_mut() {
        map.entry("objectType").or_insert_with(|| "Activity".into());
        map.remove("definition");
        each(map, "id", iri);
    }
}

fn object(v: &mut Value) {
    let kind = v
        .get("objectType")
        .and_then(Value::as_str)
        .unwrap_or("Activity")
        .to_owned();
    match kind.as_str() {
        "Agent" | "Group" => agent(v),
        "StatementRef" => {
            if let Some(map) = v.as_object_mut() {
                each(map, "id", lower);
            }
        }
        "SubStatement" => normalize_statement(v),
        _ => activity(v),
    }
}

fn result(v: &mut Value) {
    if let Some(map) = v.as_object_mut() {
        each(map, "duration", |d| {
            if let Some(s) = d.as_str() {
                *d = Value::String(truncate_duration(s));
            }
        });
        each(map, "extensions", extensions);
    }
}

fn context(v: &mut Value) {
    let Some(map) = v.as_object_mut() else {
        return;
    };
    each(map, "registration", lower);
    each(map, "instructor", agent);
    each(map, "team", agent);
    each(map, "language", lower);
    each(map, "extensions", extensions);
    each(map, "statement", |st| {
        if let Some(st) = st.as_object_mut() {
            each(st, "id", lower);
        }
    });
    each(map, "contextActivities", |ca| {
        for value in ca.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
            if value.is_object() {
                *value = Value::Array(vec![value.take()]);
            }
            for a in value.as_array_mut().into_iter().flatten() {
                activity(a);
            }
        }
    });
}

/// A text that is equal for equal JSON values whatever their key order,
/// to sort unordered lists by.
fn canonical_text(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(k) {
                    write_canonical(val, out);
                }
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
