//! The disclosure document (開示請求への回答), without I/O: which sections it has and
//! which columns each shows, how a value reads in Japanese, the page's and print's view,
//! and the machine-readable JSON. The store reads one list of rows per section
//! (`store::disclosure`), in the order of `SECTIONS`.

use serde_json::{json, Map, Value};

use crate::auth::Role;
use crate::time;

/// How a column is stored and how it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An id: in the JSON, not on paper.
    Id,
    Text,
    /// Several lines (notes, minutes).
    Long,
    Int,
    /// 0/1.
    Flag,
    /// A stored UTC timestamp, shown in Japan time.
    At,
    /// A date (YYYY-MM-DD), shown in 和暦.
    Date,
    /// A local time in Japan as meetings keep it (2026-01-20T14:00).
    Local,
    Minutes,
    Sex,
    DiseaseGroup,
    ChildStatus,
    CloseReason,
    ReferralStatus,
    /// Comma-separated consent items (basic,disease,…).
    Items,
    FollowUpKind,
    IndicatorKind,
    Role,
    /// A support plan's actions (JSON).
    PlanActions,
    /// A meeting's timeline (JSON).
    Agenda,
    ParticipantKind,
    PersonKind,
    ServiceStatus,
    AuditAction,
}

impl Kind {
    /// Columns read as BIGINT (the rest are TEXT, maybe NULL).
    pub fn is_int(self) -> bool {
        matches!(
            self,
            Kind::Int | Kind::Flag | Kind::Minutes | Kind::DiseaseGroup
        )
    }
}

pub struct Col {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
}

const fn c(key: &'static str, label: &'static str, kind: Kind) -> Col {
    Col { key, label, kind }
}

pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub cols: &'static [Col],
    /// Shown inside the rows of another section: (its key, the column holding its id).
    pub parent: Option<(&'static str, &'static str)>,
    /// Short rows: a table rather than a list of fields.
    pub table: bool,
}

use Kind::*;

