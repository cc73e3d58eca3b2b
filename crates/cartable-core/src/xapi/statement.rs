//! The statement as a whole (2.2 to 2.4): its top-level properties, the
//! object in its five shapes, SubStatements, result, context, attachments,
//! voiding, and the [`Facts`] collected on the way.
//!
//! One walk both validates and collects, so the facts can only describe a
//! statement that passed. Agents are checked in `agent`, activities in
//! `activity`, string formats in `syntax`, `langtag` and `time`.

use serde_json::Value;

use super::activity::{check_activity, check_extensions, merge_definition};
use super::agent::{Role, Who, check_agent};
use super::json::{Obj, as_array, index_path, invalid, wrong_type};
use super::langtag::{check_language_map, is_language_tag};
use super::syntax::{check_duration, check_iri, check_media_type, check_sha2_hex, check_uuid};
use super::time::parse_timestamp;
use super::{AttachmentInfo, Facts, Ifi, Invalid, SIGNATURE_USAGE, VOIDED_VERB, is_version_1_0};

const STATEMENT_KEYS: &[&str] = &[
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];

const SUBSTATEMENT_KEYS: &[&str] = &[
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
];

/// What the walk gathers from the statement and its SubStatement alike.
#[derive(Default)]
struct Collect {
    related_agents: Vec<Ifi>,
    related_activities: Vec<String>,
    definitions: Vec<(String, Value)>,
    attachments: Vec<AttachmentInfo>,
}

/// The object, once checked.
enum Object {
    Activity(String),
    Agent(Who),
    StatementRef(String),
    SubStatement,
}

/// What the shared part of a statement and a SubStatement yields.
struct Body {
    verb: String,
    actor: Who,
    object: Object,
    registration: Option<String>,
}

