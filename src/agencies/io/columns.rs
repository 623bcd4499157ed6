//! The columns of the registry, role and scene sheets, and how headers are recognised
//! (synonyms, NFKC, brackets).

use crate::text::nfkc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Col {
    Field,
    Name,
    Reading,
    Address,
    Overview,
    Url,
    IsNew,
    Services,
    Strengths,
    Disease,
    Age,
    Hours,
    Notes,
    Contacts,
    Scene,
    Method,
    Content,
}

pub(super) const NCOLS: usize = 17;

impl Col {
    pub(super) fn idx(self) -> usize {
        self as usize
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Col::Field => "分野",
            Col::Name => "関係機関名",
            Col::Reading => "ふりがな",
            Col::Address => "所在地",
            Col::Overview => "関係機関の概要",
            Col::Url => "サイト",
            Col::IsNew => "新規の関係機関",
            Col::Services => "実施している支援内容",
            Col::Strengths => "強み",
            Col::Disease => "対象疾患群",
            Col::Age => "対象年齢",
            Col::Hours => "開所時間",
            Col::Notes => "備考",
            Col::Contacts => "窓口となる担当者の連絡先",
            Col::Scene => "連携場面",
            Col::Method => "連携方法",
            Col::Content => "連携内容",
        }
    }

    /// Export column width (Excel units; a kanji is about 2).
    pub(super) fn width(self) -> f64 {
        match self {
            Col::Field | Col::IsNew | Col::Age => 12.0,
            Col::Name | Col::Address | Col::Url => 30.0,
            Col::Reading | Col::Hours | Col::Disease | Col::Scene | Col::Method => 24.0,
            Col::Strengths | Col::Notes => 40.0,
            Col::Overview | Col::Services | Col::Contacts | Col::Content => 50.0,
        }
    }

    pub(super) fn wraps(self) -> bool {
        matches!(
            self,
            Col::Overview
                | Col::Services
                | Col::Strengths
                | Col::Notes
                | Col::Contacts
                | Col::Disease
                | Col::Content
                | Col::Scene
        )
    }
}

/// 関係機関一覧: the columns of the registry sheet and of the CSV (plus 連携場面).
pub(super) const REGISTRY_COLS: [Col; 14] = [
    Col::Field,
    Col::Name,
    Col::Reading,
    Col::Address,
    Col::Overview,
    Col::Url,
    Col::IsNew,
    Col::Services,
    Col::Strengths,
    Col::Disease,
    Col::Age,
    Col::Hours,
    Col::Notes,
    Col::Contacts,
];
/// The guide's 関係機関の役割・連携内容の整理 table.
pub(super) const ROLE_COLS: [Col; 6] = [
    Col::Field,
    Col::Name,
    Col::Address,
    Col::Services,
    Col::Strengths,
    Col::Contacts,
];
/// The guide's 連携場面の整理 table.
pub(super) const SCENE_COLS: [Col; 5] = [
    Col::Scene,
    Col::Name,
    Col::Address,
    Col::Method,
    Col::Content,
];

/// Maps a model field key (as in `FieldError::field`: name, field, reading, address,
/// overview, url, is_new, services, strengths, disease_groups, age_min, age_max,
/// hours, notes, contacts[i]) to the column header used in files; "" if unknown.
pub fn column_label(field_key: &str) -> &'static str {
    let key = field_key.split('[').next().unwrap_or(field_key);
    match key {
        "field" => Col::Field.label(),
        "name" => Col::Name.label(),
        "reading" => Col::Reading.label(),
        "address" => Col::Address.label(),
        "overview" => Col::Overview.label(),
        "url" => Col::Url.label(),
        "is_new" => Col::IsNew.label(),
        "services" => Col::Services.label(),
        "strengths" => Col::Strengths.label(),
        "disease_groups" => Col::Disease.label(),
        "age_min" | "age_max" => Col::Age.label(),
        "hours" => Col::Hours.label(),
        "notes" => Col::Notes.label(),
        "contacts" => Col::Contacts.label(),
        "scene" => Col::Scene.label(),
        "method" => Col::Method.label(),
        "content" => Col::Content.label(),
        _ => "",
    }
}

