//! The training survey's rules (no I/O): the question set (data, the default shipped in
//! `data/surveys/training_default.json`), the two phases, reading and checking one
//! answer, and the aggregate (counts and percentages per option, pre and post side by
//! side, and the guide's headline changes such as 「連携のハードルを感じている」).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The default question set, modelled on the guide's 熊本県の研修会.
pub const DEFAULT_SET: &str = include_str!("../../data/surveys/training_default.json");

/// Longest free text accepted (characters).
pub const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Pre,
    Post,
}

impl Phase {
    pub const ALL: [Phase; 2] = [Phase::Pre, Phase::Post];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pre => "pre",
            Phase::Post => "post",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Pre => "事前",
            Phase::Post => "事後",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        match s.trim() {
            "pre" => Some(Phase::Pre),
            "post" => Some(Phase::Post),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One of the options (radio buttons).
    Single,
    /// Any of the options (check boxes); an option marked `other` takes a free text.
    Multi,
    /// Free text.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub label: String,
    /// 「その他」: comes with a free text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
}

/// A change the guide reports, e.g. 「感じている」 pre 29.1% → post 0%: the share of
/// respondents who chose any of `options`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub label: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    pub kind: Kind,
    pub phases: Vec<Phase>,
    /// Short name for tables and charts.
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pre_text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub post_text: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<Headline>,
}

impl Question {
    pub fn asks(&self, phase: Phase) -> bool {
        self.phases.contains(&phase)
    }

    /// The wording shown in a phase (falls back to the other phase's, then the label).
    pub fn text(&self, phase: Phase) -> &str {
        let (first, second) = match phase {
            Phase::Pre => (&self.pre_text, &self.post_text),
            Phase::Post => (&self.post_text, &self.pre_text),
        };
        [first, second]
            .into_iter()
            .find(|t| !t.is_empty())
            .map(String::as_str)
            .unwrap_or(&self.label)
    }