/// Validates one statement as received from a client, enforcing every
/// requirement an xAPI 1.0.3 LRS must enforce on the data (see the module
/// tests for one refusal per rule), and returns the checked statement's
/// facts. `null` is refused wherever the specification does not allow it,
/// which is everywhere but inside extensions.
pub fn check_statement(statement: &Value) -> Result<Facts, Invalid> {
    let o = Obj::new(statement, "statement", "a Statement")?;
    o.allow(STATEMENT_KEYS, "a Statement")?;
    let id = match o.str("id")? {
        Some(id) => Some(check_uuid(id).map_err(|m| invalid(o.at("id"), m))?),
        None => None,
    };
    let mut c = Collect::default();
    let body = check_body(&o, false, &mut c)?;
    if let Some(stored) = o.str("stored")? {
        parse_timestamp(stored).map_err(|m| invalid(o.at("stored"), m))?;
    }
    if let Some(authority) = o.get("authority") {
        check_agent(authority, &o.at("authority"), Role::Authority)?;
    }
    if let Some(version) = o.str("version")?
        && !is_version_1_0(version)
    {
        return Err(invalid(
            o.at("version"),
            format!("\"{version}\" is not a 1.0.x version (2.4.10)"),
        ));
    }
    let (activity, object_agent, refers_to) = match &body.object {
        Object::Activity(id) => (Some(id.clone()), Vec::new(), None),
        Object::Agent(who) => (None, who.all(), None),
        Object::StatementRef(target) => (None, Vec::new(), Some(target.clone())),
        Object::SubStatement => (None, Vec::new(), None),
    };
    Ok(Facts {
        id,
        voids: refers_to.clone().filter(|_| body.verb == VOIDED_VERB),
        verb: body.verb,
        actor: body.actor.all(),
        object_agent,
        activity,
        related_agents: dedup(c.related_agents),
        related_activities: dedup(c.related_activities),
        registration: body.registration,
        refers_to,
        timestamp: o.str("timestamp")?.map(str::to_owned),
        activities: merge_by_id(c.definitions),
        attachments: c.attachments,
    })
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn merge_by_id(definitions: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for (id, def) in definitions {
        match out.iter_mut().find(|(known, _)| *known == id) {
            Some(entry) => entry.1 = merge_definition(&entry.1, &def),
            None => out.push((id, def)),
        }
    }
    out
}

/// The properties a statement and a SubStatement share (2.4.4.3.s8.b2: a
/// SubStatement is validated as a statement).
fn check_body(o: &Obj, sub: bool, c: &mut Collect) -> Result<Body, Invalid> {
    let actor = check_agent(o.req("actor")?, &o.at("actor"), Role::Actor)?;
    c.related_agents.extend(actor.all());
    let verb = check_verb(o.req("verb")?, &o.at("verb"))?;
    let object = check_object(o.req("object")?, &o.at("object"), sub, c)?;
    if verb == VOIDED_VERB && !matches!(object, Object::StatementRef(_)) {
        return Err(invalid(
            o.at("object"),
            "a voiding Statement's object must be a StatementRef to the voided statement (2.3.2)",
        ));
    }
    if let Some(result) = o.get("result") {
        check_result(result, &o.at("result"))?;
    }
    let registration = match o.get("context") {
        Some(ctx) => {
            let on_activity = matches!(object, Object::Activity(_));
            check_context(ctx, &o.at("context"), on_activity, c)?
        }
        None => None,
    };
    if let Some(ts) = o.str("timestamp")? {
        parse_timestamp(ts).map_err(|m| invalid(o.at("timestamp"), m))?;
    }
    if let Some(list) = o.get("attachments") {
        check_attachments(list, &o.at("attachments"), c)?;
    }
    Ok(Body {
        verb,
        actor,
        object,
        registration,
    })
}

fn check_verb(v: &Value, path: &str) -> Result<String, Invalid> {
    let o = Obj::new(v, path, "a Verb")?;
    o.allow(&["id", "display"], "a Verb")?;
    let id = o.req_str("id")?;
    check_iri(id).map_err(|m| invalid(o.at("id"), m))?;
    if let Some(display) = o.get("display") {
        check_language_map(display, &o.at("display"))?;
    }
    Ok(id.to_owned())
}

/// The object, by `objectType` (2.4.4.s2: Activity when absent).
fn check_object(v: &Value, path: &str, sub: bool, c: &mut Collect) -> Result<Object, Invalid> {
    let o = Obj::new(
        v,
        path,
        "an Activity, Agent, Group, StatementRef or SubStatement",
    )?;
    match o.object_type()? {
        None | Some("Activity") => {
            let id = check_activity(v, path, &mut c.definitions)?;
            c.related_activities.push(id.clone());
            Ok(Object::Activity(id))
        }
        Some("Agent" | "Group") => {
            let who = check_agent(v, path, Role::Object)?;
            c.related_agents.extend(who.all());
            Ok(Object::Agent(who))
        }
        Some("StatementRef") => Ok(Object::StatementRef(check_statement_ref(v, path)?)),
        Some("SubStatement") if sub => Err(invalid(
            o.at("objectType"),
            "a SubStatement cannot contain another SubStatement (2.4.4.3.s8.b4)",
        )),
        Some("SubStatement") => {
            for key in ["id", "stored", "version", "authority"] {
                if o.has(key) {
                    return Err(invalid(
                        o.at(key),
                        format!("a SubStatement must not have \"{key}\" (2.4.4.3.s8.b3)"),
                    ));
                }
            }
            o.allow(SUBSTATEMENT_KEYS, "a SubStatement")?;
            check_body(&o, true, c)?;
            Ok(Object::SubStatement)
        }
        Some(other) => Err(invalid(
            o.at("objectType"),
            format!(
                "\"{other}\" is not an object type (Activity, Agent, Group, StatementRef, SubStatement)"
            ),
        )),
    }
}

/// A Statement Reference (2.4.4.3.s4): `objectType` "StatementRef" and a
/// UUID `id`. Returns the id lower-cased.
fn check_statement_ref(v: &Value, path: &str) -> Result<String, Invalid> {
    let o = Obj::new(v, path, "a StatementRef")?;
    o.allow(&["objectType", "id"], "a StatementRef")?;
    if o.get("objectType").is_none() {
        return Err(invalid(o.at("objectType"), "is required: \"StatementRef\""));
    }
    o.object_type_is("StatementRef")?;
    check_uuid(o.req_str("id")?).map_err(|m| invalid(o.at("id"), m))
}

/// The result (2.4.5) and its score (2.4.5.1).
fn check_result(v: &Value, path: &str) -> Result<(), Invalid> {
    let o = Obj::new(v, path, "a Result")?;
    o.allow(
        &[
            "score",
            "success",
            "completion",
            "response",
            "duration",
            "extensions",
        ],
        "a Result",
    )?;
    o.bool("success")?;
    o.bool("completion")?;
    o.str("response")?;
    if let Some(d) = o.str("duration")? {
        check_duration(d).map_err(|m| invalid(o.at("duration"), m))?;
    }
    if let Some(ext) = o.get("extensions") {
        check_extensions(ext, &o.at("extensions"))?;
    }
    let Some(score) = o.get("score") else {
        return Ok(());
    };
    let s = Obj::new(score, &o.at("score"), "a Score")?;
    s.allow(&["scaled", "raw", "min", "max"], "a Score")?;
    let (scaled, raw) = (s.number("scaled")?, s.number("raw")?);
    let (min, max) = (s.number("min")?, s.number("max")?);
    if let Some(x) = scaled.filter(|x| !(-1.0..=1.0).contains(x)) {
        return Err(invalid(
            s.at("scaled"),
            format!("{x} is not between -1 and 1"),
        ));
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo >= hi
    {
        return Err(invalid(
            s.at("min"),
            format!("{lo} must be less than max {hi}"),
        ));
    }
    if let (Some(r), Some(lo)) = (raw, min)
        && r < lo
    {
        return Err(invalid(s.at("raw"), format!("{r} is below min {lo}")));
    }
    if let (Some(r), Some(hi)) = (raw, max)
        && r > hi
    {
        return Err(invalid(s.at("raw"), format!("{r} is above max {hi}")));
    }
    Ok(())
}

const CONTEXT_KEYS: &[&str] = &[
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
];

/// The context (2.4.6). Returns the registration, lower-cased.
fn check_context(
    v: &Value,
    path: &str,
    on_activity: bool,
    c: &mut Collect,
) -> Result<Option<String>, Invalid> {
    let o = Obj::new(v, path, "a Context")?;
    o.allow(CONTEXT_KEYS, "a Context")?;
    let registration = match o.str("registration")? {
        Some(r) => Some(check_uuid(r).map_err(|m| invalid(o.at("registration"), m))?),
        None => None,
    };
    for (key, role) in [("instructor", Role::Actor), ("team", Role::Team)] {
        if let Some(who) = o.get(key) {
            c.related_agents
                .extend(check_agent(who, &o.at(key), role)?.all());
        }
    }
    for key in ["revision", "platform"] {
        if o.str(key)?.is_some() && !on_activity {
            return Err(invalid(
                o.at(key),
                "may only be used when the Statement's object is an Activity (2.4.6.s4)",
            ));
        }
    }
    if let Some(lang) = o.str("language")?
        && !is_language_tag(lang)
    {
        return Err(invalid(
            o.at("language"),
            format!("\"{lang}\" is not an RFC 5646 language tag"),
        ));
    }
    if let Some(st) = o.get("statement") {
        check_statement_ref(st, &o.at("statement"))?;
    }
    if let Some(ext) = o.get("extensions") {
        check_extensions(ext, &o.at("extensions"))?;
    }
    if let Some(ca) = o.get("contextActivities") {
        check_context_activities(ca, &o.at("contextActivities"), c)?;
    }
    Ok(registration)
}

/// contextActivities (2.4.6.2): keys parent, grouping, category, other; each
/// value an Activity or an array of Activities. An empty object is refused,
/// as the conformance suite expects.
fn check_context_activities(v: &Value, path: &str, c: &mut Collect) -> Result<(), Invalid> {
    let o = Obj::new(v, path, "a contextActivities object")?;
    o.allow(
        &["parent", "grouping", "category", "other"],
        "contextActivities",
    )?;
    if o.map.is_empty() {
        return Err(invalid(
            path,
            "must have parent, grouping, category or other",
        ));
    }
    for (key, value) in o.map {
        let at = o.at(key);
        let ids = match value {
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, a)| check_activity(a, &index_path(&at, i), &mut c.definitions))
                .collect::<Result<Vec<_>, _>>()?,
            Value::Object(_) => vec![check_activity(value, &at, &mut c.definitions)?],
            _ => {
                return Err(wrong_type(
                    &at,
                    "an Activity or an array of Activities",
                    value,
                ));
            }
        };
        c.related_activities.extend(ids);
    }
    Ok(())
}