/// Every section, in the order the document shows them. `store::section_sql` has one
/// statement per key, selecting these columns by these names.
pub const SECTIONS: &[Section] = &[
    Section {
        key: "child",
        title: "基本情報",
        table: false,
        parent: None,
        cols: &[
            c("id", "記録番号", Id),
            c("name", "氏名", Text),
            c("reading", "ふりがな", Text),
            c("birth_date", "生年月日", Date),
            c("sex", "性別", Sex),
            c("disease_group", "疾患群", DiseaseGroup),
            c("disease_name", "疾患名", Text),
            c("certificate_number", "医療受給者証の番号", Text),
            c("certificate_from", "受給者証の有効期間（開始）", Date),
            c("certificate_to", "受給者証の有効期間（終了）", Date),
            c("certified_at_18", "18歳時点で認定", Flag),
            c("school", "学校", Text),
            c("grade", "学年", Text),
            c("workplace", "職場", Text),
            c("medical_care", "医療的ケア", Long),
            c("household_notes", "世帯の状況", Long),
            c("status", "支援の状況", ChildStatus),
            c("closed_at", "終結日", At),
            c("close_reason", "終結の理由", CloseReason),
            c("created_at", "登録日時", At),
            c("updated_at", "最終更新日時", At),
        ],
    },
    Section {
        key: "family_members",
        title: "家族",
        table: true,
        parent: None,
        cols: &[
            c("relation", "続柄", Text),
            c("name", "氏名", Text),
            c("birth_date", "生年月日", Date),
            c("phone", "電話", Text),
            c("is_guardian", "保護者", Flag),
            c("supported", "きょうだい支援", Flag),
            c("notes", "メモ", Long),
        ],
    },
    Section {
        key: "workers",
        title: "担当者",
        table: true,
        parent: None,
        cols: &[
            c("name", "氏名", Text),
            c("role", "役割", Role),
            c("is_primary", "主担当", Flag),
            c("assigned_at", "担当になった日時", At),
        ],
    },
    Section {
        key: "consents",
        title: "情報共有の同意",
        table: false,
        parent: None,
        cols: &[
            c("id", "同意の番号", Id),
            c("agency_name", "共有先の関係機関", Text),
            c("purpose", "目的", Long),
            c("items", "共有してよい項目", Items),
            c("valid_from", "有効期間（開始）", Date),
            c("valid_to", "有効期間（終了）", Date),
            c("method", "同意の方法", Text),
            c("given_by", "同意した人", Text),
            c("recorded_by", "記録した職員", Text),
            c("created_at", "記録日時", At),
            c("revoked_at", "撤回日時", At),
            c("revoked_by", "撤回を記録した職員", Text),
            c("revoke_reason", "撤回の理由", Text),
        ],
    },
    Section {
        key: "referrals",
        title: "紹介（つなぐ支援）と共有先",
        table: false,
        parent: None,
        cols: &[
            c("id", "紹介の番号", Id),
            c("agency_name", "紹介先の関係機関", Text),
            c("agency_field", "分野", Text),
            c("purpose", "目的", Long),
            c("shared_items", "共有した項目", Items),
            c("message", "紹介先への連絡事項", Long),
            c("status", "状況", ReferralStatus),
            c("reason", "理由", Long),
            c("outcome", "結果", Long),
            c("created_by", "紹介した職員", Text),
            c("created_at", "紹介日時", At),
            c("accepted_at", "受付日時", At),
            c("closed_at", "完了日時", At),
        ],
    },
    Section {
        key: "referral_events",
        title: "紹介の経過",
        table: true,
        parent: Some(("referrals", "referral_id")),
        cols: &[
            c("referral_id", "紹介の番号", Id),
            c("at", "日時", At),
            c("actor", "記録した人", Text),
            c("from_status", "変更前", ReferralStatus),
            c("to_status", "変更後", ReferralStatus),
            c("note", "メモ", Long),
        ],
    },
    Section {
        key: "consultations",
        title: "相談支援の記録",
        table: false,
        parent: None,
        cols: &[
            c("at", "日時", At),
            c("method", "方法", Text),
            c("kind", "種類", Text),
            c("participants", "参加者", Text),
            c("topics", "話題", Text),
            c("minutes", "時間", Minutes),
            c("destination", "同行先", Text),
            c("notes", "内容", Long),
            c("next_action", "次にすること", Long),
            c("worker_name", "記録した職員", Text),
        ],
    },
    Section {
        key: "support_plans",
        title: "自立支援計画",
        table: false,
        parent: None,
        cols: &[
            c("revision", "版", Int),
            c("child_words", "本人の思い", Long),
            c("guardian_words", "家族の思い", Long),
            c("long_term_goal", "長期目標", Long),
            c("short_term_goals", "短期目標", Long),
            c("review_date", "見直しの予定日", Date),
            c("actions", "取り組み", PlanActions),
            c("note", "メモ", Long),
            c("created_by", "作成した職員", Text),
            c("created_at", "作成日時", At),
        ],
    },
    Section {
        key: "follow_ups",
        title: "フォローアップ",
        table: true,
        parent: None,
        cols: &[
            c("kind", "種類", FollowUpKind),
            c("due_date", "予定日", Date),
            c("note", "メモ", Long),
            c("assigned", "担当", Text),
            c("done_at", "実施日時", At),
            c("done_by", "実施した職員", Text),
        ],
    },
    Section {
        key: "indicators",
        title: "指標の記録",
        table: true,
        parent: None,
        cols: &[
            c("kind", "指標", IndicatorKind),
            c("period", "期間", Text),
            c("value", "値", Int),
            c("note", "メモ", Long),
            c("recorded_by", "記録した職員", Text),
            c("recorded_at", "記録日時", At),
        ],
    },
    Section {
        key: "ecomap",
        title: "頼れる人マップ",
        table: false,
        parent: None,
        cols: &[
            c("agency_name", "関係機関名", Text),
            c("person_name", "名前", Text),
            c("affiliation", "所属", Text),
            c("contact", "連絡先", Text),
            c("when_to_contact", "どんな時に連絡", Long),
            c("strengths", "強み", Long),
            c("can_do", "実施できること", Long),
            c("field", "分野", Text),
            c("strength", "つながりの強さ（1〜3）", Int),
            c("created_at", "記録日時", At),
        ],
    },
    Section {
        key: "handovers",
        title: "引き継ぎ",
        table: true,
        parent: None,
        cols: &[
            c("at", "日時", At),
            c("from_user", "前の担当", Text),
            c("to_user", "新しい担当", Text),
            c("note", "引き継ぎの内容", Long),
        ],
    },
    Section {
        key: "conferences",
        title: "ケース会議",
        table: false,
        parent: None,
        cols: &[
            c("id", "会議の番号", Id),
            c("title", "名称", Text),
            c("purpose", "目的", Long),
            c("starts_at", "日時", Local),
            c("duration_minutes", "時間", Minutes),
            c("place", "場所", Text),
            c("online", "オンライン", Flag),
            c("agenda", "次第", Agenda),
            c("attendance", "出席", Long),
            c("minutes", "記録", Long),
            c("decisions", "決まったこと", Long),
            c("created_by", "作成した職員", Text),
            c("created_at", "作成日時", At),
        ],
    },
    Section {
        key: "conference_participants",
        title: "参加者",
        table: true,
        parent: Some(("conferences", "meeting_id")),
        cols: &[
            c("meeting_id", "会議の番号", Id),
            c("kind", "区分", ParticipantKind),
            c("name", "氏名", Text),
            c("affiliation", "所属", Text),
            c("agency_name", "関係機関", Text),
            c("attended", "出席", Flag),
        ],
    },
    Section {
        key: "conference_outcomes",
        title: "会議で決めた取り組み",
        table: true,
        parent: Some(("conferences", "meeting_id")),
        cols: &[
            c("meeting_id", "会議の番号", Id),
            c("description", "内容", Long),
            c("owner", "担当", Text),
            c("due_date", "期日", Date),
            c("status", "状況", Text),
            c("done_at", "完了日時", At),
        ],
    },
    Section {
        key: "services",
        title: "努力義務事業の利用",
        table: true,
        parent: None,
        cols: &[
            c("service_name", "事業", Text),
            c("event_title", "回", Text),
            c("event_date", "日付", Date),
            c("person_kind", "利用した人", PersonKind),
            c("relation", "続柄", Text),
            c("person_name", "氏名", Text),
            c("status", "状況", ServiceStatus),
            c("note", "メモ", Long),
        ],
    },
    Section {
        key: "access_log",
        title: "記録の閲覧・変更の履歴（監査ログ）",
        table: true,
        parent: None,
        cols: &[
            c("seq", "番号", Int),
            c("at", "日時", At),
            c("actor_name", "操作した人", Text),
            c("actor", "ログインID", Text),
            c("action", "操作", AuditAction),
            c("detail", "内容", Text),
        ],
    },
];

