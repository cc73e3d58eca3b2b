//! Innovation competitions: a brief, a deadline, teams, their submissions
//! (text and files within limits), a jury scoring each team against a
//! rubric, and the published ranking.

use serde::{Deserialize, Serialize};

/// One line of the rubric: what the jury scores, out of how many points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    pub max: u32,
}

/// A competition as its organisers set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitionSpec {
    pub title: String,
    pub lang: String,
    pub brief: String,
    /// Submissions close at this time (seconds since the epoch).
    pub deadline: i64,
    /// Members per team, the one who registers it included.
    pub max_team: usize,
    /// Files per submission.
    pub max_files: usize,
    /// Bytes per file.
    pub max_bytes: u64,
    /// The file name extensions taken (`pdf`, `png`, `mp4`…), lowercase.
    pub types: Vec<String>,
    pub rubric: Vec<Criterion>,
    /// The logins of the jurors.
    pub jury: Vec<String>,
}

/// Why a file is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRefusal {
    TooLarge { limit: u64 },
    WrongType { allowed: Vec<String> },
    TooMany { limit: usize },
}

impl CompetitionSpec {
    pub fn check(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("a competition needs a title".into());
        }
        if self.rubric.is_empty() {
            return Err("a competition needs a rubric: at least one criterion".into());
        }
        if let Some(c) = self
            .rubric
            .iter()
            .find(|c| c.max == 0 || c.name.trim().is_empty())
        {
            return Err(format!(
                "the criterion {:?} needs a name and at least 1 point",
                c.name
            ));
        }
        if self.jury.is_empty() {
            return Err("a competition needs at least one juror".into());
        }
        if self.max_team == 0 {
            return Err("a team has at least one member".into());
        }
        if self.types.is_empty() && self.max_files > 0 {
            return Err(
                "say which file types are taken (--types pdf,png…), or take no files".into(),
            );
        }
        Ok(())
    }

    /// Whether a submission holding `already` files may take this one.
    pub fn accepts(&self, name: &str, size: u64, already: usize) -> Result<(), FileRefusal> {
        if already >= self.max_files {
            return Err(FileRefusal::TooMany {
                limit: self.max_files,
            });
        }
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if !self.types.contains(&ext) {
            return Err(FileRefusal::WrongType {
                allowed: self.types.clone(),
            });
        }
        if size > self.max_bytes {
            return Err(FileRefusal::TooLarge {
                limit: self.max_bytes,
            });
        }
        Ok(())
    }

    /// The points a jury can give in all.
    pub fn out_of(&self) -> u32 {
        self.rubric.iter().map(|c| c.max).sum()
    }

    /// A juror's scores, checked against the rubric.
    pub fn check_scores(&self, scores: &[u32]) -> Result<(), String> {
        if scores.len() != self.rubric.len() {
            return Err(format!(
                "{} scores for {} criteria",
                scores.len(),
                self.rubric.len()
            ));
        }
        for (s, c) in scores.iter().zip(&self.rubric) {
            if *s > c.max {
                return Err(format!("{}: {s} is more than {}", c.name, c.max));
            }
        }
        Ok(())
    }
}

/// One team's place in the results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub team: String,
    /// The mean over jurors of their total.
    pub total: f64,
    /// The mean per criterion.
    pub per_criterion: Vec<f64>,
    pub jurors: usize,
    pub rank: usize,
}

/// The ranking: each team with at least one juror's scores, by the mean of
/// the jurors' totals, best first; equal totals share a rank.
pub fn ranking(teams: &[(String, Vec<Vec<u32>>)]) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = teams
        .iter()
        .filter(|(_, scores)| !scores.is_empty())
        .map(|(team, scores)| {
            let n = scores.len() as f64;
            let criteria = scores.iter().map(Vec::len).max().unwrap_or(0);
            let per_criterion = (0..criteria)
                .map(|i| {
                    scores
                        .iter()
                        .map(|s| f64::from(s.get(i).copied().unwrap_or(0)))
                        .sum::<f64>()
                        / n
                })
                .collect::<Vec<_>>();
            Ranked {
                team: team.clone(),
                total: per_criterion.iter().sum(),
                per_criterion,
                jurors: scores.len(),
                rank: 0,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.total
            .total_cmp(&a.total)
            .then_with(|| a.team.cmp(&b.team))
    });
    for i in 0..ranked.len() {
        ranked[i].rank = if i > 0 && (ranked[i].total - ranked[i - 1].total).abs() < 1e-9 {
            ranked[i - 1].rank
        } else {
            i + 1
        };
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CompetitionSpec {
        CompetitionSpec {
            title: "Idées pour la ville".into(),
            lang: "fr".into(),
            brief: "Proposez une application.".into(),
            deadline: 2_000_000_000,
            max_team: 4,
            max_files: 2,
            max_bytes: 1_000,
            types: vec!["pdf".into(), "png".into()],
            rubric: vec![
                Criterion {
                    name: "Innovation".into(),
                    max: 10,
                },
                Criterion {
                    name: "Faisabilité".into(),
                    max: 5,
                },
            ],
            jury: vec!["jury1".into()],
        }
    }

    #[test]
    fn files_are_taken_within_the_limits_only() {
        let s = spec();
        assert_eq!(s.accepts("projet.PDF", 1_000, 0), Ok(()));
        assert_eq!(
            s.accepts("projet.pdf", 1_001, 0),
            Err(FileRefusal::TooLarge { limit: 1_000 })
        );
        assert!(matches!(
            s.accepts("virus.exe", 10, 0),
            Err(FileRefusal::WrongType { .. })
        ));
        assert!(matches!(
            s.accepts("sans-extension", 10, 0),
            Err(FileRefusal::WrongType { .. })
        ));
        assert_eq!(
            s.accepts("b.png", 10, 2),
            Err(FileRefusal::TooMany { limit: 2 })
        );
        assert!(s.check().is_ok());
        assert!(
            CompetitionSpec {
                rubric: vec![],
                ..spec()
            }
            .check()
            .is_err()
        );
        assert!(s.check_scores(&[10, 5]).is_ok());
        assert!(s.check_scores(&[11, 5]).is_err());
        assert!(s.check_scores(&[10]).is_err());
        assert_eq!(s.out_of(), 15);
    }

    #[test]
    fn teams_rank_by_their_jurors_mean_total_and_ties_share_a_rank() {
        let r = ranking(&[
            ("a".into(), vec![vec![8, 4], vec![6, 2]]),
            ("b".into(), vec![vec![10, 5]]),
            ("c".into(), vec![vec![7, 3]]),
            ("d".into(), vec![]),
        ]);
        let order: Vec<(&str, usize)> = r.iter().map(|x| (x.team.as_str(), x.rank)).collect();
        assert_eq!(order, [("b", 1), ("a", 2), ("c", 2)]);
        assert_eq!(r[1].per_criterion, [7.0, 3.0]);
        assert_eq!(r[1].jurors, 2);
    }
}
