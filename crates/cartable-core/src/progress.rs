//! A learner's progress, as a projection of their learning records: where
//! they stopped in each capsule, whether they finished it, how long they
//! spent. Nothing here is stored; every figure is read again from the
//! statements, so the records stay the one source of truth.
//!
//! The platform's own player records ADL verbs (launched, progressed,
//! completed) about capsule activities named `{public_url}/capsules/{id}`,
//! with the position in seconds in the xAPI video profile's `time` result
//! extension and the time spent since the last record in `result.duration`.

use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

pub const LAUNCHED: &str = "http://adlnet.gov/expapi/verbs/launched";
pub const PROGRESSED: &str = "http://adlnet.gov/expapi/verbs/progressed";
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
/// The position in the media, in seconds (xAPI video profile).
pub const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
/// How much of the media was reached, 0 to 1 (xAPI video profile).
pub const PROGRESS: &str = "https://w3id.org/xapi/video/extensions/progress";
/// The rendition watched ("360p", "audio", "auto"), in the context's
/// extensions (xAPI video profile).
pub const QUALITY: &str = "https://w3id.org/xapi/video/extensions/quality";
/// The device class a record was made on (phone, tablet, computer, tv), in
/// the context's extensions: cartable's own extension.
pub const DEVICE: &str = "urn:cartable:xapi:device";
/// Present in the context's extensions of a record made offline on a
/// satchel box (its value names the box): cartable's own extension.
pub const SATCHEL: &str = "urn:cartable:xapi:satchel";
/// The device classes the indicators count.
pub const DEVICES: &[&str] = &["phone", "tablet", "computer", "tv"];

/// A learner was at a live session (ADL verb).
pub const ATTENDED: &str = "http://adlnet.gov/expapi/verbs/attended";
/// The activity type of a live session (ADL activity type).
pub const MEETING: &str = "http://adlnet.gov/expapi/activities/meeting";

/// The activity id of a live session.
pub fn live_activity(public_url: &str, session: &str) -> String {
    format!("{}/live/{session}", public_url.trim_end_matches('/'))
}

/// The activity type of a capsule (xAPI video profile).
pub const VIDEO: &str = "https://w3id.org/xapi/video/activity-type/video";

/// The activity type of an audiobook (ADL's "media" activity type).
pub const MEDIA: &str = "http://adlnet.gov/expapi/activities/media";

/// The activity id of a capsule.
pub fn capsule_activity(public_url: &str, capsule: &str) -> String {
    format!("{}/capsules/{capsule}", public_url.trim_end_matches('/'))
}

/// The capsule id of an activity id, when it names one of this platform's
/// capsules.
pub fn capsule_of<'a>(public_url: &str, activity: &'a str) -> Option<&'a str> {
    let rest = activity.strip_prefix(public_url.trim_end_matches('/'))?;
    let id = rest.strip_prefix("/capsules/")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Where a learner is with one activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub activity: String,
    /// The position of the most recent record that gave one, in seconds.
    pub position: Option<f64>,
    /// The furthest point reached, 0 to 1, when the records say.
    pub reached: Option<f64>,
    pub completed: bool,
    /// Time spent, in seconds, summed over the records' durations.
    pub spent: f64,
    /// When the most recent record was made (its timestamp, else stored).
    pub last: String,
}

/// What one statement says about a learner's progress in its activity.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Step {
    pub position: Option<f64>,
    pub reached: Option<f64>,
    pub completed: bool,
    pub spent: f64,
}

/// The progress facts of one statement; None when its object is not an
/// activity.
pub fn step(statement: &Value) -> Option<(&str, Step)> {
    let activity = statement.pointer("/object/id").and_then(Value::as_str)?;
    if statement
        .pointer("/object/objectType")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "Activity")
    {
        return None;
    }
    let verb = statement
        .pointer("/verb/id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let extensions = statement.pointer("/result/extensions");
    let number = |key: &str| extensions.and_then(|e| e.get(key)).and_then(Value::as_f64);
    let completion = statement
        .pointer("/result/completion")
        .and_then(Value::as_bool);
    Some((
        activity,
        Step {
            position: number(TIME),
            reached: number(PROGRESS),
            completed: verb == COMPLETED || completion == Some(true),
            spent: statement
                .pointer("/result/duration")
                .and_then(Value::as_str)
                .and_then(duration_seconds)
                .unwrap_or(0.0),
        },
    ))
}

impl Step {
    /// Adds an older step to this (newer) one: the newest position stays,
    /// the furthest point, completion and the time spent add up.
    pub fn then_older(self, older: Step) -> Step {
        Step {
            position: self.position.or(older.position),
            reached: match (self.reached, older.reached) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            completed: self.completed || older.completed,
            spent: self.spent + older.spent,
        }
    }
}

