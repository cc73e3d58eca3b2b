//! Bulk enrolment: a CSV of learners (`name,login,class[,password]`)
//! checked row by row before anything is written, with the same rules as
//! the capsule manifest: every problem names its file, line and column;
//! any problem stops the whole file unless the caller asked to skip bad
//! rows. Whether a class exists and a login is free is checked by the
//! caller against the database; this module checks the text.

use crate::accounts::{Login, check_name, check_password};
use crate::manifest::Problem;
use std::collections::BTreeMap;

/// One learner to enrol.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolmentRow {
    pub line: usize,
    pub name: String,
    pub login: Login,
    pub class: String,
    /// None: the import generates one and reports it.
    pub password: Option<String>,
}

#[derive(Debug, Default)]
pub struct Enrolment {
    pub rows: Vec<EnrolmentRow>,
    pub problems: Vec<Problem>,
}

const COLUMNS: [&str; 4] = ["name", "login", "class", "password"];
/// A school's whole roll fits many times over; more is a mistake.
pub const MAX_ROWS: usize = 100_000;

pub fn read_csv(file: &str, text: &str) -> Enrolment {
    let mut out = Enrolment::default();
    let problem = |line: usize, field: &str, message: String| Problem {
        file: file.into(),
        line,
        field: field.into(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => {
            out.problems
                .push(problem(1, "", format!("cannot read the header row: {e}")));
            return out;
        }
    };
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            out.problems.push(problem(
                1,
                "",
                format!("unknown column \"{h}\": the columns are name, login, class and optionally password"),
            ));
        }
    }
    for required in &COLUMNS[..3] {
        if !headers.iter().any(|h| h == required) {
            out.problems.push(problem(
                1,
                "",
                format!("the required column \"{required}\" is missing"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return out;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.problems
                    .push(problem(line, "", format!("not a valid CSV row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if out.rows.len() + out.problems.len() >= MAX_ROWS {
            out.problems.push(problem(
                line,
                "",
                format!("more than {MAX_ROWS} rows: split the file"),
            ));
            break;
        }
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let before = out.problems.len();
        let name = check_name(&cell("name"))
            .map_err(|e| out.problems.push(problem(line, "name", e.to_string())))
            .ok();
        let login = Login::try_from(cell("login"))
            .map_err(|e| out.problems.push(problem(line, "login", e.to_string())))
            .ok();
        let class = cell("class");
        if class.is_empty() {
            out.problems
                .push(problem(line, "class", "the class is empty".into()));
        }
        let password = Some(cell("password")).filter(|p| !p.is_empty());
        if let Some(p) = &password
            && let Err(e) = check_password(p)
        {
            out.problems.push(problem(line, "password", e.to_string()));
        }
        if let Some(login) = &login
            && let Some(first) = seen.insert(login.to_string(), line)
        {
            out.problems.push(problem(
                line,
                "login",
                format!("\"{login}\" is already on line {first}"),
            ));
        }
        if let (Some(name), Some(login), true) = (name, login, out.problems.len() == before) {
            out.rows.push(EnrolmentRow {
                line,
                name,
                login,
                class,
                password,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_rows_are_read_and_bad_ones_named() {
        let text = "name,login,class,password\n\
                    Amina Benali,amina,6a,\n\
                    Youssef,Youssef,6a,\n\
                    ,omar,6a,\n\
                    Sara,sara,,short\n\
                    Amina B,amina,6b,longenough\n";
        let e = read_csv("kids.csv", text);
        assert_eq!(e.rows.len(), 1);
        assert_eq!(e.rows[0].login.as_str(), "amina");
        assert_eq!(e.rows[0].password, None);
        let shown: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|p| p.starts_with("kids.csv:3: login:")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|p| p.starts_with("kids.csv:4: name:")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|p| p.starts_with("kids.csv:5: class:")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|p| p.starts_with("kids.csv:5: password:")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|p| p == "kids.csv:6: login: \"amina\" is already on line 2"),
            "{shown:?}"
        );
    }

    #[test]
    fn a_wrong_header_stops_before_any_row() {
        let e = read_csv("x.csv", "nom,login,class\nA,a,6a\n");
        assert!(e.rows.is_empty());
        assert_eq!(e.problems.len(), 2, "{:?}", e.problems);
        let e = read_csv("x.csv", "name,login,class\nA,a\n");
        assert!(
            e.problems[0]
                .to_string()
                .starts_with("x.csv:2: not a valid CSV row")
        );
    }
}
