//! The answer form as a view (templates/surveys/engine/form.html): sections, numbered
//! questions, what was typed (after a refusal everything comes back), the field in error
//! marked, and each condition written out (「問3で「している」を選んだ方」) so that the
//! form reads right without script; /assets/survey.js hides what does not apply.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::error::FieldError;
use crate::surveys::engine::answers::{field, other_field};
use crate::surveys::engine::def::Definition;
use crate::web::form::Values;

pub struct OptView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
    pub other: bool,
}

pub struct ItemView {
    pub n: usize,
    pub name: String,
    pub kind: &'static str,
    pub text: String,
    pub hint: String,
    pub required: bool,
    pub options: Vec<OptView>,
    pub other_name: String,
    pub other_value: String,
    pub value: String,
    pub error: Option<String>,
    pub min: String,
    pub max: String,
    pub unit: String,
    /// 「問3で「している」を選んだ方に」 (empty without a condition)
    pub when_text: String,
    /// For the script: the field it depends on and the values that show it (`|`-joined).
    pub when_name: String,
    pub when_is: String,
}

pub struct SectionView {
    pub title: String,
    pub note: String,
    pub items: Vec<ItemView>,
}

/// The form as sent: every field with all its values (check boxes repeat a name).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    pub code: String,
    pub submission: String,
    #[serde(flatten)]
    pub rest: BTreeMap<String, Values>,
}

impl AnswerForm {
    pub fn sent(&self) -> BTreeMap<String, Vec<String>> {
        self.rest
            .iter()
            .filter(|(k, _)| k.starts_with("q_"))
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect()
    }
}

/// The sections of `def` with what `sent` holds and the errors of a refusal.
pub fn sections(
    def: &Definition,
    sent: &BTreeMap<String, Vec<String>>,
    errors: &[FieldError],
) -> Vec<SectionView> {
    let none: Vec<String> = vec![];
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut n = 0;
    let mut out = vec![];
    for s in &def.sections {
        let mut items = vec![];
        for it in &s.items {
            n += 1;
            numbers.insert(it.key.as_str(), n);
            let name = field(&it.key);
            let values = sent.get(&name).unwrap_or(&none);
            let (when_text, when_name, when_is) = match &it.when {
                None => (String::new(), String::new(), String::new()),
                Some(w) => {
                    let src = def.item(&w.item);
                    let labels: Vec<String> =
                        w.is.iter()
                            .map(|k| {
                                format!(
                                    "「{}」",
                                    src.and_then(|s| s.choice_label(k))
                                        .unwrap_or_else(|| k.clone())
                                )
                            })
                            .collect();
                    (
                        format!(
                            "問{}で{}を選んだ方に",
                            numbers.get(w.item.as_str()).copied().unwrap_or(0),
                            labels.join("か")
                        ),
                        field(&w.item),
                        w.is.join("|"),
                    )
                }
            };
            items.push(ItemView {
                n,
                kind: it.kind.as_str(),
                text: it.text.clone(),
                hint: it.hint.clone(),
                required: it.required,
                options: it
                    .choices()
                    .into_iter()
                    .map(|c| OptView {
                        id: format!("{name}-{}", c.key),
                        checked: values.contains(&c.key),
                        value: c.key,
                        label: c.label,
                        other: c.other,
                    })
                    .collect(),
                other_name: other_field(&it.key),
                other_value: sent
                    .get(&other_field(&it.key))
                    .and_then(|v| v.first())
                    .cloned()
                    .unwrap_or_default(),
                value: if it.kind.has_options() {
                    String::new()
                } else {
                    values.first().cloned().unwrap_or_default()
                },
                error: errors
                    .iter()
                    .find(|e| e.field == name || e.field == other_field(&it.key))
                    .map(|e| e.message.clone()),
                min: it.min.map(|v| v.to_string()).unwrap_or_default(),
                max: it.max.map(|v| v.to_string()).unwrap_or_default(),
                unit: it.unit.clone(),
                when_text,
                when_name,
                when_is,
                name,
            });
        }
        out.push(SectionView {
            title: s.title.clone(),
            note: s.note.clone(),
            items,
        });
    }
    out
}

/// A fresh key for one showing of the form (the same form sent twice is one answer).
pub fn submission_key() -> String {
    crate::auth::random_token()
}

/// The messages of a refusal that belong to no question (the code, the submission key).
pub fn general_errors(errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .filter(|e| !e.field.starts_with("q_"))
        .map(|e| e.message.clone())
        .collect()
}