    pub fn choice(&self, key: &str) -> Option<&Choice> {
        self.options.iter().find(|c| c.key == key)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intro {
    #[serde(default)]
    pub pre: String,
    #[serde(default)]
    pub post: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionSet {
    pub name: String,
    #[serde(default)]
    pub intro: Intro,
    pub questions: Vec<Question>,
}

impl QuestionSet {
    /// The shipped default set (checked by a unit test, so parsing cannot fail at run time).
    pub fn default_set() -> QuestionSet {
        serde_json::from_str(DEFAULT_SET).expect("data/surveys/training_default.json is valid")
    }

    pub fn parse(json: &str) -> Result<QuestionSet, String> {
        let set: QuestionSet =
            serde_json::from_str(json).map_err(|e| format!("設問の形式が正しくありません: {e}"))?;
        set.check()?;
        Ok(set)
    }

    /// The questions asked in a phase, in order.
    pub fn for_phase(&self, phase: Phase) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.asks(phase))
    }

    pub fn intro(&self, phase: Phase) -> &str {
        match phase {
            Phase::Pre => &self.intro.pre,
            Phase::Post => &self.intro.post,
        }
    }

    /// Keys are unique and plain, choice questions have options with unique keys, and a
    /// headline names existing options.
    pub fn check(&self) -> Result<(), String> {
        let plain = |k: &str| {
            !k.is_empty()
                && k.len() <= 32
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let mut seen = vec![];
        for q in &self.questions {
            if !plain(&q.key) || seen.contains(&q.key.as_str()) {
                return Err(format!(
                    "設問のキー「{}」が正しくないか重複しています。",
                    q.key
                ));
            }
            seen.push(&q.key);
            if q.phases.is_empty() {
                return Err(format!("設問「{}」を尋ねる時期がありません。", q.label));
            }
            match q.kind {
                Kind::Text => {
                    if !q.options.is_empty() {
                        return Err(format!("自由記述の設問「{}」に選択肢があります。", q.label));
                    }
                }
                Kind::Single | Kind::Multi => {
                    if q.options.is_empty() {
                        return Err(format!("設問「{}」に選択肢がありません。", q.label));
                    }
                    let mut keys = vec![];
                    for c in &q.options {
                        if !plain(&c.key) || keys.contains(&c.key.as_str()) {
                            return Err(format!(
                                "設問「{}」の選択肢のキー「{}」が正しくないか重複しています。",
                                q.label, c.key
                            ));
                        }
                        keys.push(&c.key);
                    }
                    if q.kind == Kind::Single && q.options.iter().any(|c| c.other) {
                        return Err(format!(
                            "「その他」の記入欄は複数選択の設問にだけ置けます（{}）。",
                            q.label
                        ));
                    }
                }
            }
            if let Some(h) = &q.headline {
                if q.kind == Kind::Text || h.options.iter().any(|o| q.choice(o).is_none()) {
                    return Err(format!(
                        "設問「{}」の主な変化の指定が正しくありません。",
                        q.label
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One person's answer: the chosen option keys per question, and free texts (text
/// questions, and the 「その他」 text of a multiple-choice question) per question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub choices: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
}

impl Response {
    pub fn chose(&self, question: &str, option: &str) -> bool {
        self.choices
            .get(question)
            .is_some_and(|v| v.iter().any(|o| o == option))
    }

    pub fn answered(&self, question: &str) -> bool {
        self.choices.get(question).is_some_and(|v| !v.is_empty())
            || self.texts.get(question).is_some_and(|t| !t.is_empty())
    }
}

/// What a respondent sent: the optional 分野, and by form field name (`q_KEY`,
/// `q_KEY_other`) the values in the order sent. The answer page's form gives it
/// (`surveys::web`); `read_answer` checks it.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub field: String,
    pub values: BTreeMap<String, Vec<String>>,
}

impl Sent {
    /// Every value sent under `name`.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first value sent under `name`, or "".
    pub fn first(&self, name: &str) -> &str {
        self.all(name).first().map(String::as_str).unwrap_or("")
    }
}

/// Form field names: `q_KEY` (repeated for check boxes), `q_KEY_other` for 「その他」.
pub fn field_name(question: &str) -> String {
    format!("q_{question}")
}

pub fn other_name(question: &str) -> String {
    format!("q_{question}_other")
}

fn shown(v: &str) -> String {
    let v = crate::text::clean(v);
    let mut s: String = v.chars().take(20).collect();
    if v.chars().count() > 20 {
        s.push('…');
    }
    s
}

fn check_text(n: usize, q: &Question, v: &str, errs: &mut Vec<FieldError>) -> String {
    let v = v.trim().replace("\r\n", "\n");
    let len = v.chars().count();
    if len > MAX_TEXT {
        errs.push(FieldError::new(
            &field_name(&q.key),
            format!(
                "問{n}「{}」は {MAX_TEXT} 文字以内でお書きください（いま {len} 文字）。",
                q.label
            ),
        ));
    } else if let Some(m) = crate::validate::unsafe_text(&v) {
        errs.push(FieldError::new(
            &field_name(&q.key),
            format!("問{n}「{}」: {m}", q.label),
        ));
    }
    v
}

/// Reads one answer to the questions of `phase` from what was sent, checking every value:
/// an option that is not offered, two options for a single-choice question, an answer
/// to a question this phase does not ask, a missing required answer or an overlong
/// text is refused with a Japanese message naming the question (問1 …).
pub fn read_answer(
    set: &QuestionSet,
    phase: Phase,
    sent: &Sent,
) -> Result<Response, Vec<FieldError>> {
    let mut errs = vec![];
    let mut out = Response::default();
    let asked: Vec<&Question> = set.for_phase(phase).collect();
    for name in sent.values.keys() {
        if let Some(rest) = name.strip_prefix("q_") {
            let known = asked
                .iter()
                .any(|q| rest == q.key || *rest == format!("{}_other", q.key));
            if !known {
                errs.push(FieldError::new(
                    name,
                    format!(
                        "この回答画面にない設問（{}）への回答が含まれています。画面を読み込み直してから回答してください。",
                        shown(rest)
                    ),
                ));
            }
        }
    }
    for (i, q) in asked.iter().enumerate() {
        let n = i + 1;
        let name = field_name(&q.key);
        let values: Vec<&str> = sent
            .all(&name)
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        match q.kind {
            Kind::Text => {
                if values.len() > 1 {
                    errs.push(FieldError::new(
                        &name,
                        format!("問{n}「{}」の記入欄が二つ送られました。", q.label),
                    ));
                    continue;
                }
                let v = check_text(n, q, values.first().copied().unwrap_or(""), &mut errs);
                if v.is_empty() && q.required {
                    errs.push(FieldError::new(
                        &name,
                        format!("問{n}「{}」をお書きください。", q.label),
                    ));
                }
                if !v.is_empty() {
                    out.texts.insert(q.key.clone(), v);
                }
            }
            Kind::Single | Kind::Multi => {
                let mut chosen: Vec<String> = vec![];
                let mut bad = false;
                for v in &values {
                    match q.choice(v) {
                        Some(c) => {
                            if !chosen.contains(&c.key) {
                                chosen.push(c.key.clone());
                            }
                        }
                        None => {
                            bad = true;
                            errs.push(FieldError::new(
                                &name,
                                format!(
                                    "問{n}「{}」の回答「{}」は選択肢にありません。選択肢から選んでください。",
                                    q.label,
                                    shown(v)
                                ),
                            ));
                        }
                    }
                }
                if bad {
                    continue;
                }
                if q.kind == Kind::Single && chosen.len() > 1 {
                    errs.push(FieldError::new(
                        &name,
                        format!("問{n}「{}」は一つだけ選んでください。", q.label),
                    ));
                    continue;
                }
                let other_values: Vec<&str> = sent
                    .all(&other_name(&q.key))
                    .iter()
                    .map(String::as_str)
                    .collect();
                if let Some(other) = q.options.iter().find(|c| c.other) {
                    let text =
                        check_text(n, q, other_values.first().copied().unwrap_or(""), &mut errs);
                    if !text.is_empty() {
                        // Writing in 「その他」 counts as choosing it.
                        if !chosen.contains(&other.key) {
                            chosen.push(other.key.clone());
                        }
                        out.texts.insert(q.key.clone(), text);
                    }
                } else if other_values.iter().any(|v| !v.trim().is_empty()) {
                    errs.push(FieldError::new(
                        &other_name(&q.key),
                        format!("問{n}「{}」には「その他」の記入欄がありません。", q.label),
                    ));
                }
                if chosen.is_empty() {
                    if q.required {
                        errs.push(FieldError::new(
                            &name,
                            format!("問{n}「{}」を選んでください。", q.label),
                        ));
                    }
                    continue;
                }
                // Keep the options' order, whatever the order sent.
                chosen.sort_by_key(|k| q.options.iter().position(|c| &c.key == k));
                out.choices.insert(q.key.clone(), chosen);
            }
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// The respondent's 分野 (optional): empty, or one of the tenant's list.
pub fn check_field(field: &str, fields: &[String]) -> Result<String, FieldError> {
    let f = crate::text::clean(field);
    if f.is_empty() || fields.contains(&f) {
        Ok(f)
    } else {
        Err(FieldError::new(
            "field",
            format!(
                "所属の分野「{}」は一覧にありません。一覧から選ぶか、「選ばない」のままにしてください。",
                shown(&f)
            ),
        ))
    }
}

// ---------------------------------------------------------------- aggregate

/// `count` of `of` respondents, with the percentage rounded to one decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub count: i64,
    pub of: i64,
    /// Percentage × 10, rounded half up (None when there are no respondents).
    #[serde(skip)]
    pub tenths: Option<i64>,
}

impl Cell {
    pub fn new(count: i64, of: i64) -> Cell {
        Cell {
            count,
            of,
            tenths: (of > 0).then(|| (count * 2000 + of) / (2 * of)),
        }
    }

    /// 29.2% (or — without respondents).
    pub fn pct(&self) -> String {
        match self.tenths {
            Some(t) => format!("{}.{}%", t / 10, t % 10),
            None => "—".into(),
        }
    }

    pub fn percent(&self) -> Option<f64> {
        self.tenths.map(|t| t as f64 / 10.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CellOut {
    pub count: i64,
    pub of: i64,
    pub percent: Option<f64>,
}

impl From<Cell> for CellOut {
    fn from(c: Cell) -> CellOut {
        CellOut {
            count: c.count,
            of: c.of,
            percent: c.percent(),
        }
    }
}

fn cell_out<S: serde::Serializer>(c: &Option<Cell>, s: S) -> Result<S::Ok, S::Error> {
    c.map(CellOut::from).serialize(s)
}

/// One option's counts before and after (None where the phase does not ask it).
#[derive(Debug, Clone, Serialize)]
pub struct OptionRow {
    pub key: String,
    pub label: String,
    #[serde(serialize_with = "cell_out")]
    pub pre: Option<Cell>,
    #[serde(serialize_with = "cell_out")]
    pub post: Option<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionAgg {
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub phases: Vec<Phase>,
    pub rows: Vec<OptionRow>,
    /// Respondents who chose nothing (or wrote nothing).
    pub no_answer: OptionRow,
    /// Free texts: the answers of a text question, or the 「その他」 texts.
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeadlineAgg {
    pub question: String,
    pub label: String,
    #[serde(serialize_with = "cell_out")]
    pub pre: Option<Cell>,
    #[serde(serialize_with = "cell_out")]
    pub post: Option<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub respondents_pre: i64,
    pub respondents_post: i64,
    pub headlines: Vec<HeadlineAgg>,
    pub questions: Vec<QuestionAgg>,
    /// Respondents by 分野 (the tenant's list order, then 未回答).
    pub fields: Vec<OptionRow>,
}

/// One stored answer, as the aggregate needs it.
pub struct Answered<'a> {
    pub phase: Phase,
    pub field: &'a str,
    pub response: &'a Response,
}

/// Counts and percentages per option for pre and post side by side. Every percentage
/// is of the phase's respondents (so multiple-choice rows may add up to more than
/// 100%, and those who skipped a question are counted as 無回答).
pub fn aggregate(set: &QuestionSet, answers: &[Answered], fields: &[String]) -> Aggregate {
    let of = |p: Phase| answers.iter().filter(|a| a.phase == p).count() as i64;
    let (n_pre, n_post) = (of(Phase::Pre), of(Phase::Post));
    let n = |p: Phase| match p {
        Phase::Pre => n_pre,
        Phase::Post => n_post,
    };
    let count = |p: Phase, f: &dyn Fn(&Response) -> bool| -> i64 {
        answers
            .iter()
            .filter(|a| a.phase == p && f(a.response))
            .count() as i64
    };
    let cell = |q: &Question, p: Phase, f: &dyn Fn(&Response) -> bool| -> Option<Cell> {
        q.asks(p).then(|| Cell::new(count(p, f), n(p)))
    };
    let mut questions = vec![];
    let mut headlines = vec![];
    for q in &set.questions {
        let rows = q
            .options
            .iter()
            .map(|c| OptionRow {
                key: c.key.clone(),
                label: c.label.clone(),
                pre: cell(q, Phase::Pre, &|r| r.chose(&q.key, &c.key)),
                post: cell(q, Phase::Post, &|r| r.chose(&q.key, &c.key)),
            })
            .collect();
        let no_answer = OptionRow {
            key: String::new(),
            label: "無回答".into(),
            pre: cell(q, Phase::Pre, &|r| !r.answered(&q.key)),
            post: cell(q, Phase::Post, &|r| !r.answered(&q.key)),
        };
        let texts = answers
            .iter()
            .filter_map(|a| a.response.texts.get(&q.key))
            .filter(|t| !t.is_empty())
            .cloned()
            .collect();
        if let Some(h) = &q.headline {
            let any = |r: &Response| h.options.iter().any(|o| r.chose(&q.key, o));
            headlines.push(HeadlineAgg {
                question: q.key.clone(),
                label: h.label.clone(),
                pre: cell(q, Phase::Pre, &any),
                post: cell(q, Phase::Post, &any),
            });
        }
        questions.push(QuestionAgg {
            key: q.key.clone(),
            label: q.label.clone(),
            kind: q.kind,
            phases: q.phases.clone(),
            rows,
            no_answer,
            texts,
        });
    }
    let field_cell = |p: Phase, f: &str| {
        Some(Cell::new(
            answers
                .iter()
                .filter(|a| a.phase == p && a.field == f)
                .count() as i64,
            n(p),
        ))
    };
    let mut field_rows: Vec<OptionRow> = fields
        .iter()
        .map(|f| OptionRow {
            key: f.clone(),
            label: f.clone(),
            pre: field_cell(Phase::Pre, f),
            post: field_cell(Phase::Post, f),
        })
        .collect();
    // 分野 no longer in the list (renamed since) are kept, after the list.
    for a in answers {
        if !a.field.is_empty() && !field_rows.iter().any(|r| r.key == a.field) {
            field_rows.push(OptionRow {
                key: a.field.to_string(),
                label: a.field.to_string(),
                pre: field_cell(Phase::Pre, a.field),
                post: field_cell(Phase::Post, a.field),
            });
        }
    }
    field_rows
        .retain(|r| r.pre.is_some_and(|c| c.count > 0) || r.post.is_some_and(|c| c.count > 0));
    field_rows.push(OptionRow {
        key: String::new(),
        label: "未回答".into(),
        pre: field_cell(Phase::Pre, ""),
        post: field_cell(Phase::Post, ""),
    });
    Aggregate {
        respondents_pre: n_pre,
        respondents_post: n_post,
        headlines,
        questions,
        fields: field_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the answer form gives for these name/value pairs.
    fn p(items: &[(&str, &str)]) -> Sent {
        let mut s = Sent::default();
        for (k, v) in items {
            if *k == "field" {
                s.field = v.to_string();
            } else {
                s.values
                    .entry(k.to_string())
                    .or_default()
                    .push(v.to_string());
            }
        }
        s
    }

    #[test]
    fn the_default_set_is_valid_and_follows_the_guide() {
        let set = QuestionSet::default_set();
        set.check().unwrap();
        let pre: Vec<&str> = set.for_phase(Phase::Pre).map(|q| q.key.as_str()).collect();
        assert_eq!(pre, ["hurdle", "roles", "image"]);
        let post: Vec<&str> = set.for_phase(Phase::Post).map(|q| q.key.as_str()).collect();
        assert_eq!(
            post,
            [
                "hurdle",
                "roles",
                "image",
                "knowledge",
                "network",
                "viewpoints",
                "next",
                "comment"
            ]
        );
        let hurdle = &set.questions[0];
        let labels: Vec<&str> = hurdle.options.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "感じている",
                "やや感じている",
                "あまり感じていない",
                "感じていない"
            ]
        );
        assert!(set
            .questions
            .iter()
            .any(|q| q.options.iter().any(|c| c.other && c.label == "その他")));
        assert_ne!(hurdle.text(Phase::Pre), hurdle.text(Phase::Post));
    }

    #[test]
    fn reads_a_good_answer() {
        let set = QuestionSet::default_set();
        let r = read_answer(
            &set,
            Phase::Post,
            &p(&[
                ("_csrf", "x"),
                ("field", "教育"),
                ("q_hurdle", "3"),
                ("q_roles", "1"),
                ("q_image", "2"),
                ("q_knowledge", "1"),
                ("q_network", "2"),
                ("q_viewpoints", "c"),
                ("q_viewpoints", "a"),
                ("q_viewpoints", "a"),
                ("q_next_other", "  校内で共有したい "),
                ("q_comment", "とても参考になった"),
            ]),
        )
        .unwrap();
        assert_eq!(r.choices["viewpoints"], ["a", "c"]);
        assert_eq!(r.choices["next"], ["other"], "writing in その他 chooses it");
        assert_eq!(r.texts["next"], "校内で共有したい");
        assert_eq!(r.texts["comment"], "とても参考になった");
    }

    #[test]
    fn refuses_unknown_options_and_missing_answers() {
        let set = QuestionSet::default_set();
        let e = read_answer(
            &set,
            Phase::Pre,
            &p(&[("q_hurdle", "9"), ("q_roles", "1"), ("q_roles", "2")]),
        )
        .unwrap_err();
        let msgs: Vec<&str> = e.iter().map(|x| x.message.as_str()).collect();
        assert!(
            msgs[0].contains("問1「連携のハードル」の回答「9」は選択肢にありません"),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("問2") && m.contains("一つだけ")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("問3") && m.contains("選んでください")),
            "{msgs:?}"
        );
        // A post-only question in the pre form.
        let e = read_answer(
            &set,
            Phase::Pre,
            &p(&[
                ("q_hurdle", "1"),
                ("q_roles", "1"),
                ("q_image", "1"),
                ("q_knowledge", "1"),
            ]),
        )
        .unwrap_err();
        assert!(e[0].message.contains("この回答画面にない設問"), "{e:?}");
        let long = "あ".repeat(MAX_TEXT + 1);
        let e = read_answer(
            &set,
            Phase::Post,
            &p(&[
                ("q_hurdle", "1"),
                ("q_roles", "1"),
                ("q_image", "1"),
                ("q_knowledge", "1"),
                ("q_network", "1"),
                ("q_comment", &long),
            ]),
        )
        .unwrap_err();
        assert!(e[0].message.contains("2000 文字以内"), "{e:?}");
        assert!(check_field("教育", &["教育".into()]).is_ok());
        assert!(check_field("", &["教育".into()]).is_ok());
        assert!(check_field("宇宙", &["教育".into()]).is_err());
    }

    #[test]
    fn aggregates_like_the_guide() {
        let set = QuestionSet::default_set();
        let mut rs = vec![];
        // 24 before: 7 感じている; 24 after: none.
        for i in 0..24 {
            let mut r = Response::default();
            r.choices
                .insert("hurdle".into(), vec![if i < 7 { "1" } else { "2" }.into()]);
            rs.push((Phase::Pre, r));
        }
        for i in 0..24 {
            let mut r = Response::default();
            r.choices.insert("hurdle".into(), vec!["3".into()]);
            if i < 15 {
                r.choices.insert("viewpoints".into(), vec!["a".into()]);
            }
            rs.push((Phase::Post, r));
        }
        let answered: Vec<Answered> = rs
            .iter()
            .map(|(p, r)| Answered {
                phase: *p,
                field: if matches!(p, Phase::Pre) {
                    "教育"
                } else {
                    ""
                },
                response: r,
            })
            .collect();
        let a = aggregate(&set, &answered, &["医療".into(), "教育".into()]);
        assert_eq!((a.respondents_pre, a.respondents_post), (24, 24));
        let h = &a.headlines[0];
        assert_eq!(h.pre.unwrap().pct(), "29.2%");
        assert_eq!(h.post.unwrap().pct(), "0.0%");
        let roles = a.questions.iter().find(|q| q.key == "roles").unwrap();
        assert_eq!(
            roles.no_answer.pre.unwrap().count,
            24,
            "nobody answered roles"
        );
        let vp = a.questions.iter().find(|q| q.key == "viewpoints").unwrap();
        assert!(vp.rows[0].pre.is_none(), "not asked before");
        assert_eq!(vp.rows[0].post.unwrap().pct(), "62.5%");
        assert_eq!(a.fields[0].label, "教育");
        assert_eq!(a.fields[0].pre.unwrap().count, 24);
        assert_eq!(a.fields.last().unwrap().post.unwrap().count, 24);
        assert_eq!(Cell::new(1, 24).pct(), "4.2%");
        assert_eq!(Cell::new(0, 0).pct(), "—");
    }
}
