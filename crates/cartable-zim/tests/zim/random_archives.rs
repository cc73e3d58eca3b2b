//! Random sets of paths and titles (Latin, accented, Arabic) give archives
//! that an independent reader accepts, with every entry where it belongs.

use std::collections::BTreeMap;

use crate::common::{Kind, Zim};
use cartable_zim::{Content, Entry, Redirect, write};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

const MIMES: [&str; 4] = ["text/html", "text/css", "video/mp4", "image/png"];

#[derive(Debug, Clone)]
struct Spec {
    title: String,
    mime: &'static str,
    body: Vec<u8>,
    front: bool,
}

fn path() -> impl Strategy<Value = String> {
    "[a-zA-Zé0-9_ابتثجحخدذرزسشص][a-zé0-9_./ ابتسشص-]{0,12}"
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[A-Za-zéèàçÉ :ابتثجحخدذرزسشص]{1,16}"]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        title(),
        0..MIMES.len(),
        vec(any::<u8>(), 0..300),
        any::<bool>(),
    )
        .prop_map(|(title, m, body, front)| Spec {
            title,
            mime: MIMES[m],
            body,
            front,
        })
}

fn build(
    specs: &BTreeMap<String, Spec>,
    redirects: &[(String, String, String)],
) -> (Vec<Entry>, Vec<Redirect>) {
    let entries = specs
        .iter()
        .map(|(p, s)| Entry {
            path: p.clone(),
            title: s.title.clone(),
            mime: s.mime.into(),
            content: Content::Bytes(s.body.clone()),
            front_article: s.front,
        })
        .collect();
    let redirects = redirects
        .iter()
        .map(|(p, t, target)| Redirect {
            path: p.clone(),
            title: t.clone(),
            target: target.clone(),
        })
        .collect();
    (entries, redirects)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_archives_read_back(
        specs in btree_map(path(), spec(), 1..24),
        raw_redirects in vec((path(), title(), any::<prop::sample::Index>()), 0..6),
    ) {
        let keys: Vec<&String> = specs.keys().collect();
        let mut redirects: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (p, t, target) in raw_redirects {
            if !specs.contains_key(&p) {
                redirects.insert(p, (t, target.get(&keys).to_string()));
            }
        }
        let redirects: Vec<(String, String, String)> =
            redirects.into_iter().map(|(p, (t, target))| (p, t, target)).collect();
        let main = keys[0].clone();

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.zim");
        let (e, r) = build(&specs, &redirects);
        let stats = write(&out, &crate::common::metadata(), &main, e, r).unwrap();
        let zim = Zim::open(&out).map_err(TestCaseError::fail)?;
        prop_assert_eq!(zim.dirents.len() as u32, stats.entry_count);

        for (p, s) in &specs {
            let d = &zim.dirents[zim.find(b'C', p).unwrap()];
            prop_assert_eq!(d.shown_title(), if s.title.is_empty() { p } else { &s.title });
            prop_assert_eq!(zim.get(b'C', p).unwrap(), (s.mime.to_string(), s.body.clone()));
        }
        for (p, t, target) in &redirects {
            let d = &zim.dirents[zim.find(b'C', p).unwrap()];
            prop_assert!(matches!(d.kind, Kind::Redirect(_)));
            prop_assert_eq!(&d.title, t);
            prop_assert_eq!(zim.get(b'C', p).unwrap().1, specs[target].body.clone());
        }
        prop_assert_eq!(zim.get(b'W', "mainPage").unwrap().1, specs[&main].body.clone());

        prop_assert_eq!(zim.listing("v0").unwrap(), zim.title_index.clone());
        let mut front: Vec<(&str, &str)> = specs
            .iter()
            .filter(|(_, s)| s.front)
            .map(|(p, s)| (if s.title.is_empty() { p.as_str() } else { s.title.as_str() }, p.as_str()))
            .collect();
        front.sort();
        let listed: Vec<(&str, &str)> = match zim.listing("v1") {
            Ok(ids) => ids
                .into_iter()
                .map(|i| {
                    let d = &zim.dirents[i as usize];
                    (d.shown_title(), d.path.as_str())
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        prop_assert_eq!(listed, front);

        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        specs.values().for_each(|s| *counts.entry(s.mime).or_default() += 1);
        let counter: Vec<String> = counts.iter().map(|(m, n)| format!("{m}={n}")).collect();
        prop_assert_eq!(zim.get(b'M', "Counter").unwrap().1, counter.join(";").into_bytes());

        let again = dir.path().join("again.zim");
        let (e, r) = build(&specs, &redirects);
        write(&again, &crate::common::metadata(), &main, e, r).unwrap();
        prop_assert!(std::fs::read(&out).unwrap() == std::fs::read(&again).unwrap());
    }
}