const ATTACHMENT_KEYS: &[&str] = &[
    "usageType",
    "display",
    "description",
    "contentType",
    "length",
    "sha2",
    "fileUrl",
];

/// Attachment headers (2.4.11); a signature must be
/// `application/octet-stream` (2.6.s4.b1).
fn check_attachments(v: &Value, path: &str, c: &mut Collect) -> Result<(), Invalid> {
    for (i, item) in as_array(v, path)?.iter().enumerate() {
        let o = Obj::new(item, &index_path(path, i), "an Attachment")?;
        o.allow(ATTACHMENT_KEYS, "an Attachment")?;
        let usage_type = o.req_str("usageType")?;
        check_iri(usage_type).map_err(|m| invalid(o.at("usageType"), m))?;
        check_language_map(o.req("display")?, &o.at("display"))?;
        if let Some(d) = o.get("description") {
            check_language_map(d, &o.at("description"))?;
        }
        let content_type = o.req_str("contentType")?;
        check_media_type(content_type).map_err(|m| invalid(o.at("contentType"), m))?;
        let length = o.req("length")?;
        let length = length
            .as_u64()
            .ok_or_else(|| wrong_type(&o.at("length"), "a non-negative integer", length))?;
        let sha2 = o.req_str("sha2")?;
        check_sha2_hex(sha2).map_err(|m| invalid(o.at("sha2"), m))?;
        let file_url = o.str("fileUrl")?;
        if let Some(url) = file_url {
            check_iri(url).map_err(|m| invalid(o.at("fileUrl"), m))?;
        }
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if usage_type == SIGNATURE_USAGE
            && !essence.eq_ignore_ascii_case("application/octet-stream")
        {
            return Err(invalid(
                o.at("contentType"),
                "a signature attachment must be application/octet-stream (2.6)",
            ));
        }
        c.attachments.push(AttachmentInfo {
            usage_type: usage_type.to_owned(),
            content_type: content_type.to_owned(),
            length,
            sha2: sha2.to_owned(),
            file_url: file_url.map(str::to_owned),
        });
    }
    Ok(())
}
