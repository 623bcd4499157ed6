//! The agency registry's types and rules (no I/O): what an agency (関係機関) is, what
//! a valid one looks like, and the reference lists shipped with the product.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::text::{clean, search_key};

/// 分野: the guide's list; each tenant may edit its own copy.
pub const DEFAULT_FIELDS: [&str; 10] = [
    "医療",
    "医療的ケア",
    "福祉",
    "障害",
    "教育",
    "就労",
    "家族会・患者会",
    "行政",
    "総合支援",
    "その他",
];

/// 連携場面: the guide's starting list; each tenant may edit its own copy.
pub const DEFAULT_SCENES: [&str; 6] = [
    "就学・進学",
    "在宅・レスパイト",
    "移行期医療",
    "復学",
    "就労",
    "緊急時",
];

/// The 16 疾患群 (fixed by law), numbered 1..=16.
pub const DISEASE_GROUPS: [&str; 16] = [
    "悪性新生物",
    "慢性腎疾患",
    "慢性呼吸器疾患",
    "慢性心疾患",
    "内分泌疾患",
    "膠原病",
    "糖尿病",
    "先天性代謝異常",
    "血液疾患",
    "免疫疾患",
    "神経・筋疾患",
    "慢性消化器疾患",
    "染色体又は遺伝子に変化を伴う症候群",
    "皮膚疾患",
    "骨系統疾患",
    "脈管系疾患",
];

pub fn disease_group_label(n: i64) -> &'static str {
    usize::try_from(n - 1)
        .ok()
        .and_then(|i| DISEASE_GROUPS.get(i))
        .copied()
        .unwrap_or("")
}

/// A contact person (窓口担当者) of an agency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// 連絡しやすい時間帯
    #[serde(default)]
    pub best_time: String,
}

impl ContactInput {
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.department.is_empty()
            && self.phone.is_empty()
            && self.email.is_empty()
            && self.best_time.is_empty()
    }
}

/// An agency as entered on a form, in the API or in an imported row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyInput {
    /// 分野
    #[serde(default)]
    pub field: String,
    /// 関係機関名
    #[serde(default)]
    pub name: String,
    /// ふりがな
    #[serde(default)]
    pub reading: String,
    /// 所在地
    #[serde(default)]
    pub address: String,
    /// 関係機関の概要
    #[serde(default)]
    pub overview: String,
    /// サイト
    #[serde(default)]
    pub url: String,
    /// 新規の関係機関 (not yet collaborating)
    #[serde(default)]
    pub is_new: bool,
    /// 実施している支援内容
    #[serde(default)]
    pub services: String,
    /// 強み
    #[serde(default)]
    pub strengths: String,
    /// 対象の疾患群 (1..=16)
    #[serde(default)]
    pub disease_groups: Vec<i64>,
    /// 対象年齢
    #[serde(default)]
    pub age_min: Option<i64>,
    #[serde(default)]
    pub age_max: Option<i64>,
    /// 開所時間
    #[serde(default)]
    pub hours: String,
    /// 備考
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
}

pub const MAX_TEXT: usize = 4000;
pub const MAX_SHORT: usize = 200;

pub use crate::validate::unsafe_text;

