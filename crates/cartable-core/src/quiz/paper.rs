//! Quizzes: what one asks (a fixed list of questions, or a number drawn
//! from a bank by tags), the rules of its attempts, the paper each learner
//! gets, and the figures teachers read afterwards.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// When a learner sees whether they were right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// After each answer, which is then final.
    #[default]
    Instant,
    /// Once the attempt is finished.
    Deferred,
}

/// A quiz as a teacher sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizSpec {
    pub title: String,
    /// The language of its page.
    pub lang: String,
    pub bank: String,
    /// Draw from the bank's questions that have all of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// How many questions each paper has; all that match when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<usize>,
    /// Each learner gets their own order (and, when drawing, their own
    /// questions); otherwise the bank's order.
    #[serde(default)]
    pub shuffle: bool,
    /// Seconds from the start after which the server takes no answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<i64>,
    #[serde(default)]
    pub feedback: Feedback,
    /// How many attempts a learner may make; any number when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i64>,
    /// The share of the points that passes, 0 to 1.
    pub pass: f64,
    /// "Check your understanding" after this capsule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capsule: Option<String>,
    /// The end of a unit of this programme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
}

impl QuizSpec {
    pub fn check(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("a quiz needs a title".into());
        }
        if !(0.0..=1.0).contains(&self.pass) {
            return Err(format!(
                "the pass mark {} is not between 0 and 1",
                self.pass
            ));
        }
        if self.draw == Some(0) {
            return Err("a quiz draws at least one question".into());
        }
        if self.time_limit.is_some_and(|t| t < 5) {
            return Err("a time limit is at least 5 seconds".into());
        }
        if self.attempts.is_some_and(|a| a < 1) {
            return Err("a quiz allows at least one attempt".into());
        }
        Ok(())
    }
}

/// The paper of one attempt: `count` of the candidates (all when unset),
/// in the candidates' order or, with `shuffle`, in an order (and a choice)
/// that `seed` decides. The seed is the attempt's id, so the same attempt
/// always gets the same paper.
pub fn draw(candidates: &[String], count: Option<usize>, shuffle: bool, seed: &str) -> Vec<String> {
    picks(candidates.len(), count, shuffle, seed)
        .into_iter()
        .map(|i| candidates[i].clone())
        .collect()
}

/// `count` positions of `0..n` (all when unset) as [`draw`] chooses them.
pub fn picks(n: usize, count: Option<usize>, shuffle: bool, seed: &str) -> Vec<usize> {
    let count = count.unwrap_or(n).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    let mut random = blake3::Hasher::new().update(seed.as_bytes()).finalize_xof();
    let mut next = |below: usize| {
        let mut bytes = [0u8; 8];
        random.fill(&mut bytes);
        (u64::from_le_bytes(bytes) % below as u64) as usize
    };
    // A partial Fisher-Yates: the first `count` places get a uniform draw.
    for i in 0..count {
        let j = i + next(n - i);
        order.swap(i, j);
    }
    order.truncate(count);
    if !shuffle {
        order.sort_unstable();
    }
    order
}

/// How one question did over the finished attempts that had it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    pub question: String,
    pub answered: usize,
    /// The mean share of its point earned, 0 (nobody) to 1 (everybody):
    /// the facility index.
    pub facility: f64,
    /// The correlation between this question's score and the rest of the
    /// paper's, -1 to 1: near 0 or below, the question does not tell the
    /// stronger learners from the weaker. None with fewer than 2 attempts
    /// or no spread.
    pub discrimination: Option<f64>,
}

/// The per-question figures of a set of finished attempts, each given as
/// its questions and the share of each question earned (0 to 1; an
/// unanswered question counts 0).
pub fn item_statistics(attempts: &[Vec<(String, f64)>]) -> Vec<ItemStats> {
    let mut order: Vec<String> = Vec::new();
    let mut per: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    for attempt in attempts {
        let total: f64 = attempt.iter().map(|(_, c)| c).sum();
        for (q, credit) in attempt {
            if !per.contains_key(q.as_str()) {
                order.push(q.clone());
            }
            per.entry(q).or_default().push((*credit, total - credit));
        }
    }
    order
        .iter()
        .map(|q| {
            let pairs = &per[q.as_str()];
            let n = pairs.len() as f64;
            let facility = pairs.iter().map(|p| p.0).sum::<f64>() / n;
            ItemStats {
                question: q.clone(),
                answered: pairs.len(),
                facility,
                discrimination: correlation(pairs),
            }
        })
        .collect()
}

