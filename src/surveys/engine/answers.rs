//! One answer to a survey, as stored (a JSON object: item key → value) and as read from
//! a form (every `q_{key}` field with all its values). `read` checks the whole answer
//! against the definition: an item hidden by its condition keeps nothing, a required
//! item shown must be answered, choices must be the item's own, numbers within range,
//! dates real, text within length and free of control characters. Markup in text is
//! kept as typed (pages escape it): a family may write 「<体調> がよくない」.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::def::{Definition, Item, Kind, MAX_ANSWER};
use crate::error::FieldError;

/// An item's value: a number, the chosen key(s), a date or text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(i64),
    Many(Vec<String>),
    One(String),
}

impl Value {
    /// The chosen keys (one for single, scale; several for multi).
    pub fn keys(&self) -> &[String] {
        match self {
            Value::Many(v) => v,
            Value::One(s) => std::slice::from_ref(s),
            Value::Number(_) => &[],
        }
    }

    pub fn text(&self) -> String {
        match self {
            Value::Number(n) => n.to_string(),
            Value::Many(v) => v.join("・"),
            Value::One(s) => s.clone(),
        }
    }
}

/// item key → value; `{key}__other` holds the words added to an 「その他」 choice.
pub type Answers = BTreeMap<String, Value>;

pub fn field(key: &str) -> String {
    format!("q_{key}")
}

pub fn other_field(key: &str) -> String {
    format!("q_{key}__other")
}

pub fn other_key(key: &str) -> String {
    format!("{key}__other")
}

/// Whether `item` is shown, given the answers so far.
pub fn shown(item: &Item, answers: &Answers) -> bool {
    match &item.when {
        None => true,
        Some(w) => answers
            .get(&w.item)
            .is_some_and(|v| v.keys().iter().any(|k| w.is.contains(k))),
    }
}

