//! Indicators that are measured (no I/O): the figures yorube computes that a
//! collaboration goal's purpose can be tied to (`MEASURES`), each as a series over
//! time (fiscal quarters, or the terms of the children's indicator readings), the
//! per-child readings aggregated by group with small groups suppressed, and
//! anonymised case summaries for a council.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// The smallest group whose figure is shown (fewer children: 「<5人」).
pub const MIN_GROUP: usize = 5;

pub use crate::network::model::{measure, MEASURES};

/// A number at the start of a baseline or target text: 「12日」→12, 「８０％」→80.
pub fn leading_number(s: &str) -> Option<f64> {
    let s = crate::text::nfkc(s);
    let n: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    n.parse().ok()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    /// How many children or records the value is of.
    pub n: usize,
}

/// A measure over time, as tied to a purpose.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub points: Vec<Point>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
}

impl Series {
    pub fn latest(&self) -> Option<&Point> {
        self.points.iter().rev().find(|p| p.value.is_some())
    }
}

/// The fiscal quarter of a day: (fiscal year, 1–4).
pub fn quarter(d: NaiveDate) -> (i32, u32) {
    let fy = crate::time::fiscal_year(d);
    let q = match d.month() {
        4..=6 => 1,
        7..=9 => 2,
        10..=12 => 3,
        _ => 4,
    };
    (fy, q)
}

/// The last `n` fiscal quarters up to the one holding `today`, oldest first.
pub fn last_quarters(today: NaiveDate, n: usize) -> Vec<(i32, u32)> {
    let (mut fy, mut q) = quarter(today);
    let mut out = vec![];
    for _ in 0..n {
        out.push((fy, q));
        if q == 1 {
            fy -= 1;
            q = 4;
        } else {
            q -= 1;
        }
    }
    out.reverse();
    out
}

pub fn quarter_label((fy, q): (i32, u32)) -> String {
    format!(
        "{} {}Q",
        crate::time::format_fiscal_year(fy).replace("年度", ""),
        q
    )
}

/// The first day of a fiscal quarter.
pub fn quarter_start((fy, q): (i32, u32)) -> NaiveDate {
    let (y, m) = match q {
        1 => (fy, 4),
        2 => (fy, 7),
        3 => (fy, 10),
        _ => (fy + 1, 1),
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default()
}

/// Order of indicator periods: 「R7 1学期」 by (year, term), other labels after them.
pub fn term_key(label: &str) -> (i32, i32, String) {
    let s = crate::text::nfkc(label);
    let t = s.trim();
    let parsed = t.strip_prefix('R').and_then(|rest| {
        let (y, term) = rest.split_once(' ')?;
        let y: i32 = y.parse().ok()?;
        let k: i32 = term.trim_end_matches("学期").parse().ok()?;
        Some((y, k))
    });
    match parsed {
        Some((y, k)) => (y, k, String::new()),
        None => (i32::MAX, 0, t.to_string()),
    }
}

/// One reading of a per-child indicator.
#[derive(Debug, Clone)]
pub struct Reading {
    pub child_id: String,
    pub period: String,
    pub value: f64,
    /// The child's group labels (疾患群, age band).
    pub disease_group: String,
    pub age_band: String,
}

/// The mean per period (in term order) of the readings.
pub fn by_period(readings: &[Reading]) -> Vec<Point> {
    let mut by: BTreeMap<(i32, i32, String), (String, Vec<f64>)> = BTreeMap::new();
    for r in readings {
        by.entry(term_key(&r.period))
            .or_insert_with(|| (r.period.clone(), vec![]))
            .1
            .push(r.value);
    }
    by.into_values()
        .map(|(label, vs)| Point {
            label,
            value: mean(&vs).filter(|_| vs.len() >= MIN_GROUP),
            n: vs.len(),
        })
        .collect()
}

pub fn mean(vs: &[f64]) -> Option<f64> {
    (!vs.is_empty()).then(|| vs.iter().sum::<f64>() / vs.len() as f64)
}

/// One row of a per-child indicator by group: the mean of the latest period and of the
/// first, over the children of the group; both hidden when the group is small.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupRow {
    pub group: String,
    pub n: usize,
    pub first: Option<f64>,
    pub latest: Option<f64>,
    pub suppressed: bool,
}