/// Cleans every field (NFKC, trimmed spaces) and checks the rules. `fields` is the
/// tenant's list of 分野. Returns the cleaned input or every problem found.
pub fn validate(input: &AgencyInput, fields: &[String]) -> Result<AgencyInput, Vec<FieldError>> {
    let mut errs = vec![];
    let mut out = AgencyInput {
        field: clean(&input.field),
        name: clean(&input.name),
        reading: clean_reading(&input.reading),
        address: clean(&input.address),
        overview: input.overview.trim().to_string(),
        url: clean(&input.url),
        is_new: input.is_new,
        services: input.services.trim().to_string(),
        strengths: input.strengths.trim().to_string(),
        disease_groups: {
            let mut g = input.disease_groups.clone();
            g.sort_unstable();
            g.dedup();
            g
        },
        age_min: input.age_min,
        age_max: input.age_max,
        hours: clean(&input.hours),
        notes: input.notes.trim().to_string(),
        contacts: input
            .contacts
            .iter()
            .map(|c| ContactInput {
                name: clean(&c.name),
                department: clean(&c.department),
                phone: clean(&c.phone),
                email: clean(&c.email),
                best_time: clean(&c.best_time),
            })
            .filter(|c| !c.is_empty())
            .collect(),
    };
    if out.name.is_empty() {
        errs.push(FieldError::new("name", "関係機関名を入力してください。"));
    }
    if out.field.is_empty() {
        errs.push(FieldError::new("field", "分野を選んでください。"));
    } else if !fields.iter().any(|f| f == &out.field) {
        // 家族会 and 患者会 are common shorthand for 家族会・患者会.
        if (out.field == "家族会" || out.field == "患者会")
            && fields.iter().any(|f| f == "家族会・患者会")
        {
            out.field = "家族会・患者会".into();
        } else {
            errs.push(FieldError::new(
                "field",
                format!(
                    "分野「{}」は登録されていません（{} のいずれか）。",
                    out.field,
                    fields.join("・")
                ),
            ));
        }
    }
    if !out.reading.is_empty()
        && !out.reading.chars().all(|c| {
            is_kana(c)
                || c == ' '
                || c == 'ー'
                || c.is_ascii_alphanumeric()
                || "・-()（）".contains(c)
        })
    {
        errs.push(FieldError::new(
            "reading",
            "ふりがなは ひらがな で入力してください。",
        ));
    }
    if !out.url.is_empty() && out.url != "-" {
        let lower = out.url.to_lowercase();
        let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
            && out.url.len() > 8
            && !out.url.contains(char::is_whitespace)
            && out.url.len() <= 500;
        if !ok {
            errs.push(FieldError::new(
                "url",
                "サイトは http:// または https:// で始まるURLを入力してください。",
            ));
        }
    } else {
        out.url.clear();
    }
    for g in &out.disease_groups {
        if !(1..=16).contains(g) {
            errs.push(FieldError::new(
                "disease_groups",
                format!("疾患群の番号 {g} はありません（1〜16）。"),
            ));
        }
    }
    for (name, v) in [("age_min", out.age_min), ("age_max", out.age_max)] {
        if let Some(a) = v {
            if !(0..=120).contains(&a) {
                errs.push(FieldError::new(
                    name,
                    "対象年齢は 0〜120 の数で入力してください。",
                ));
            }
        }
    }
    if let (Some(a), Some(b)) = (out.age_min, out.age_max) {
        if a > b {
            errs.push(FieldError::new(
                "age_max",
                "対象年齢の上限が下限より小さくなっています。",
            ));
        }
    }
    let texts: [(&str, &str, &str, usize); 10] = [
        ("name", "関係機関名", &out.name, MAX_SHORT),
        ("reading", "ふりがな", &out.reading, MAX_SHORT),
        ("address", "所在地", &out.address, MAX_SHORT),
        ("overview", "関係機関の概要", &out.overview, MAX_TEXT),
        ("services", "実施している支援内容", &out.services, MAX_TEXT),
        ("strengths", "強み", &out.strengths, MAX_TEXT),
        ("hours", "開所時間", &out.hours, MAX_SHORT),
        ("notes", "備考", &out.notes, MAX_TEXT),
        ("url", "サイト", &out.url, 500),
        ("field", "分野", &out.field, MAX_SHORT),
    ];
    for (key, label, value, max) in texts {
        if let Some(m) = unsafe_text(value) {
            errs.push(FieldError::new(key, format!("{label}: {m}")));
        }
        if value.chars().count() > max {
            errs.push(FieldError::new(
                key,
                format!("{label}は{max}文字以内にしてください。"),
            ));
        }
    }
    for (i, c) in out.contacts.iter().enumerate() {
        for (label, v) in [
            ("氏名", &c.name),
            ("部署", &c.department),
            ("電話番号", &c.phone),
            ("メール", &c.email),
            ("連絡しやすい時間", &c.best_time),
        ] {
            if let Some(m) = unsafe_text(v) {
                errs.push(FieldError::new(
                    &format!("contacts[{i}]"),
                    format!("窓口担当者{}の{label}: {m}", i + 1),
                ));
            }
            if v.chars().count() > MAX_SHORT {
                errs.push(FieldError::new(
                    &format!("contacts[{i}]"),
                    format!("窓口担当者{}の{label}が長すぎます。", i + 1),
                ));
            }
        }
        if !c.email.is_empty() && (!c.email.contains('@') || c.email.contains(' ')) {
            errs.push(FieldError::new(
                &format!("contacts[{i}]"),
                format!(
                    "窓口担当者{}のメールアドレスの形式が正しくありません。",
                    i + 1
                ),
            ));
        }
        if !c.phone.is_empty()
            && !c
                .phone
                .chars()
                .all(|ch| ch.is_ascii_digit() || "-+() 内線#".contains(ch))
        {
            errs.push(FieldError::new(
                &format!("contacts[{i}]"),
                format!(
                    "窓口担当者{}の電話番号は数字とハイフンで入力してください。",
                    i + 1
                ),
            ));
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

fn is_kana(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ' | 'ゝ' | 'ゞ' | 'ァ'..='ヺ')
}

/// ふりがな: NFKC, カタカナ → ひらがな, spaces kept single.
pub fn clean_reading(s: &str) -> String {
    clean(s).chars().map(crate::text::kata_to_hira).collect()
}

/// Parses the 新規の関係機関 column: ○ (and 〇, ◯, ●, yes, 1, true, 新規) is new;
/// -, ―, ×, empty, no, 0, false is not. None for anything else.
pub fn parse_is_new(s: &str) -> Option<bool> {
    let v = clean(s).to_lowercase();
    match v.as_str() {
        "○" | "〇" | "◯" | "●" | "◎" | "o" | "yes" | "y" | "1" | "true" | "新規" | "はい" => {
            Some(true)
        }
        "" | "-" | "―" | "ー" | "－" | "‐" | "×" | "x" | "no" | "n" | "0" | "false" | "いいえ"
        | "既存" => Some(false),
        _ => None,
    }
}

/// The normalised text searched for an agency: name, reading, overview, services,
/// strengths, address and contact names, each folded by `search_key`, separated by a
/// character no query can contain so that matches never span two fields.
pub fn search_document(a: &AgencyInput) -> String {
    let mut parts: Vec<String> = vec![
        search_key(&a.name),
        search_key(&a.reading),
        search_key(&a.overview),
        search_key(&a.services),
        search_key(&a.strengths),
        search_key(&a.address),
    ];
    for c in &a.contacts {
        parts.push(search_key(&c.name));
    }
    parts.join("\u{1f}")
}

/// Legal-form prefixes that 台帳 sort past (as in 五十音 directories): NPO法人 デモ会 sorts under で.
const LEGAL_FORMS: [&str; 12] = [
    "とくていひえいりかつどうほうじん",
    "えぬぴーおーほうじん",
    "npoほうじん",
    "npo法人",
    "いっぱんしゃだんほうじん",
    "いっぱんざいだんほうじん",
    "こうえきしゃだんほうじん",
    "こうえきざいだんほうじん",
    "しゃかいふくしほうじん",
    "いりょうほうじん",
    "がっこうほうじん",
    "かぶしきがいしゃ",
];

/// Sort key by reading (falls back to the name when there is no reading), without a
/// leading legal form.
pub fn sort_key(a: &AgencyInput) -> String {
    let key = if a.reading.is_empty() {
        search_key(&a.name)
    } else {
        search_key(&a.reading)
    };
    for form in LEGAL_FORMS {
        if let Some(rest) = key.strip_prefix(form) {
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<String> {
        DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    }

    fn ok_input() -> AgencyInput {
        AgencyInput {
            field: "医療".into(),
            name: "デモ市立こども病院".into(),
            reading: "デモしりつこどもびょういん".into(),
            url: "https://example.jp/".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_input_is_cleaned() {
        let mut i = ok_input();
        i.name = "　デモ市立こども病院 ".into();
        i.contacts = vec![
            ContactInput::default(),
            ContactInput {
                name: "ｽｽﾞｷ".into(),
                ..Default::default()
            },
        ];
        let v = validate(&i, &fields()).unwrap();
        assert_eq!(v.name, "デモ市立こども病院");
        assert_eq!(v.reading, "でもしりつこどもびょういん");
        assert_eq!(v.contacts.len(), 1);
        assert_eq!(v.contacts[0].name, "スズキ");
    }

    #[test]
    fn refuses_bad_values_with_japanese_messages() {
        let mut i = ok_input();
        i.name = String::new();
        i.field = "宇宙".into();
        i.url = "ftp://x".into();
        i.overview = "<script>alert(1)</script>".into();
        i.services = "=HYPERLINK(\"x\")".into();
        i.disease_groups = vec![17];
        let errs = validate(&i, &fields()).unwrap_err();
        let keys: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(keys.contains(&"name") && keys.contains(&"field") && keys.contains(&"url"));
        assert!(
            keys.contains(&"overview")
                && keys.contains(&"services")
                && keys.contains(&"disease_groups")
        );
        assert!(errs.iter().any(|e| e.message.contains("HTMLのタグ")));
        assert!(errs.iter().any(|e| e.message.contains("数式")));
    }

    #[test]
    fn plain_less_than_is_fine() {
        let mut i = ok_input();
        i.overview = "18歳 < 20歳 の移行期支援".into();
        assert!(validate(&i, &fields()).is_ok());
    }

    #[test]
    fn family_group_shorthand_maps_to_the_list() {
        let mut i = ok_input();
        i.field = "家族会".into();
        assert_eq!(validate(&i, &fields()).unwrap().field, "家族会・患者会");
    }

    #[test]
    fn is_new_column_values() {
        assert_eq!(parse_is_new("○"), Some(true));
        assert_eq!(parse_is_new("-"), Some(false));
        assert_eq!(parse_is_new(""), Some(false));
        assert_eq!(parse_is_new("たぶん"), None);
    }

    #[test]
    fn sort_key_skips_legal_forms() {
        let mut i = ok_input();
        i.reading = "エヌピーオーほうじん でもこどもさぽーとねっと".into();
        assert_eq!(sort_key(&i), "でもこどもさぽーとねっと");
        i.reading = String::new();
        i.name = "ＮＰＯ法人 あおぞら".into();
        assert_eq!(sort_key(&i), "あおぞら");
    }

    #[test]
    fn search_document_is_folded() {
        let mut i = ok_input();
        i.contacts = vec![ContactInput {
            name: "スズキ タロウ".into(),
            ..Default::default()
        }];
        let d = search_document(&i);
        assert!(d.contains("でも市立こども病院"));
        assert!(d.contains("すずきたろう"));
    }
}