pub fn section(key: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.key == key)
}

/// One section's rows as read: one value per column (TEXT or NULL, BIGINT).
pub struct Part {
    pub section: &'static Section,
    pub rows: Vec<Vec<Value>>,
}

/// Everything held about one child.
pub struct Disclosure {
    pub child_id: String,
    pub tenant_code: String,
    pub tenant_name: String,
    /// When it was put together (stored form).
    pub generated_at: String,
    pub parts: Vec<Part>,
}

impl Disclosure {
    pub fn part(&self, key: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.section.key == key)
    }

    /// A column of the child's own row ("name", "reading", …), or "".
    pub fn child_field(&self, key: &str) -> String {
        self.part("child")
            .and_then(|p| {
                let i = p.section.cols.iter().position(|c| c.key == key)?;
                p.rows.first()?.get(i)?.as_str().map(str::to_string)
            })
            .unwrap_or_default()
    }

    pub fn rows(&self, key: &str) -> usize {
        self.part(key).map(|p| p.rows.len()).unwrap_or(0)
    }

    /// The machine-readable file: every section with its labels and its rows as
    /// objects keyed by column (raw stored values: UTC timestamps, codes, 0/1).
    pub fn to_json(&self) -> Value {
        let sections: Vec<Value> = self
            .parts
            .iter()
            .map(|p| {
                let fields: Vec<Value> = p
                    .section
                    .cols
                    .iter()
                    .map(|c| json!({"key": c.key, "label": c.label}))
                    .collect();
                let rows: Vec<Value> = p
                    .rows
                    .iter()
                    .map(|r| {
                        let mut o = Map::new();
                        for (c, v) in p.section.cols.iter().zip(r) {
                            o.insert(c.key.to_string(), v.clone());
                        }
                        Value::Object(o)
                    })
                    .collect();
                json!({
                    "key": p.section.key,
                    "title": p.section.title,
                    "fields": fields,
                    "rows": rows,
                })
            })
            .collect();
        json!({
            "format": "yorube-disclosure/1",
            "generated_at": self.generated_at,
            "tenant": {"code": self.tenant_code, "name": self.tenant_name},
            "child_id": self.child_id,
            "note": "小児慢性特定疾病児童等自立支援事業で保有している、この子どもと家族の記録のすべてです（開示請求への回答）。日時は UTC（RFC 3339）、区分は記号のまま、0/1 は「いいえ/はい」です。",
            "sections": sections,
        })
    }
}

