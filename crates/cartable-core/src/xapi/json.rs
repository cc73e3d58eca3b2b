//! JSON in and out of the validators: [`parse_json`], which refuses a
//! property used twice, and typed reading of objects that keeps the path of
//! every value, so each refusal says where it happened. The validators read
//! statements only through these helpers, which is also where `null` is
//! refused (2.2.s4.b1): a `null` is never the type a property asks for.

use serde_json::{Map, Value};

use super::Invalid;

pub(super) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// "a string", "null" … for messages.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The refusal for a value of the wrong JSON type.
pub(super) fn wrong_type(path: &str, expected: &str, got: &Value) -> Invalid {
    if got.is_null() {
        invalid(
            path,
            format!("must be {expected}; null is not allowed here"),
        )
    } else {
        invalid(path, format!("must be {expected}, not {}", kind(got)))
    }
}

/// `path.key` for plain keys, `path["key"]` for IRIs and language tags.
pub(super) fn key_path(path: &str, key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

pub(super) fn index_path(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub(super) fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, Invalid> {
    v.as_str().ok_or_else(|| wrong_type(path, "a string", v))
}

pub(super) fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, Invalid> {
    v.as_array().ok_or_else(|| wrong_type(path, "an array", v))
}

/// A JSON object being checked, with its path.
pub(super) struct Obj<'a> {
    pub path: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    /// `what` names the object in the message ("an Agent", "a Result"…).
    pub fn new(v: &'a Value, path: &str, what: &str) -> Result<Self, Invalid> {
        match v.as_object() {
            Some(map) => Ok(Self {
                path: path.to_owned(),
                map,
            }),
            None => Err(wrong_type(path, &format!("{what} (a JSON object)"), v)),
        }
    }

    /// Refuses any property not in `allowed` (2.2.s4.b1.b5, b7, s4.b8): keys
    /// are case-sensitive, so `Actor` is refused as well as `foo`.
    pub fn allow(&self, allowed: &[&str], what: &str) -> Result<(), Invalid> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(invalid(
                self.at(k),
                format!("is not a property of {what} (properties are case-sensitive)"),
            )),
            None => Ok(()),
        }
    }

    /// The path of a property.
    pub fn at(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn req(&self, key: &str) -> Result<&'a Value, Invalid> {
        self.get(key)
            .ok_or_else(|| invalid(self.at(key), "is required"))
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, Invalid> {
        self.get(key).map(|v| as_str(v, &self.at(key))).transpose()
    }

    pub fn req_str(&self, key: &str) -> Result<&'a str, Invalid> {
        as_str(self.req(key)?, &self.at(key))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, Invalid> {
        self.get(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| wrong_type(&self.at(key), "a boolean (true or false)", v))
            })
            .transpose()
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, Invalid> {
        self.get(key)
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| wrong_type(&self.at(key), "a number", v))
            })
            .transpose()
    }

    /// The `objectType` if present, which must then be a string.
    pub fn object_type(&self) -> Result<Option<&'a str>, Invalid> {
        self.str("objectType")
    }

    /// Requires `objectType`, when present, to be exactly `expected`
    /// (enumerated values are case-sensitive, 2.2.s4.b1.b6).
    pub fn object_type_is(&self, expected: &str) -> Result<(), Invalid> {
        match self.object_type()? {
            Some(t) if t != expected => Err(invalid(
                self.at("objectType"),
                format!("must be \"{expected}\" here, not \"{t}\""),
            )),
            _ => Ok(()),
        }
    }
}

/// Parses a request body as JSON, refusing an object that uses a property
/// twice (2.2.s2.b2: "A Statement MUST use each property no more than one
/// time"). `serde_json::from_slice` would silently keep the last value.
pub fn parse_json(body: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde::Deserializer::deserialize_any(&mut de, StrictVisitor)
        .map_err(|e| format!("the body is not valid JSON: {e}"))?;
    de.end()
        .map_err(|e| format!("the body is not valid JSON: {e}"))?;
    Ok(value)
}

/// Builds a [`Value`] like serde_json's own visitor, but refuses duplicate
/// keys.
struct StrictVisitor;

struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "property \"{key}\" is used twice in one object"
                )));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}