fn control(s: &str, multiline: bool) -> bool {
    s.chars().any(|c| {
        (c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    })
}

fn check_text(at: &str, v: &str, max: usize, multiline: bool) -> Result<(), String> {
    let n = v.chars().count();
    if n > max {
        return Err(format!("{at}は {max} 字までです（いま {n} 字）。"));
    }
    if control(v, multiline) {
        return Err(format!(
            "{at}に使えない文字（制御文字など）が含まれています。"
        ));
    }
    Ok(())
}

/// "１２" → 12; None when it is not a whole number.
fn whole_number(s: &str) -> Option<i64> {
    let t = crate::text::nfkc(s.trim()).replace([',', ' '], "");
    t.parse::<i64>().ok()
}

/// The answer in `sent` (field name → values as sent), checked against `def`, or every
/// problem (field, Japanese message).
pub fn read(
    def: &Definition,
    sent: &BTreeMap<String, Vec<String>>,
) -> Result<Answers, Vec<FieldError>> {
    let mut out = Answers::new();
    let mut errs = vec![];
    let none: Vec<String> = vec![];
    for (n, item) in def.items().enumerate() {
        let name = field(&item.key);
        let at = format!("問{}", n + 1);
        if !shown(item, &out) {
            continue;
        }
        let values: Vec<&String> = sent
            .get(&name)
            .unwrap_or(&none)
            .iter()
            .filter(|v| !v.trim().is_empty())
            .collect();
        let mut fail = |m: String| errs.push(FieldError::new(&name, m));
        let value = match item.kind {
            Kind::Single | Kind::Scale => match values.as_slice() {
                [] => None,
                [v] if item.choice_label(v).is_some() => Some(Value::One((*v).clone())),
                [_] => {
                    fail(format!(
                        "{at}の答えが選択肢にありません。画面を開き直してください。"
                    ));
                    continue;
                }
                _ => {
                    fail(format!("{at}はひとつだけ選んでください。"));
                    continue;
                }
            },
            Kind::Multi => {
                let mut keys: Vec<String> = vec![];
                for c in item.choices() {
                    if values.iter().any(|v| **v == c.key) {
                        keys.push(c.key);
                    }
                }
                if keys.len() != values.len()
                    && values.iter().any(|v| item.choice_label(v).is_none())
                {
                    fail(format!(
                        "{at}の答えが選択肢にありません。画面を開き直してください。"
                    ));
                    continue;
                }
                (!keys.is_empty()).then_some(Value::Many(keys))
            }
            Kind::Number => match values.first() {
                None => None,
                Some(v) => match whole_number(v) {
                    None => {
                        fail(format!("{at}は数字（整数）で書いてください。"));
                        continue;
                    }
                    Some(x) => {
                        let lo = item.min.unwrap_or(i64::MIN);
                        let hi = item.max.unwrap_or(i64::MAX);
                        if x < lo || x > hi {
                            fail(match (item.min, item.max) {
                                (Some(a), Some(b)) => {
                                    format!("{at}は {a} から {b} までの数で書いてください。")
                                }
                                (Some(a), None) => format!("{at}は {a} 以上の数で書いてください。"),
                                _ => format!("{at}は {hi} 以下の数で書いてください。"),
                            });
                            continue;
                        }
                        Some(Value::Number(x))
                    }
                },
            },
            Kind::Date => match values.first() {
                None => None,
                Some(v) => match crate::time::parse_date(v) {
                    None => {
                        fail(format!(
                            "{at}は 2026-04-01 や 令和8年4月1日 の形で書いてください。"
                        ));
                        continue;
                    }
                    Some(d) => Some(Value::One(d.format("%Y-%m-%d").to_string())),
                },
            },
            Kind::Short | Kind::Long => match values.first() {
                None => None,
                Some(v) => {
                    let (max, ml) = if item.kind == Kind::Short {
                        (200, false)
                    } else {
                        (MAX_ANSWER, true)
                    };
                    if let Err(m) = check_text(&at, v, max, ml) {
                        fail(m);
                        continue;
                    }
                    Some(Value::One((*v).clone()))
                }
            },
        };
        match value {
            None if item.required => errs.push(FieldError::new(
                &name,
                format!("{at}「{}」に答えてください。", short(&item.text)),
            )),
            None => {}
            Some(v) => {
                // words added to an 「その他」 that was chosen
                let other: Vec<String> = item
                    .choices()
                    .into_iter()
                    .filter(|c| c.other && v.keys().contains(&c.key))
                    .map(|c| c.key)
                    .collect();
                if !other.is_empty() {
                    if let Some(t) = sent.get(&other_field(&item.key)).and_then(|v| v.first()) {
                        if !t.trim().is_empty() {
                            match check_text(&format!("{at}の「その他」"), t, 400, false) {
                                Err(m) => errs.push(FieldError::new(&other_field(&item.key), m)),
                                Ok(()) => {
                                    out.insert(
                                        other_key(&item.key),
                                        Value::One(t.trim().to_string()),
                                    );
                                }
                            }
                        }
                    }
                }
                out.insert(item.key.clone(), v);
            }
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// The first 30 characters of a question, for a message.
pub fn short(s: &str) -> String {
    let mut t: String = s.chars().take(30).collect();
    if s.chars().count() > 30 {
        t.push('…');
    }
    t
}

/// Checks a stored or imported answer against `def` (the same rules as a form).
pub fn recheck(def: &Definition, a: &Answers) -> Result<Answers, Vec<FieldError>> {
    let mut sent: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in a {
        let name = match k.strip_suffix("__other") {
            Some(base) => other_field(base),
            None => field(k),
        };
        sent.insert(
            name,
            match v {
                Value::Number(n) => vec![n.to_string()],
                Value::Many(x) => x.clone(),
                Value::One(s) => vec![s.clone()],
            },
        );
    }
    read(def, &sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> Definition {
        Definition::parse(
            r#"{"sections":[{"title":"a","items":[
              {"key":"care","kind":"single","text":"医療的ケア","required":true,"options":[{"key":"yes","label":"している"},{"key":"no","label":"していない"}]},
              {"key":"kinds","kind":"multi","text":"種類","required":true,"when":{"item":"care","is":["yes"]},"options":[{"key":"1","label":"吸引"},{"key":"2","label":"経管栄養"},{"key":"9","label":"その他","other":true}]},
              {"key":"visits","kind":"number","text":"通院","min":0,"max":31},
              {"key":"day","kind":"date","text":"日"},
              {"key":"s","kind":"scale","text":"負担"},
              {"key":"note","kind":"long","text":"自由記述"}
            ]}]}"#,
        )
        .unwrap()
    }

    fn sent(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
        m
    }

    #[test]
    fn a_hidden_item_keeps_nothing_and_a_shown_required_one_must_be_answered() {
        let d = def();
        let a = read(&d, &sent(&[("q_care", "no"), ("q_kinds", "1")])).unwrap();
        assert_eq!(a.get("care"), Some(&Value::One("no".into())));
        assert!(!a.contains_key("kinds"), "hidden by its condition");
        let e = read(&d, &sent(&[("q_care", "yes")])).unwrap_err();
        assert_eq!(e[0].field, "q_kinds");
        assert!(e[0].message.contains("問2"), "{}", e[0].message);
        let e = read(&d, &sent(&[])).unwrap_err();
        assert_eq!(
            e.len(),
            1,
            "only the first is required while the second is hidden"
        );
    }

    #[test]
    fn values_are_checked() {
        let d = def();
        let a = read(
            &d,
            &sent(&[
                ("q_care", "yes"),
                ("q_kinds", "9"),
                ("q_kinds", "1"),
                ("q_kinds__other", " 酸素 "),
                ("q_visits", "１２"),
                ("q_day", "令和8年4月1日"),
                ("q_s", "4"),
                ("q_note", "<b>体調</b>\n改行"),
            ]),
        )
        .unwrap();
        assert_eq!(
            a["kinds"],
            Value::Many(vec!["1".into(), "9".into()]),
            "in the item's order"
        );
        assert_eq!(a["kinds__other"], Value::One("酸素".into()));
        assert_eq!(a["visits"], Value::Number(12));
        assert_eq!(a["day"], Value::One("2026-04-01".into()));
        assert_eq!(
            a["note"],
            Value::One("<b>体調</b>\n改行".into()),
            "markup kept as typed"
        );
        for (f, v, want) in [
            ("q_visits", "40", "0 から 31"),
            ("q_visits", "3.5", "整数"),
            ("q_day", "きのう", "令和8年"),
            ("q_s", "6", "選択肢にありません"),
            ("q_note", "a\u{0}b", "制御文字"),
        ] {
            let e = read(&d, &sent(&[("q_care", "no"), (f, v)])).unwrap_err();
            assert!(e[0].message.contains(want), "{f}={v}: {}", e[0].message);
        }
        let big = "あ".repeat(100_000);
        let e = read(&d, &sent(&[("q_care", "no"), ("q_note", &big)])).unwrap_err();
        assert!(e[0].message.contains("4000 字まで"), "{}", e[0].message);
        let e = read(&d, &sent(&[("q_care", "no"), ("q_care", "yes")])).unwrap_err();
        assert!(e[0].message.contains("ひとつだけ"));
    }

    #[test]
    fn a_stored_answer_reads_back_the_same() {
        let d = def();
        let a = read(
            &d,
            &sent(&[
                ("q_care", "yes"),
                ("q_kinds", "9"),
                ("q_kinds__other", "酸素"),
                ("q_visits", "3"),
            ]),
        )
        .unwrap();
        let json = serde_json::to_string(&a).unwrap();
        let back: Answers = serde_json::from_str(&json).unwrap();
        assert_eq!(recheck(&d, &back).unwrap(), a);
    }
}