/// One value as it reads on the page and on paper ("" for nothing).
pub fn show(kind: Kind, v: &Value) -> String {
    let s = match v {
        Value::Null => return String::new(),
        Value::String(s) => s.as_str(),
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            return match kind {
                Flag => if n != 0 { "はい" } else { "いいえ" }.into(),
                Minutes => format!("{n} 分"),
                DiseaseGroup => format!("{n} {}", crate::agencies::model::disease_group_label(n)),
                _ => n.to_string(),
            };
        }
        other => return other.to_string(),
    };
    if s.is_empty() {
        return String::new();
    }
    let or_raw = |l: &str| {
        if l.is_empty() {
            s.to_string()
        } else {
            l.to_string()
        }
    };
    match kind {
        At => time::format_datetime(s),
        Date => crate::cases::store::parse_ymd(s)
            .map(time::format_wareki)
            .unwrap_or_else(|| s.to_string()),
        Local => time::format_local_stamp(s),
        Sex => or_raw(crate::cases::model::sex_label(s)),
        ChildStatus => or_raw(super::model::status_label(s)),
        CloseReason => or_raw(super::model::close_reason_label(s)),
        ReferralStatus => or_raw(crate::cases::model::referral_status_label(s)),
        Items => s
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| or_label(crate::cases::model::consent_item_label(x), x))
            .collect::<Vec<_>>()
            .join("、"),
        FollowUpKind => or_raw(crate::cases::model::follow_up_label(s)),
        IndicatorKind => crate::cases::model::INDICATOR_KINDS
            .iter()
            .find(|(k, _, _)| *k == s)
            .map(|(_, l, _)| l.to_string())
            .unwrap_or_else(|| s.to_string()),
        Role => or_raw(Role::parse(s).map(|r| r.label()).unwrap_or("")),
        PlanActions => plan_actions(s),
        Agenda => agenda(s),
        ParticipantKind => or_raw(crate::conferences::model::participant_kind_label(s)),
        PersonKind => or_raw(crate::services::model::person_kind_label(s)),
        ServiceStatus => or_raw(crate::services::model::status_label(s)),
        AuditAction => or_raw(action_label(s)),
        Id | Text | Long | Int | Flag | Minutes | DiseaseGroup => s.to_string(),
    }
}

fn or_label(l: &str, raw: &str) -> String {
    if l.is_empty() {
        raw.to_string()
    } else {
        l.to_string()
    }
}