/// The readings' first and latest period, by the group `key` picks.
pub fn by_group(
    readings: &[Reading],
    key: fn(&Reading) -> &str,
) -> (String, String, Vec<GroupRow>) {
    let periods: BTreeSet<(i32, i32, String)> =
        readings.iter().map(|r| term_key(&r.period)).collect();
    let (Some(first), Some(last)) = (
        periods.iter().next().cloned(),
        periods.iter().last().cloned(),
    ) else {
        return (String::new(), String::new(), vec![]);
    };
    let label_of = |k: &(i32, i32, String)| {
        readings
            .iter()
            .find(|r| term_key(&r.period) == *k)
            .map(|r| r.period.clone())
            .unwrap_or_default()
    };
    // Per group: its children, the first period's values, the latest period's.
    type Group = (BTreeSet<String>, Vec<f64>, Vec<f64>);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for r in readings {
        let g = groups.entry(key(r).to_string()).or_default();
        g.0.insert(r.child_id.clone());
        let k = term_key(&r.period);
        if k == first {
            g.1.push(r.value);
        }
        if k == last {
            g.2.push(r.value);
        }
    }
    let mut rows: Vec<GroupRow> = groups
        .into_iter()
        .map(|(group, (kids, a, b))| {
            let small = kids.len() < MIN_GROUP;
            GroupRow {
                group,
                n: kids.len(),
                first: if small { None } else { mean(&a) },
                latest: if small { None } else { mean(&b) },
                suppressed: small,
            }
        })
        .collect();
    // A single small group could be worked out from the whole (the mean of every
    // child is shown per period) and the other groups: hide the next smallest too.
    if rows.iter().filter(|r| r.suppressed).count() == 1 {
        if let Some(i) = (0..rows.len())
            .filter(|&i| !rows[i].suppressed)
            .min_by_key(|&i| (rows[i].n, i))
        {
            rows[i].suppressed = true;
            rows[i].first = None;
            rows[i].latest = None;
        }
    }
    (label_of(&first), label_of(&last), rows)
}

/// An anonymised case for a council: no name, no date of birth, only a description
/// shared by at least `MIN_GROUP` children.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseSummary {
    pub who: String,
    pub change: String,
}

