//! A survey's questions as data: sections of items, each a kind (single or multiple
//! choice, a 5-point scale, a number, a date, short or long text), a required flag and an
//! optional condition (shown only when an earlier single or multiple choice has one of
//! the named answers). Kept as JSON (one text per version); `check` refuses a definition
//! that could not be answered or counted, with a Japanese message per problem.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The needs survey for families (実態把握調査), shipped as a template.
pub const NEEDS_TEMPLATE: &str = include_str!("../../../data/surveys/needs_family.json");
/// The training's pre/post set as a template of the engine.
pub const TRAINING_TEMPLATE: &str = include_str!("../../../data/surveys/training_prepost.json");

/// The templates a new survey may start from: (key, name, purpose, JSON).
pub const TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "needs",
        "実態把握調査（ご家族向け・ニーズ調査）",
        "needs",
        NEEDS_TEMPLATE,
    ),
    (
        "training",
        "研修会の事前・事後アンケート",
        "training",
        TRAINING_TEMPLATE,
    ),
    ("blank", "白紙から作る", "other", BLANK),
];

const BLANK: &str = r#"{"intro":"","sections":[{"title":"質問","items":[]}]}"#;

pub const MAX_ITEMS: usize = 120;
pub const MAX_OPTIONS: usize = 40;
pub const MAX_LABEL: usize = 400;
/// Most characters one text answer may hold.
pub const MAX_ANSWER: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Single,
    Multi,
    Scale,
    Number,
    Date,
    Short,
    Long,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Single,
        Kind::Multi,
        Kind::Scale,
        Kind::Number,
        Kind::Date,
        Kind::Short,
        Kind::Long,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multi => "multi",
            Kind::Scale => "scale",
            Kind::Number => "number",
            Kind::Date => "date",
            Kind::Short => "short",
            Kind::Long => "long",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Single => "ひとつ選ぶ",
            Kind::Multi => "いくつでも選ぶ",
            Kind::Scale => "5段階",
            Kind::Number => "数",
            Kind::Date => "日付",
            Kind::Short => "短い文",
            Kind::Long => "長い文",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether answers are one of the item's options (counted per option).
    pub fn has_options(self) -> bool {
        matches!(self, Kind::Single | Kind::Multi | Kind::Scale)
    }

    pub fn is_text(self) -> bool {
        matches!(self, Kind::Short | Kind::Long)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub label: String,
    /// 「その他」: the answer may add words of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
}

/// Show the item only when `item` (an earlier choice) was answered with one of `is`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub item: String,
    pub is: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    pub kind: Kind,
    pub text: String,
    /// A line under the question (how to answer, an example).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    #[serde(default)]
    pub required: bool,
    /// Single, multiple: the choices. Scale: five labels, 1 to 5 (the defaults when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Number: the smallest and largest accepted, and the unit shown after the box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
}

impl Item {
    /// The options an answer is one of (a scale's five, named by 1–5).
    pub fn choices(&self) -> Vec<Choice> {
        if self.kind == Kind::Scale && self.options.is_empty() {
            return SCALE_DEFAULT
                .iter()
                .enumerate()
                .map(|(i, l)| Choice {
                    key: (i + 1).to_string(),
                    label: l.to_string(),
                    other: false,
                })
                .collect();
        }
        self.options.clone()
    }

    pub fn choice_label(&self, key: &str) -> Option<String> {
        self.choices()
            .into_iter()
            .find(|c| c.key == key)
            .map(|c| c.label)
    }
}

pub const SCALE_DEFAULT: [&str; 5] = [
    "まったくそう思わない",
    "あまりそう思わない",
    "どちらともいえない",
    "ややそう思う",
    "とてもそう思う",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default)]
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Shown at the top of the answer page (plain Japanese for families).
    #[serde(default)]
    pub intro: String,
    pub sections: Vec<Section>,
}

fn bad(field: &str, msg: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: msg.into(),
    }
}