/// Pearson's correlation of the pairs, when it is defined.
fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 1e-12 && syy > 1e-12).then(|| sxy / (sxx * syy).sqrt())
}

/// A learner's weak topics: the tags of the questions they answered,
/// with the mean share earned, weakest first, those under `below` only.
pub fn weak_topics(answered: &[(Vec<String>, f64)], below: f64) -> Vec<(String, f64)> {
    let mut per: HashMap<&str, (f64, usize)> = HashMap::new();
    for (tags, credit) in answered {
        for t in tags {
            let e = per.entry(t).or_default();
            e.0 += credit;
            e.1 += 1;
        }
    }
    let mut weak: Vec<(String, f64)> = per
        .into_iter()
        .map(|(t, (sum, n))| (t.to_owned(), sum / n as f64))
        .filter(|(_, mean)| *mean < below)
        .collect();
    weak.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    weak
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("q{i}")).collect()
    }

    #[test]
    fn a_paper_is_the_same_for_the_same_attempt_and_differs_between_attempts() {
        let bank = ids(100);
        let a = draw(&bank, Some(40), true, "attempt-a");
        assert_eq!(a.len(), 40);
        assert_eq!(a, draw(&bank, Some(40), true, "attempt-a"));
        assert_ne!(a, draw(&bank, Some(40), true, "attempt-b"));
        let mut unique = a.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 40);
        // Without shuffling: the bank's order, every question when no count.
        let fixed = draw(&bank[..5], None, false, "x");
        assert_eq!(fixed, &bank[..5]);
        let some = draw(&bank, Some(10), false, "x");
        let mut sorted = some.clone();
        sorted.sort_by_key(|q| q[1..].parse::<usize>().unwrap());
        assert_eq!(some, sorted);
        assert_eq!(draw(&bank[..3], Some(10), true, "x").len(), 3);
    }

    #[test]
    fn every_question_is_drawn_about_as_often() {
        let bank = ids(10);
        let mut seen = [0usize; 10];
        for i in 0..2_000 {
            for q in draw(&bank, Some(3), true, &format!("seed-{i}")) {
                seen[q[1..].parse::<usize>().unwrap()] += 1;
            }
        }
        // 600 each expected.
        assert!(seen.iter().all(|n| (480..720).contains(n)), "{seen:?}");
    }

    #[test]
    fn item_statistics_match_hand_computed_values() {
        let a = |x: f64, y: f64, z: f64| {
            vec![
                ("x".to_owned(), x),
                ("y".to_owned(), y),
                ("z".to_owned(), z),
            ]
        };
        // Four learners. x: 1,1,0,0 → facility 0.5; rest (y+z): 2,1,1,0.
        // Pearson(x, rest): mean x 0.5, mean rest 1; deviations
        // x: .5 .5 -.5 -.5, rest: 1 0 0 -1 → sxy = 1, sxx = 1, syy = 2:
        // 1/√2.
        let stats = item_statistics(&[
            a(1.0, 1.0, 1.0),
            a(1.0, 1.0, 0.0),
            a(0.0, 0.0, 1.0),
            a(0.0, 0.0, 0.0),
        ]);
        assert_eq!(stats[0].question, "x");
        assert_eq!(stats[0].answered, 4);
        assert!((stats[0].facility - 0.5).abs() < 1e-12);
        let d = stats[0].discrimination.unwrap();
        assert!((d - 1.0 / 2f64.sqrt()).abs() < 1e-12, "{d}");
        // z: 1,0,1,0, rest (x+y): 2,2,0,0 → no relation at all.
        assert!(stats[2].discrimination.unwrap().abs() < 1e-12);
        // One attempt: no discrimination.
        assert_eq!(item_statistics(&[a(1.0, 0.0, 0.0)])[0].discrimination, None);
    }

    #[test]
    fn weak_topics_are_the_tags_under_the_mark_weakest_first() {
        let t = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let weak = weak_topics(
            &[
                (t(&["skill:fractions", "level:5"]), 0.0),
                (t(&["skill:fractions"]), 0.5),
                (t(&["skill:geometry", "level:5"]), 1.0),
                (t(&["skill:decimals"]), 0.4),
            ],
            0.5,
        );
        assert_eq!(
            weak,
            [
                ("skill:fractions".to_owned(), 0.25),
                ("skill:decimals".to_owned(), 0.4)
            ]
        );
    }
}