/// Projects statements (newest first) into progress per activity, the
/// most recently used activity first. Voided statements are not given.
pub fn project(statements: &[Value]) -> Vec<Progress> {
    let mut by_activity: HashMap<&str, Progress> = HashMap::new();
    let mut order = Vec::new();
    for s in statements {
        let Some((activity, step)) = step(s) else {
            continue;
        };
        let entry = by_activity.entry(activity).or_insert_with(|| {
            order.push(activity);
            Progress {
                activity: activity.to_owned(),
                position: None,
                reached: None,
                completed: false,
                spent: 0.0,
                last: s
                    .get("timestamp")
                    .or_else(|| s.get("stored"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            }
        });
        let sum = Step {
            position: entry.position,
            reached: entry.reached,
            completed: entry.completed,
            spent: entry.spent,
        }
        .then_older(step);
        entry.position = sum.position;
        entry.reached = sum.reached;
        entry.completed = sum.completed;
        entry.spent = sum.spent;
    }
    order
        .into_iter()
        .filter_map(|a| by_activity.remove(a))
        .collect()
}

/// Seconds in an ISO 8601 duration such as `PT1M30.5S` or `P1DT2H`; years
/// and months count as 365 and 30 days (records of viewing never use them).
pub fn duration_seconds(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let (_, factor) = units.iter().find(|(u, _)| *u == c)?;
                total += number.parse::<f64>().ok()? * factor;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    read(
        days_part,
        &[
            ('Y', 365.0 * 86_400.0),
            ('M', 30.0 * 86_400.0),
            ('W', 7.0 * 86_400.0),
            ('D', 86_400.0),
        ],
    )?;
    if let Some(t) = time_part {
        read(t, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    Some(total)
}

/// An ISO 8601 duration for a number of seconds, to the hundredth.
pub fn duration_text(seconds: f64) -> String {
    format!("PT{:.2}S", seconds.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(verb: &str, activity: &str, time: Option<f64>, spent: &str, at: &str) -> Value {
        let mut s = json!({
            "verb": {"id": verb},
            "object": {"id": activity},
            "timestamp": at,
            "result": {"duration": spent}
        });
        if let Some(t) = time {
            s["result"]["extensions"] = json!({ TIME: t, PROGRESS: t / 100.0 });
        }
        s
    }

    #[test]
    fn the_newest_position_wins_and_time_adds_up() {
        let a = "https://hub.example/capsules/fractions";
        let b = "https://hub.example/capsules/volcans";
        // Newest first, as the store gives them.
        let records = vec![
            record(PROGRESSED, a, Some(42.0), "PT10S", "2026-11-29T10:03:00Z"),
            record(COMPLETED, b, Some(100.0), "PT5S", "2026-11-29T10:02:00Z"),
            record(PROGRESSED, a, Some(61.0), "PT20S", "2026-11-29T10:01:00Z"),
            record(LAUNCHED, a, None, "PT0S", "2026-11-29T10:00:00Z"),
        ];
        let progress = project(&records);
        assert_eq!(progress.len(), 2);
        assert_eq!(progress[0].activity, a);
        assert_eq!(
            progress[0].position,
            Some(42.0),
            "the newest, not the furthest"
        );
        assert_eq!(progress[0].reached, Some(0.61));
        assert!(!progress[0].completed);
        assert!((progress[0].spent - 30.0).abs() < 1e-9);
        assert_eq!(progress[0].last, "2026-11-29T10:03:00Z");
        assert!(progress[1].completed);
    }

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(duration_seconds("PT1M30.5S"), Some(90.5));
        assert_eq!(duration_seconds("P1DT2H"), Some(93_600.0));
        assert_eq!(duration_seconds("PT"), Some(0.0));
        assert_eq!(duration_seconds("1M"), None);
        assert_eq!(duration_seconds("PT5X"), None);
        assert_eq!(duration_seconds("PT5"), None);
        assert_eq!(duration_seconds(&duration_text(12.345)), Some(12.35));
    }

    #[test]
    fn capsule_ids_come_back_from_their_activity() {
        let iri = capsule_activity("https://hub.example/", "maths-6-fractions");
        assert_eq!(iri, "https://hub.example/capsules/maths-6-fractions");
        assert_eq!(
            capsule_of("https://hub.example", &iri),
            Some("maths-6-fractions")
        );
        assert_eq!(capsule_of("https://other.example", &iri), None);
        assert_eq!(
            capsule_of("https://hub.example", "https://hub.example/capsules/a/b"),
            None
        );
    }
}