impl Definition {
    pub fn parse(json: &str) -> Result<Definition, Vec<FieldError>> {
        let d: Definition = serde_json::from_str(json).map_err(|e| {
            vec![bad(
                "definition",
                format!(
                    "質問の定義（JSON）を読み取れません（{} 行 {} 列）。",
                    e.line(),
                    e.column()
                ),
            )]
        })?;
        d.check()?;
        Ok(d)
    }

    pub fn template(key: &str) -> Option<(&'static str, &'static str, Definition)> {
        let (_, name, purpose, json) = TEMPLATES.iter().find(|t| t.0 == key)?;
        let d: Definition = serde_json::from_str(json).ok()?;
        Some((name, purpose, d))
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }

    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items().find(|i| i.key == key)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every problem that would make the survey impossible to answer or to count.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = vec![];
        let text_ok = |s: &str| crate::validate::unsafe_text(s).is_none();
        if self.intro.chars().count() > 4000 || !text_ok(&self.intro) {
            errs.push(bad(
                "intro",
                "はじめの説明は 4000 字までで、制御文字を含めないでください。",
            ));
        }
        if self.sections.is_empty() {
            errs.push(bad("sections", "区分（セクション）が一つもありません。"));
        }
        let total: usize = self.sections.iter().map(|s| s.items.len()).sum();
        if total > MAX_ITEMS {
            errs.push(bad(
                "sections",
                format!("質問は {MAX_ITEMS} 問までです（{total} 問あります）。"),
            ));
        }
        let mut seen: BTreeMap<&str, &Item> = BTreeMap::new();
        let mut n = 0;
        for (si, s) in self.sections.iter().enumerate() {
            if s.title.trim().is_empty() || s.title.chars().count() > 100 || !text_ok(&s.title) {
                errs.push(bad(
                    &format!("section_{si}"),
                    format!("区分 {} の見出しを 100 字以内で入れてください。", si + 1),
                ));
            }
            for it in &s.items {
                n += 1;
                let f = format!("item_{}", it.key);
                let at = format!("問{n}");
                if it.key.is_empty()
                    || it.key.len() > 40
                    || !it
                        .key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    errs.push(bad(
                        &f,
                        format!("{at}: 項目キーは半角英数字と _ で 40 字までにしてください。"),
                    ));
                }
                if seen.contains_key(it.key.as_str()) {
                    errs.push(bad(
                        &f,
                        format!("{at}: 項目キー「{}」が重複しています。", it.key),
                    ));
                }
                if it.text.trim().is_empty()
                    || it.text.chars().count() > MAX_LABEL
                    || !text_ok(&it.text)
                    || !text_ok(&it.hint)
                    || it.hint.chars().count() > MAX_LABEL
                {
                    errs.push(bad(
                        &f,
                        format!("{at}: 質問文を {MAX_LABEL} 字以内で入れてください。"),
                    ));
                }
                if (it.kind == Kind::Single || it.kind == Kind::Multi) && it.options.len() < 2 {
                    errs.push(bad(&f, format!("{at}: 選択肢を二つ以上入れてください。")));
                }
                if it.kind == Kind::Scale && !(it.options.is_empty() || it.options.len() == 5) {
                    errs.push(bad(
                        &f,
                        format!("{at}: 5段階の選択肢は五つです（空なら標準の五つ）。"),
                    ));
                }
                if !it.kind.has_options() && !it.options.is_empty() {
                    errs.push(bad(
                        &f,
                        format!("{at}: 「{}」の質問に選択肢は置けません。", it.kind.label()),
                    ));
                }
                if it.options.len() > MAX_OPTIONS {
                    errs.push(bad(&f, format!("{at}: 選択肢は {MAX_OPTIONS} までです。")));
                }
                let mut keys = BTreeSet::new();
                for c in &it.options {
                    if c.key.is_empty()
                        || c.key.len() > 40
                        || !c.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        errs.push(bad(
                            &f,
                            format!("{at}: 選択肢のキーは半角英数字と _ で 40 字までです。"),
                        ));
                    }
                    if !keys.insert(c.key.as_str()) {
                        errs.push(bad(
                            &f,
                            format!("{at}: 選択肢のキー「{}」が重複しています。", c.key),
                        ));
                    }
                    if c.label.trim().is_empty()
                        || c.label.chars().count() > 200
                        || !text_ok(&c.label)
                    {
                        errs.push(bad(
                            &f,
                            format!("{at}: 選択肢の文を 200 字以内で入れてください。"),
                        ));
                    }
                }
                if let (Some(lo), Some(hi)) = (it.min, it.max) {
                    if lo > hi {
                        errs.push(bad(
                            &f,
                            format!("{at}: 最小値（{lo}）が最大値（{hi}）より大きくなっています。"),
                        ));
                    }
                }
                if (it.min.is_some() || it.max.is_some() || !it.unit.is_empty())
                    && it.kind != Kind::Number
                {
                    errs.push(bad(
                        &f,
                        format!("{at}: 最小値・最大値・単位は「数」の質問だけに置けます。"),
                    ));
                }
                if it.unit.chars().count() > 20 || !text_ok(&it.unit) {
                    errs.push(bad(&f, format!("{at}: 単位は 20 字までです。")));
                }
                if let Some(w) = &it.when {
                    match seen.get(w.item.as_str()) {
                        None => errs.push(bad(&f, format!(
                            "{at}: 表示の条件は、この質問より前の選択式の質問を指してください（「{}」は前にありません）。",
                            w.item
                        ))),
                        Some(src) if !(src.kind == Kind::Single || src.kind == Kind::Multi) => errs.push(bad(&f, format!(
                            "{at}: 表示の条件に使えるのは「ひとつ選ぶ」「いくつでも選ぶ」の質問だけです。"
                        ))),
                        Some(src) => {
                            if w.is.is_empty() || w.is.iter().any(|k| src.choice_label(k).is_none()) {
                                errs.push(bad(&f, format!("{at}: 表示の条件の選択肢が「{}」にありません。", w.item)));
                            }
                        }
                    }
                }
                seen.entry(it.key.as_str()).or_insert(it);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_passes_its_own_check() {
        for (key, _, _, json) in TEMPLATES {
            let d = Definition::parse(json).unwrap_or_else(|e| panic!("{key}: {e:?}"));
            if *key != "blank" {
                assert!(d.items().count() >= 10, "{key}");
            }
        }
        let needs = Definition::template("needs").unwrap().2;
        for k in [
            "disease_group",
            "age_band",
            "medical_care",
            "sibling",
            "caregiver_burden",
        ] {
            assert!(needs.item(k).is_some(), "the needs survey asks {k}");
        }
    }