/// 「・学校と緊急時の対応を確認する（学校、2026-05-01まで、実施中）」, one line each.
fn plan_actions(raw: &str) -> String {
    let Ok(list) = serde_json::from_str::<Vec<crate::cases::model::PlanAction>>(raw) else {
        return raw.to_string();
    };
    list.iter()
        .map(|a| {
            let mut extra: Vec<String> = vec![];
            if !a.owner.is_empty() {
                extra.push(a.owner.clone());
            }
            if !a.due_date.is_empty() {
                extra.push(format!("{}まで", a.due_date));
            }
            if !a.status.is_empty() {
                extra.push(a.status.clone());
            }
            if extra.is_empty() {
                format!("・{}", a.description)
            } else {
                format!("・{}（{}）", a.description, extra.join("、"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// 「0:00–0:05 目的の確認」, one line each.
fn agenda(raw: &str) -> String {
    use crate::network::model::{hm, Segment};
    let Ok(list) = serde_json::from_str::<Vec<Segment>>(raw) else {
        return raw.to_string();
    };
    list.iter()
        .map(|s| {
            let who = if s.presenter.is_empty() {
                String::new()
            } else {
                format!("（{}）", s.presenter)
            };
            format!(
                "{}–{} {}{who}",
                hm(s.offset),
                hm(s.offset + s.minutes),
                s.title
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The access log's actions in words.
pub fn action_label(a: &str) -> &'static str {
    match a {
        "child.view" => "記録の閲覧",
        "child.create" => "記録の登録",
        "child.update" => "基本情報の変更",
        "child.handover" => "担当の引き継ぎ",
        "child.close" => "支援の終結",
        "child.reopen" => "支援の再開",
        "child.disclosure" => "開示のための書き出し",
        "child.disclosure_refused" => "開示の拒否（権限なし）",
        "child.erase_refused" => "削除の拒否（権限なし）",
        "consent.create" => "同意の記録",
        "consent.revoke" => "同意の撤回",
        "consultation.create" => "相談の記録",
        "plan.save" => "自立支援計画の保存",
        "follow_up.create" => "フォローアップの登録",
        "follow_up.done" => "フォローアップの実施",
        "referral.create" => "関係機関への紹介",
        "referral.status" => "紹介の状況の更新",
        "referral.view" => "紹介の閲覧",
        "ecomap.add" => "頼れる人マップへの追加",
        "ecomap.remove" => "頼れる人マップからの削除",
        "indicator.add" => "指標の記録",
        a if a.starts_with("conference.") => "ケース会議",
        a if a.starts_with("service.") => "努力義務事業",
        _ => "",
    }
}

/// A section as the page and the print show it.
pub struct Shown {
    pub key: &'static str,
    pub title: &'static str,
    pub table: bool,
    /// Column labels (tables).
    pub head: Vec<&'static str>,
    pub rows: Vec<ShownRow>,
}

pub struct ShownRow {
    pub cells: Vec<Cell>,
    /// Sections shown inside this row (a referral's history, a conference's participants).
    pub subs: Vec<Shown>,
}

pub struct Cell {
    pub label: &'static str,
    pub value: String,
    pub long: bool,
}

/// The document as sections of labelled values, the nested ones inside their parent's
/// rows; ids are left out. Empty fields are left out of the lists (not of tables).
pub fn shown(d: &Disclosure) -> Vec<Shown> {
    d.parts
        .iter()
        .filter(|p| p.section.parent.is_none())
        .map(|p| shown_part(d, p, None))
        .collect()
}

fn shown_part(d: &Disclosure, p: &Part, only: Option<(&str, &Value)>) -> Shown {
    let s = p.section;
    let visible: Vec<(usize, &Col)> = s
        .cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind != Id)
        .collect();
    let link = only.and_then(|(col, _)| s.cols.iter().position(|c| c.key == col));
    let nested: Vec<&Part> = d
        .parts
        .iter()
        .filter(|q| q.section.parent.map(|(k, _)| k) == Some(s.key))
        .collect();
    let id_col = s.cols.iter().position(|c| c.key == "id");
    let rows = p
        .rows
        .iter()
        .filter(|r| match (link, only) {
            (Some(i), Some((_, want))) => r.get(i) == Some(want),
            _ => true,
        })
        .map(|r| ShownRow {
            cells: visible
                .iter()
                .map(|(i, c)| Cell {
                    label: c.label,
                    value: r.get(*i).map(|v| show(c.kind, v)).unwrap_or_default(),
                    long: matches!(c.kind, Long | PlanActions | Agenda),
                })
                .filter(|cell| s.table || !cell.value.is_empty())
                .collect(),
            subs: match id_col.and_then(|i| r.get(i)) {
                Some(id) => nested
                    .iter()
                    .map(|q| {
                        let col = q.section.parent.map(|(_, c)| c).unwrap_or("");
                        shown_part(d, q, Some((col, id)))
                    })
                    .filter(|x| !x.rows.is_empty())
                    .collect(),
                None => vec![],
            },
        })
        .collect();
    Shown {
        key: s.key,
        title: s.title,
        table: s.table,
        head: visible.iter().map(|(_, c)| c.label).collect(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Disclosure {
        let part = |key: &str, rows: Vec<Vec<Value>>| Part {
            section: section(key).unwrap(),
            rows,
        };
        let mut child = vec![Value::Null; section("child").unwrap().cols.len()];
        child[0] = json!("c1");
        child[1] = json!("山田 太郎");
        child[3] = json!("2015-04-02");
        child[5] = json!(3);
        child[16] = json!("closed");
        Disclosure {
            child_id: "c1".into(),
            tenant_code: "demo-city".into(),
            tenant_name: "デモ市".into(),
            generated_at: "2026-01-20T01:00:00.000000Z".into(),
            parts: vec![
                part("child", vec![child]),
                part(
                    "referrals",
                    vec![
                        vec![
                            json!("r1"),
                            json!("病院"),
                            Value::Null,
                            json!("受診"),
                            json!("basic,disease"),
                            json!(""),
                            json!("accepted"),
                            json!(""),
                            json!(""),
                            json!("田中"),
                            json!("2026-01-01T00:00:00.000000Z"),
                            Value::Null,
                            Value::Null,
                        ],
                        vec![
                            json!("r2"),
                            json!("学校"),
                            Value::Null,
                            json!("復学"),
                            json!("school"),
                            json!(""),
                            json!("sent"),
                            json!(""),
                            json!(""),
                            json!("田中"),
                            json!("2026-01-02T00:00:00.000000Z"),
                            Value::Null,
                            Value::Null,
                        ],
                    ],
                ),
                part(
                    "referral_events",
                    vec![vec![
                        json!("r1"),
                        json!("2026-01-03T00:00:00.000000Z"),
                        json!("病院"),
                        json!("sent"),
                        json!("accepted"),
                        json!(""),
                    ]],
                ),
            ],
        }
    }

    #[test]
    fn every_section_is_unique_and_nested_ones_name_their_parent() {
        for (i, s) in SECTIONS.iter().enumerate() {
            assert!(SECTIONS[..i].iter().all(|t| t.key != s.key), "{}", s.key);
            if let Some((parent, col)) = s.parent {
                let p = section(parent).expect("parent exists");
                assert!(p.cols.iter().any(|c| c.key == "id"), "{parent} has an id");
                assert!(
                    s.cols.iter().any(|c| c.key == col),
                    "{} links by {col}",
                    s.key
                );
            }
        }
    }

    #[test]
    fn values_read_in_japanese() {
        assert_eq!(show(Flag, &json!(1)), "はい");
        assert_eq!(show(Minutes, &json!(45)), "45 分");
        assert_eq!(show(DiseaseGroup, &json!(7)), "7 糖尿病");
        assert_eq!(show(Date, &json!("2019-05-01")), "令和元年5月1日");
        assert_eq!(
            show(At, &json!("2026-01-20T01:00:00.000000Z")),
            "2026年1月20日 10:00"
        );
        assert_eq!(
            show(Items, &json!("basic,disease")),
            "氏名・生年月日・連絡先、疾患群・疾患名"
        );
        assert_eq!(
            show(ReferralStatus, &json!("accepted")),
            crate::cases::model::referral_status_label("accepted")
        );
        assert_eq!(show(AuditAction, &json!("child.view")), "記録の閲覧");
        assert_eq!(
            show(AuditAction, &json!("something.else")),
            "something.else"
        );
        assert_eq!(show(Text, &Value::Null), "");
        assert_eq!(
            show(
                PlanActions,
                &json!(
                    r#"[{"description":"通院","owner":"母","due_date":"2026-02-01","status":"実施中"}]"#
                )
            ),
            "・通院（母、2026-02-01まで、実施中）"
        );
        assert_eq!(
            show(
                Agenda,
                &json!(r#"[{"offset":0,"minutes":5,"title":"目的の確認"}]"#)
            ),
            "0:00–0:05 目的の確認"
        );
    }

    #[test]
    fn events_sit_under_their_referral_and_ids_stay_off_paper() {
        let d = doc();
        assert_eq!(d.child_field("name"), "山田 太郎");
        let s = shown(&d);
        assert_eq!(s.len(), 2, "nested sections are not at the top");
        let refs = &s[1];
        assert_eq!(refs.rows.len(), 2);
        assert_eq!(refs.rows[0].subs.len(), 1);
        assert_eq!(refs.rows[0].subs[0].rows.len(), 1);
        assert!(refs.rows[1].subs.is_empty());
        assert!(s[0].rows[0].cells.iter().all(|c| c.label != "記録番号"));
        assert!(s[0].rows[0].cells.iter().any(|c| c.value == "終結"));
    }

    #[test]
    fn the_json_keeps_raw_values_with_labels() {
        let j = doc().to_json();
        assert_eq!(j["format"], "yorube-disclosure/1");
        assert_eq!(j["sections"][0]["key"], "child");
        assert_eq!(j["sections"][0]["rows"][0]["name"], "山田 太郎");
        assert_eq!(j["sections"][0]["rows"][0]["disease_group"], 3);
        assert_eq!(j["sections"][1]["rows"][0]["shared_items"], "basic,disease");
        assert_eq!(j["sections"][2]["rows"][0]["referral_id"], "r1");
        assert_eq!(j["sections"][0]["fields"][1]["label"], "氏名");
    }
}
