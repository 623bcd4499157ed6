//! Results from the answers, no I/O: for each item the number it was shown to (n), the
//! count and percentage of each option (from exact counts, one decimal: `model::Cell`),
//! no answer; numbers summarised (min, median, mean, max); text answers listed (with a
//! search); a cross-tabulation of any item by a single choice (e.g. by 疾患群 or age
//! band), with cells under five marked. Percentages are of those the item was shown to.

use serde::Serialize;

use super::answers::{shown, Answers, Value};
use super::def::{Definition, Item, Kind};
use crate::surveys::model::{Cell, CellOut};

/// Cells with fewer answers than this are marked (少数: read with care, and a small
/// group may be recognisable).
pub const SMALL: i64 = 5;

#[derive(Debug, Clone, Serialize)]
pub struct OptionCount {
    pub key: String,
    pub label: String,
    pub count: i64,
    pub percent: Option<f64>,
    #[serde(skip)]
    pub cell: Cell,
}

#[derive(Debug, Clone, Serialize)]
pub struct Numbers {
    pub n: i64,
    pub min: i64,
    pub max: i64,
    /// one decimal
    pub mean: f64,
    pub median: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub key: String,
    pub number: usize,
    pub section: String,
    pub text: String,
    pub kind: Kind,
    /// Answers the item was shown to.
    pub n: i64,
    pub answered: i64,
    pub no_answer: i64,
    pub options: Vec<OptionCount>,
    pub numbers: Option<Numbers>,
    /// Text answers, in the order received (short and long text; 「その他」 words).
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub responses: i64,
    pub items: Vec<ItemResult>,
}

fn count(c: Cell, key: &str, label: &str) -> OptionCount {
    OptionCount {
        key: key.to_string(),
        label: label.to_string(),
        count: c.count,
        percent: c.percent(),
        cell: c,
    }
}

/// Mean to one decimal, half away from zero, from the exact sum.
fn mean1(sum: i128, n: i64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let n = n as i128;
    let t = (sum * 20 + if sum >= 0 { n } else { -n }) / (2 * n);
    t as f64 / 10.0
}

fn numbers(mut v: Vec<i64>) -> Option<Numbers> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    let sum: i128 = v.iter().map(|x| *x as i128).sum();
    let median = if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0
    };
    Some(Numbers {
        n: n as i64,
        min: v[0],
        max: v[n - 1],
        mean: mean1(sum, n as i64),
        median,
    })
}

fn item_result(number: usize, section: &str, item: &Item, all: &[Answers]) -> ItemResult {
    let choices = item.choices();
    let mut counts = vec![0i64; choices.len()];
    let (mut n, mut answered) = (0i64, 0i64);
    let mut nums = vec![];
    let mut texts = vec![];
    let other = super::answers::other_key(&item.key);
    for a in all {
        if !shown(item, a) {
            continue;
        }
        n += 1;
        let Some(v) = a.get(&item.key) else { continue };
        answered += 1;
        match (item.kind, v) {
            (Kind::Number, Value::Number(x)) => nums.push(*x),
            (k, Value::One(s)) if k.is_text() || k == Kind::Date => texts.push(s.clone()),
            (_, v) => {
                for key in v.keys() {
                    if let Some(i) = choices.iter().position(|c| &c.key == key) {
                        counts[i] += 1;
                    }
                }
            }
        }
        if let Some(Value::One(t)) = a.get(&other) {
            texts.push(t.clone());
        }
    }
    ItemResult {
        key: item.key.clone(),
        number,
        section: section.to_string(),
        text: item.text.clone(),
        kind: item.kind,
        n,
        answered,
        no_answer: n - answered,
        options: choices
            .iter()
            .zip(&counts)
            .map(|(c, k)| count(Cell::new(*k, n), &c.key, &c.label))
            .collect(),
        numbers: if item.kind == Kind::Number {
            numbers(nums)
        } else {
            None
        },
        texts: if item.kind == Kind::Date {
            vec![]
        } else {
            texts
        },
    }
}