    #[test]
    fn check_names_each_problem() {
        let d = Definition::parse(
            r#"{"sections":[{"title":"a","items":[
              {"key":"q1","kind":"single","text":"一","options":[{"key":"a","label":"A"}]},
              {"key":"q1","kind":"number","text":"二","min":5,"max":1},
              {"key":"q3","kind":"short","text":"三","when":{"item":"q9","is":["a"]}},
              {"key":"q4","kind":"short","text":"四","when":{"item":"q1","is":["zz"]}},
              {"key":"bad key","kind":"date","text":"五","unit":"日"}
            ]}]}"#,
        )
        .unwrap_err();
        let all: Vec<&str> = d.iter().map(|e| e.message.as_str()).collect();
        assert!(
            all.iter()
                .any(|m| m.contains("問1") && m.contains("二つ以上")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("問2") && m.contains("重複")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("問2") && m.contains("最小値")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("問3") && m.contains("前にありません")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("問4") && m.contains("選択肢が")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("問5") && m.contains("半角英数字")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("問5") && m.contains("単位")),
            "{all:?}"
        );
        assert!(Definition::parse("{").unwrap_err()[0]
            .message
            .contains("JSON"));
        assert!(Definition::parse(r#"{"sections":[],"extra":1}"#).is_err());
    }

    #[test]
    fn a_scale_has_five_default_labels() {
        let d = Definition::parse(
            r#"{"sections":[{"title":"a","items":[{"key":"s","kind":"scale","text":"満足度"}]}]}"#,
        )
        .unwrap();
        let c = d.item("s").unwrap().choices();
        assert_eq!(c.len(), 5);
        assert_eq!(c[0].key, "1");
        assert_eq!(c[4].label, "とてもそう思う");
    }
}