/// Up to `n` children whose absence fell the most between their first and latest
/// reading, described by age band and 疾患群 where at least `MIN_GROUP` children
/// share both, else by age band alone where that is shared, else left out.
pub fn case_summaries(
    absence: &[Reading],
    referred: &BTreeMap<String, String>,
    n: usize,
) -> Vec<CaseSummary> {
    let mut per: BTreeMap<&str, Vec<&Reading>> = BTreeMap::new();
    for r in absence {
        per.entry(r.child_id.as_str()).or_default().push(r);
    }
    let mut both: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut band: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in absence {
        both.entry((&r.age_band, &r.disease_group))
            .or_default()
            .insert(&r.child_id);
        band.entry(&r.age_band).or_default().insert(&r.child_id);
    }
    let mut changes: Vec<(f64, CaseSummary)> = vec![];
    for (child, mut rs) in per {
        rs.sort_by_key(|r| term_key(&r.period));
        let (Some(a), Some(b)) = (rs.first(), rs.last()) else {
            continue;
        };
        if rs.len() < 2 || b.value >= a.value {
            continue;
        }
        let who = if both[&(a.age_band.as_str(), a.disease_group.as_str())].len() >= MIN_GROUP {
            format!("{}・{}", a.age_band, a.disease_group)
        } else if band[a.age_band.as_str()].len() >= MIN_GROUP {
            a.age_band.clone()
        } else {
            continue;
        };
        let mut change = format!(
            "欠席日数 {}日（{}）→ {}日（{}）",
            a.value, a.period, b.value, b.period
        );
        if let Some(status) = referred.get(child) {
            change.push_str(&format!("。学校へのつなぎ: {status}"));
        }
        changes.push((a.value - b.value, CaseSummary { who, change }));
    }
    changes.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.who.cmp(&y.1.who)));
    changes.into_iter().take(n).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(child: &str, period: &str, v: f64, dg: &str, band: &str) -> Reading {
        Reading {
            child_id: child.into(),
            period: period.into(),
            value: v,
            disease_group: dg.into(),
            age_band: band.into(),
        }
    }

    #[test]
    fn numbers_quarters_and_terms() {
        assert_eq!(leading_number("１２日"), Some(12.0));
        assert_eq!(leading_number("80%"), Some(80.0));
        assert_eq!(leading_number("減らす"), None);
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(quarter(d), (2026, 3));
        assert_eq!(
            quarter(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()),
            (2026, 4)
        );
        assert_eq!(
            last_quarters(d, 4),
            vec![(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
        );
        assert_eq!(
            quarter_start((2026, 4)),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert!(term_key("R6 3学期") < term_key("R7 1学期"));
        assert!(term_key("R7 2学期") < term_key("夏休み明け"));
    }

    #[test]
    fn small_groups_are_suppressed() {
        let mut rs = vec![];
        for i in 0..6 {
            rs.push(r(
                &format!("a{i}"),
                "R7 1学期",
                10.0,
                "内分泌疾患",
                "6〜11歳（小学生）",
            ));
            rs.push(r(
                &format!("a{i}"),
                "R7 2学期",
                4.0,
                "内分泌疾患",
                "6〜11歳（小学生）",
            ));
        }
        for i in 0..3 {
            rs.push(r(
                &format!("b{i}"),
                "R7 1学期",
                20.0,
                "慢性腎疾患",
                "12〜14歳（中学生）",
            ));
            rs.push(r(
                &format!("b{i}"),
                "R7 2学期",
                2.0,
                "慢性腎疾患",
                "12〜14歳（中学生）",
            ));
        }
        let (first, last, rows) = by_group(&rs, |r| &r.disease_group);
        assert_eq!((first.as_str(), last.as_str()), ("R7 1学期", "R7 2学期"));
        let kidney = rows.iter().find(|g| g.group == "慢性腎疾患").unwrap();
        assert!(kidney.suppressed && kidney.latest.is_none() && kidney.n == 3);
        // The only other group is hidden too: with the mean of all children per period
        // it would give the small group away.
        let endo = rows.iter().find(|g| g.group == "内分泌疾患").unwrap();
        assert!(endo.suppressed && endo.latest.is_none());
        let mut more = rs.clone();
        for i in 0..5 {
            more.push(r(
                &format!("c{i}"),
                "R7 1学期",
                8.0,
                "悪性新生物",
                "6〜11歳（小学生）",
            ));
        }
        let (_, _, rows) = by_group(&more, |r| &r.disease_group);
        let endo = rows.iter().find(|g| g.group == "内分泌疾患").unwrap();
        assert_eq!(
            (endo.first, endo.latest),
            (Some(10.0), Some(4.0)),
            "{rows:?}"
        );
        // The smallest shown group (5 children) is the one hidden beside the small one.
        assert!(
            rows.iter()
                .find(|g| g.group == "悪性新生物")
                .unwrap()
                .suppressed
        );
        // Per period: 9 children each, shown.
        let pts = by_period(&rs);
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].n, 9);
        // Cases: the three 中学生 are too few to be described, even by age band alone.
        let cases = case_summaries(&rs, &BTreeMap::new(), 10);
        assert_eq!(cases.len(), 6);
        assert!(cases
            .iter()
            .all(|c| c.who == "6〜11歳（小学生）・内分泌疾患"));
        assert!(cases.iter().all(|c| !c.change.contains("a0")));
    }
}
