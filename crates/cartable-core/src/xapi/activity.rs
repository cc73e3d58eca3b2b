//! Activities (2.4.4.1): their id, their definition with its interaction
//! properties and component lists, extensions maps (4.1), and the merge of
//! definitions the Activities resource keeps.

use serde_json::{Map, Value};

use super::Invalid;
use super::json::{Obj, as_array, as_str, index_path, invalid, key_path, wrong_type};
use super::langtag::check_language_map;
use super::syntax::check_iri;

const DEFINITION_KEYS: &[&str] = &[
    "name",
    "description",
    "type",
    "moreInfo",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
    "extensions",
];

const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];

/// The component lists each interaction type may carry (2.4.4.1.s15).
fn lists_for(interaction: &str) -> Option<&'static [&'static str]> {
    Some(match interaction {
        "choice" | "sequencing" => &["choices"],
        "likert" => &["scale"],
        "matching" => &["source", "target"],
        "performance" => &["steps"],
        "true-false" | "fill-in" | "long-fill-in" | "numeric" | "other" => &[],
        _ => return None,
    })
}

/// Validates an Activity object and records its definition, if any, in
/// `definitions`. Returns the activity id.
pub(super) fn check_activity(
    v: &Value,
    path: &str,
    definitions: &mut Vec<(String, Value)>,
) -> Result<String, Invalid> {
    let o = Obj::new(v, path, "an Activity")?;
    o.allow(&["objectType", "id", "definition"], "an Activity")?;
    o.object_type_is("Activity")?;
    let id = o.req_str("id")?;
    check_iri(id).map_err(|m| invalid(o.at("id"), m))?;
    if let Some(def) = o.get("definition") {
        check_definition(def, &o.at("definition"))?;
        definitions.push((id.to_owned(), def.clone()));
    }
    Ok(id.to_owned())
}

fn check_definition(v: &Value, path: &str) -> Result<(), Invalid> {
    let o = Obj::new(v, path, "an Activity definition")?;
    o.allow(DEFINITION_KEYS, "an Activity definition")?;
    // The conformance suite refuses `"definition": {}`: a definition that
    // defines nothing is a mistake in the sender, not a choice.
    if o.map.is_empty() {
        return Err(invalid(
            path,
            "must define something (name, description, type…)",
        ));
    }
    for key in ["name", "description"] {
        if let Some(map) = o.get(key) {
            check_language_map(map, &o.at(key))?;
        }
    }
    for key in ["type", "moreInfo"] {
        if let Some(iri) = o.str(key)? {
            check_iri(iri).map_err(|m| invalid(o.at(key), m))?;
        }
    }
    if let Some(ext) = o.get("extensions") {
        check_extensions(ext, &o.at("extensions"))?;
    }
    check_interaction(&o)
}

/// `interactionType`, `correctResponsesPattern` and the component lists:
/// interaction properties need an interaction type (2.4.4.1.s8), which must
/// be one of the ten, spelled exactly (2.4.4.1.s13.b1), and each type only
/// carries its own lists.
fn check_interaction(o: &Obj) -> Result<(), Invalid> {
    let Some(interaction) = o.str("interactionType")? else {
        let stray = std::iter::once("correctResponsesPattern")
            .chain(COMPONENT_LISTS)
            .find(|k| o.has(k));
        return match stray {
            Some(k) => Err(invalid(
                o.at(k),
                "is an interaction property: the definition needs an interactionType",
            )),
            None => Ok(()),
        };
    };
    let allowed = lists_for(interaction).ok_or_else(|| {
        invalid(
            o.at("interactionType"),
            format!(
                "\"{interaction}\" is not an interaction type (true-false, choice, fill-in, long-fill-in, matching, performance, sequencing, likert, numeric, other)"
            ),
        )
    })?;
    if let Some(pattern) = o.get("correctResponsesPattern") {
        let at = o.at("correctResponsesPattern");
        for (i, p) in as_array(pattern, &at)?.iter().enumerate() {
            as_str(p, &index_path(&at, i))?;
        }
    }
    for list in COMPONENT_LISTS {
        let Some(components) = o.get(list) else {
            continue;
        };
        if !allowed.contains(&list) {
            return Err(invalid(
                o.at(list),
                format!("is not allowed for interactionType \"{interaction}\""),
            ));
        }
        check_components(components, &o.at(list))?;
    }
    Ok(())
}

/// An array of interaction components, `{id, description}`, with distinct
/// ids (2.4.4.1.s16.b1).
fn check_components(v: &Value, path: &str) -> Result<(), Invalid> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in as_array(v, path)?.iter().enumerate() {
        let o = Obj::new(c, &index_path(path, i), "an interaction component")?;
        o.allow(&["id", "description"], "an interaction component")?;
        let id = o.req_str("id")?;
        if seen.contains(&id) {
            return Err(invalid(
                o.at("id"),
                format!("\"{id}\" is used twice in this list; component ids must be distinct"),
            ));
        }
        seen.push(id);
        if let Some(d) = o.get("description") {
            check_language_map(d, &o.at("description"))?;
        }
    }
    Ok(())
}

/// An extensions map: keys are IRIs (4.1.s3.b1); values are anything,
/// `null` included, and never a reason to refuse (4.1.s3.b2).
pub(super) fn check_extensions(v: &Value, path: &str) -> Result<(), Invalid> {
    let map = v
        .as_object()
        .ok_or_else(|| wrong_type(path, "an extensions object keyed by IRIs", v))?;
    for key in map.keys() {
        check_iri(key).map_err(|m| invalid(key_path(path, key), m))?;
    }
    Ok(())
}

/// Merges a newly seen definition into the stored one: language maps
/// (`name`, `description`) merged key by key, newer values winning; every
/// other property replaced when the new definition has it (2.4.4.1.s4.b3
/// leaves the policy to the LRS; this keeps translations learnt earlier).
pub fn merge_definition(old: &Value, new: &Value) -> Value {
    let (Some(old_map), Some(new_map)) = (old.as_object(), new.as_object()) else {
        return new.clone();
    };
    let mut merged: Map<String, Value> = old_map.clone();
    for (key, value) in new_map {
        let combined = match (key.as_str(), merged.get(key)) {
            ("name" | "description", Some(Value::Object(before))) if value.is_object() => {
                let mut map = before.clone();
                if let Some(after) = value.as_object() {
                    map.extend(after.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                Value::Object(map)
            }
            _ => value.clone(),
        };
        merged.insert(key.clone(), combined);
    }
    Value::Object(merged)
}
