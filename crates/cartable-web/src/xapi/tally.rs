//! What a group of stored statements adds to the city indicators: counts
//! per day, school, capsule, channel, device and rendition, and the
//! learners active on each day and week. Only the platform's own users'
//! records count (an outside tool's agents belong to no school).

use cartable_core::progress::{self, DEVICE, DEVICES, LAUNCHED, QUALITY, SATCHEL};
use cartable_core::xapi;
use cartable_store::indicators::{ActivityCount, IndicatorDelta, LearnerSeen};
use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A statement to count: its JSON, the login of its actor, and when it was
/// stored.
pub struct Counted<'a> {
    pub value: &'a Value,
    pub login: &'a str,
    pub stored: DateTime<Utc>,
}

/// The counts these statements add; `schools` gives each learner's school.
pub fn tally(
    home_page: &str,
    statements: &[Counted<'_>],
    schools: &HashMap<String, String>,
) -> IndicatorDelta {
    let mut activity: HashMap<[String; 6], ActivityCount> = HashMap::new();
    let mut seen = HashSet::new();
    for c in statements {
        let when = c
            .value
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| xapi::parse_timestamp(t).ok())
            .unwrap_or(c.stored);
        let day = when.format("%Y-%m-%d").to_string();
        let iso = when.iso_week();
        let week = format!("{}-W{:02}", iso.year(), iso.week());
        let school = schools.get(c.login).cloned().unwrap_or_default();
        let extensions = c.value.pointer("/context/extensions");
        let extension = |key: &str| extensions.and_then(|e| e.get(key));
        let channel = if extension(SATCHEL).is_some() {
            "offline"
        } else {
            "online"
        };
        let device = extension(DEVICE)
            .and_then(Value::as_str)
            .filter(|d| DEVICES.contains(d))
            .unwrap_or("");
        let quality = extension(QUALITY)
            .and_then(Value::as_str)
            .filter(|q| q.len() <= 16 && q.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("");
        let (capsule, step) = match progress::step(c.value) {
            Some((activity, step)) => (
                progress::capsule_of(home_page, activity).unwrap_or(""),
                step,
            ),
            None => ("", progress::Step::default()),
        };
        let verb = c.value.pointer("/verb/id").and_then(Value::as_str);
        let key = [
            day.clone(),
            school.clone(),
            capsule.to_owned(),
            channel.to_owned(),
            device.to_owned(),
            quality.to_owned(),
        ];
        let entry = activity.entry(key).or_insert_with(|| ActivityCount {
            day: day.clone(),
            school: school.clone(),
            capsule: capsule.to_owned(),
            channel: channel.to_owned(),
            device: device.to_owned(),
            quality: quality.to_owned(),
            ..ActivityCount::default()
        });
        entry.records += 1;
        entry.starts += i64::from(verb == Some(LAUNCHED));
        entry.completions += i64::from(verb == Some(progress::COMPLETED));
        entry.seconds += step.spent.round() as i64;
        seen.insert(LearnerSeen {
            login: c.login.to_owned(),
            day,
            week,
            school,
        });
    }
    let mut activity: Vec<ActivityCount> = activity.into_values().collect();
    activity.sort_by(|a, b| {
        (
            &a.day, &a.school, &a.capsule, &a.channel, &a.device, &a.quality,
        )
            .cmp(&(
                &b.day, &b.school, &b.capsule, &b.channel, &b.device, &b.quality,
            ))
    });
    let mut seen: Vec<LearnerSeen> = seen.into_iter().collect();
    seen.sort_by(|a, b| (&a.login, &a.day).cmp(&(&b.login, &b.day)));
    IndicatorDelta { activity, seen }
}