/// Header spellings, compared after `header_key` (NFKC, no spaces, lower case).
const HEADER_SYNONYMS: &[(&str, Col)] = &[
    ("分野", Col::Field),
    ("種別", Col::Field),
    ("関係機関名", Col::Name),
    ("機関名", Col::Name),
    ("名称", Col::Name),
    ("関係機関", Col::Name),
    ("機関名称", Col::Name),
    ("団体名", Col::Name),
    ("事業所名", Col::Name),
    ("ふりがな", Col::Reading),
    ("よみがな", Col::Reading),
    ("フリガナ", Col::Reading),
    ("ヨミガナ", Col::Reading),
    ("読み仮名", Col::Reading),
    ("読みがな", Col::Reading),
    ("よみ", Col::Reading),
    ("所在地", Col::Address),
    ("住所", Col::Address),
    ("関係機関の概要", Col::Overview),
    ("概要", Col::Overview),
    ("機関の概要", Col::Overview),
    ("事業概要", Col::Overview),
    ("サイト", Col::Url),
    ("url", Col::Url),
    ("ホームページ", Col::Url),
    ("hp", Col::Url),
    ("ウェブサイト", Col::Url),
    ("webサイト", Col::Url),
    ("サイトurl", Col::Url),
    ("新規の関係機関", Col::IsNew),
    ("新規", Col::IsNew),
    ("新規関係機関", Col::IsNew),
    ("実施している支援内容", Col::Services),
    ("支援内容", Col::Services),
    ("実施している支援", Col::Services),
    ("強み", Col::Strengths),
    ("窓口となる担当者の連絡先", Col::Contacts),
    ("窓口担当者", Col::Contacts),
    ("窓口担当者の連絡先", Col::Contacts),
    ("担当者の連絡先", Col::Contacts),
    ("連絡先", Col::Contacts),
    ("窓口", Col::Contacts),
    ("担当者", Col::Contacts),
    ("対象疾患群", Col::Disease),
    ("対象の疾患群", Col::Disease),
    ("疾患群", Col::Disease),
    ("対象疾患", Col::Disease),
    ("対象年齢", Col::Age),
    ("年齢", Col::Age),
    ("開所時間", Col::Hours),
    ("開所日時", Col::Hours),
    ("受付時間", Col::Hours),
    ("開所日", Col::Hours),
    ("営業時間", Col::Hours),
    ("備考", Col::Notes),
    ("連携場面", Col::Scene),
    ("場面", Col::Scene),
    ("支援場面", Col::Scene),
    ("連携方法", Col::Method),
    ("連携内容", Col::Content),
];

fn header_key(s: &str) -> String {
    nfkc(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !"*※★☆◆■●:\u{200b}\u{feff}".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Removes bracketed parts: "新規の関係機関(○/-)" → "新規の関係機関".
fn strip_brackets(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::new();
    for c in s.chars() {
        if "([【〔<≪".contains(c) {
            depth += 1;
        } else if ")]】〕>≫".contains(c) {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            out.push(c);
        }
    }
    out
}

fn lookup_header(key: &str) -> Option<Col> {
    HEADER_SYNONYMS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, c)| *c)
}

pub(super) fn header_col(text: &str) -> Option<Col> {
    let key = header_key(text);
    if key.is_empty() || key.chars().count() > 40 {
        return None;
    }
    if let Some(c) = lookup_header(&key) {
        return Some(c);
    }
    if [
        "ふりがな",
        "フリガナ",
        "よみがな",
        "ヨミガナ",
        "読み仮名",
        "読みがな",
    ]
    .iter()
    .any(|r| key.contains(r))
    {
        return Some(Col::Reading);
    }
    let stripped = strip_brackets(&key);
    if stripped != key {
        return lookup_header(&stripped);
    }
    None
}