pub fn results(def: &Definition, all: &[Answers]) -> Results {
    let mut items = vec![];
    let mut number = 0;
    for s in &def.sections {
        for it in &s.items {
            number += 1;
            items.push(item_result(number, &s.title, it, all));
        }
    }
    Results {
        responses: all.len() as i64,
        items,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossCell {
    #[serde(flatten)]
    pub cell: CellOut,
    /// 1–4 answers: marked (少数).
    pub small: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrossRow {
    pub key: String,
    pub label: String,
    /// Answers in this group the item was shown to.
    pub n: i64,
    pub cells: Vec<CrossCell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cross {
    pub by: String,
    pub by_text: String,
    pub item: String,
    pub item_text: String,
    /// The item's options (the columns).
    pub columns: Vec<String>,
    pub rows: Vec<CrossRow>,
}

/// `item` (a choice or scale) by the groups of `by` (a single choice), with a row for
/// 無回答 of `by` when there are such answers; None when either is not of that kind.
pub fn cross(def: &Definition, by: &str, item: &str, all: &[Answers]) -> Option<Cross> {
    let b = def.item(by).filter(|i| i.kind == Kind::Single)?;
    let it = def
        .item(item)
        .filter(|i| i.kind.has_options() && i.key != b.key)?;
    let cols = it.choices();
    let mut groups: Vec<(String, String)> =
        b.choices().into_iter().map(|c| (c.key, c.label)).collect();
    groups.push((String::new(), "無回答".into()));
    let mut rows: Vec<CrossRow> = vec![];
    for (gk, gl) in &groups {
        let mut n = 0i64;
        let mut counts = vec![0i64; cols.len()];
        for a in all {
            let g = match a.get(&b.key) {
                Some(Value::One(k)) => k.as_str(),
                _ => "",
            };
            if g != gk || !shown(it, a) {
                continue;
            }
            n += 1;
            if let Some(v) = a.get(&it.key) {
                for key in v.keys() {
                    if let Some(i) = cols.iter().position(|c| &c.key == key) {
                        counts[i] += 1;
                    }
                }
            }
        }
        if gk.is_empty() && n == 0 {
            continue;
        }
        rows.push(CrossRow {
            key: gk.clone(),
            label: gl.clone(),
            n,
            cells: counts
                .iter()
                .map(|k| CrossCell {
                    cell: Cell::new(*k, n).into(),
                    small: *k > 0 && *k < SMALL,
                })
                .collect(),
        });
    }
    Some(Cross {
        by: b.key.clone(),
        by_text: b.text.clone(),
        item: it.key.clone(),
        item_text: it.text.clone(),
        columns: cols.into_iter().map(|c| c.label).collect(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn a(pairs: &[(&str, Value)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    }
    fn one(s: &str) -> Value {
        Value::One(s.into())
    }

    fn def() -> Definition {
        Definition::parse(
            r#"{"sections":[{"title":"a","items":[
              {"key":"care","kind":"single","text":"医療的ケア","options":[{"key":"yes","label":"している"},{"key":"no","label":"していない"}]},
              {"key":"kinds","kind":"multi","text":"種類","when":{"item":"care","is":["yes"]},"options":[{"key":"1","label":"吸引"},{"key":"2","label":"経管栄養"}]},
              {"key":"visits","kind":"number","text":"通院"},
              {"key":"note","kind":"long","text":"自由記述"}
            ]}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn counts_are_of_those_shown_the_item() {
        let d = def();
        let all = vec![
            a(&[
                ("care", one("yes")),
                ("kinds", Value::Many(vec!["1".into(), "2".into()])),
                ("visits", Value::Number(2)),
            ]),
            a(&[
                ("care", one("yes")),
                ("kinds", Value::Many(vec!["1".into()])),
                ("visits", Value::Number(3)),
            ]),
            a(&[
                ("care", one("yes")),
                ("visits", Value::Number(10)),
                ("note", one("<b>")),
            ]),
            a(&[("care", one("no"))]),
        ];
        let r = results(&d, &all);
        assert_eq!(r.responses, 4);
        let care = &r.items[0];
        assert_eq!((care.n, care.answered, care.options[0].count), (4, 4, 3));
        assert_eq!(care.options[0].percent, Some(75.0));
        let kinds = &r.items[1];
        assert_eq!(
            (kinds.n, kinds.answered, kinds.no_answer),
            (3, 2, 1),
            "shown to the three with care"
        );
        assert_eq!(
            kinds.options[0].percent,
            Some(66.7),
            "2 of 3, one decimal, half up"
        );
        assert_eq!(kinds.options[1].percent, Some(33.3));
        let v = r.items[2].numbers.as_ref().unwrap();
        assert_eq!((v.n, v.min, v.max, v.mean, v.median), (3, 2, 10, 5.0, 3.0));
        assert_eq!(r.items[3].texts, vec!["<b>".to_string()]);
        assert_eq!(mean1(5, 2), 2.5);
        assert_eq!(mean1(1, 3), 0.3);
        assert_eq!(mean1(2, 3), 0.7);
    }

    #[test]
    fn cross_tabulation_marks_small_cells() {
        let d = def();
        let mut all = vec![];
        for _ in 0..6 {
            all.push(a(&[
                ("care", one("yes")),
                ("kinds", Value::Many(vec!["1".into()])),
            ]));
        }
        all.push(a(&[
            ("care", one("yes")),
            ("kinds", Value::Many(vec!["2".into()])),
        ]));
        let c = cross(&d, "care", "kinds", &all).unwrap();
        assert_eq!(c.rows.len(), 2, "no 無回答 row without such answers");
        assert_eq!(c.rows[0].n, 7);
        assert_eq!(c.rows[0].cells[0].cell.count, 6);
        assert!(!c.rows[0].cells[0].small);
        assert!(c.rows[0].cells[1].small, "one answer is marked");
        assert_eq!(c.rows[1].n, 0, "no one without care was shown the item");
        assert!(
            cross(&d, "visits", "care", &all).is_none(),
            "only by a single choice"
        );
        assert!(
            cross(&d, "care", "note", &all).is_none(),
            "only of a choice"
        );
    }
}
