//! Import and export of the agency registry (関係機関台帳): Excel (.xlsx), CSV and
//! HSDS 3.0 JSON. Pure functions over bytes; no database, no tenant rules (callers
//! run `model::validate` on every imported row).
//!
//! # Reading (`read_agencies`)
//!
//! * The format is detected from the content, never from the file name alone: a zip
//!   (`PK\x03\x04`) holding `xl/workbook.xml` is XLSX; text whose first character is
//!   `{` or `[` is HSDS JSON; other text is CSV/TSV. Other zips (.docx, .ods, .xlsb),
//!   old `.xls`/password-protected workbooks, images, PDFs and other binary files are
//!   refused with a Japanese message.
//! * CSV text: UTF-8 (with or without BOM), else Shift_JIS/CP932 (what Excel's
//!   「CSV（コンマ区切り）」 writes), or UTF-16 with a BOM (Excel's 「Unicode テキスト」).
//!   The delimiter (`,`, tab or `;`) is the one under which the header is recognised.
//!   CSV is parsed by a small RFC 4180 reader so that row numbers are the rows Excel
//!   shows (blank lines count, line breaks inside quoted cells do not).
//! * The header row is looked for among the first 10 non-empty rows; headers are
//!   compared after NFKC, without spaces/line breaks, case-insensitively, with
//!   synonyms (see `HEADER_SYNONYMS`). Unknown columns are ignored.
//! * Workbook sheets are classified by their headers: 一覧 (registry) sheets, 役割
//!   (role) sheets whose rows are merged into the registry rows with the same name and
//!   address, and 連携場面 (scene) sheets. Vertically merged cells are read as the
//!   value of their top cell; a row whose 関係機関名 is the continuation of a merged
//!   name cell adds to the agency above (e.g. a second contact person).
//! * Cell values are trimmed and line breaks normalised to `\n`; nothing else is
//!   cleaned (that is `model::validate`'s job, and so is finding duplicates). A row
//!   with a problem (a formula, an error value, an unreadable 新規/疾患群/年齢, no
//!   関係機関名, …) is reported in `problems` and left out of `rows`, so that
//!   "skip the invalid rows" never imports a half-read agency.
//!
//! # Writing
//!
//! * `write_xlsx`: sheets 関係機関一覧 (every column), 役割・連携内容 (the guide's
//!   role table) and 連携場面; every value is written with `write_string`, never as a
//!   formula.
//! * `write_csv`: the 関係機関一覧 columns plus 連携場面 (one link per line as
//!   `場面｜連携方法｜連携内容`; further lines of a multi-line 連携内容 start with a
//!   full-width space). CRLF records, UTF-8 with BOM or CP932. Cells that a
//!   spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, except
//!   the lone `-` of 新規の関係機関) are prefixed with `'`; the reader removes it.
//!   CP932 policy: characters that only differ between the JIS and Microsoft mappings
//!   are replaced by the CP932 look-alike (`SJIS_SUBSTITUTES`: 〜→～, ‖→∥, —→―,
//!   −→－, ¢→￠, £→￡, ¬→￢, ¥→￥, ‾→￣, NBSP→space); any other character CP932
//!   cannot represent (emoji, 𠮷, ü, …) makes the export fail with a message naming
//!   the agency, the column and the character. Nothing is dropped silently.
//! * `write_hsds`: HSDS 3.0; see `write_hsds` for the mapping.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use rust_xlsxwriter::{
    Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::agencies::model::{
    disease_group_label, parse_is_new, AgencyInput, ContactInput, DISEASE_GROUPS,
};
use crate::text::{clean, nfkc, search_key};

/// The largest file accepted.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Row problems collected before the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;

/// Sum of the uncompressed sizes an XLSX may declare (zip-bomb guard).
const MAX_UNZIPPED: u64 = 300 * 1024 * 1024;
const MAX_ZIP_ENTRIES: usize = 10_000;
/// Cells and text kept from a workbook (guards against shared-string amplification).
const MAX_CELLS: usize = 1_500_000;
const MAX_CELL_TEXT: usize = 128 * 1024 * 1024;
/// Columns beyond this are ignored.
const MAX_COLS: u32 = 256;
const HEADER_SEARCH_ROWS: usize = 10;

pub const SHEET_REGISTRY: &str = "関係機関一覧";
pub const SHEET_ROLES: &str = "役割・連携内容";
pub const SHEET_SCENES: &str = "連携場面";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/// One cell of the guide's 連携場面 table: an agency's part in a scene.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneLink {
    /// 連携場面
    #[serde(default)]
    pub scene: String,
    /// 関係機関名
    #[serde(default)]
    pub agency_name: String,
    /// 所在地 (tells apart agencies with the same name; may be empty)
    #[serde(default)]
    pub agency_address: String,
    /// 連携方法
    #[serde(default)]
    pub method: String,
    /// 連携内容
    #[serde(default)]
    pub content: String,
}

/// An agency read from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRow {
    /// 1-based row number as Excel shows it (for HSDS: the organization's position).
    pub row: usize,
    /// Sheet name ("" for CSV, "organizations" for HSDS).
    pub sheet: String,
    pub input: AgencyInput,
}

/// Something wrong in the file, shown to the user in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based row; 0 = the whole file.
    pub row: usize,
    pub sheet: String,
    /// The column header as written in the file, or "".
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParsedFile {
    /// The agencies read without problems, in file order.
    pub rows: Vec<ParsedRow>,
    /// Scene links: those of the 連携場面 column (CSV) of good rows, then those of
    /// scene sheets (XLSX) or attributes (HSDS).
    pub scenes: Vec<SceneLink>,
    /// At most `MAX_PROBLEMS`, plus one "ほか N 件" when there were more.
    pub problems: Vec<Problem>,
    /// "xlsx", "csv-utf8", "csv-sjis", "csv-utf16" or "hsds".
    pub format: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    Empty,
    TooLarge,
    UnknownFormat,
    UnknownEncoding,
    /// A required column (its Japanese header) is missing.
    MissingColumn(String),
    /// A Japanese message saying why the file cannot be read.
    Unreadable(String),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Empty => write!(f, "ファイルが空です。"),
            ImportError::TooLarge => {
                write!(f, "ファイルが大きすぎます（上限 {}MB）。ファイルを分けて取り込んでください。", MAX_BYTES / 1024 / 1024)
            }
            ImportError::UnknownFormat => write!(
                f,
                "ファイルの形式を判別できません。Excel（.xlsx）、CSV、HSDS（JSON）のいずれかを選んでください。"
            ),
            ImportError::UnknownEncoding => write!(
                f,
                "文字コードを判別できません。UTF-8 か Shift_JIS（Excelの「CSV」形式）で保存してください。"
            ),
            ImportError::MissingColumn(c) => {
                write!(f, "必須の列「{c}」が見つかりません。1行目に見出しを入れてください。")
            }
            ImportError::Unreadable(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// An agency to export, with its id (used as the HSDS organization id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportAgency {
    pub id: String,
    pub input: AgencyInput,
}

// ---------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
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

const NCOLS: usize = 17;

impl Col {
    fn idx(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
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
    fn width(self) -> f64 {
        match self {
            Col::Field | Col::IsNew | Col::Age => 12.0,
            Col::Name | Col::Address | Col::Url => 30.0,
            Col::Reading | Col::Hours | Col::Disease | Col::Scene | Col::Method => 24.0,
            Col::Strengths | Col::Notes => 40.0,
            Col::Overview | Col::Services | Col::Contacts | Col::Content => 50.0,
        }
    }

    fn wraps(self) -> bool {
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
const REGISTRY_COLS: [Col; 14] = [
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
const ROLE_COLS: [Col; 6] = [
    Col::Field,
    Col::Name,
    Col::Address,
    Col::Services,
    Col::Strengths,
    Col::Contacts,
];
/// The guide's 連携場面の整理 table.
const SCENE_COLS: [Col; 5] = [
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

fn header_col(text: &str) -> Option<Col> {
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

// ---------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------

#[derive(Default)]
struct ProblemList {
    list: Vec<Problem>,
    more: usize,
}

impl ProblemList {
    fn add(&mut self, row: usize, sheet: &str, column: &str, message: impl Into<String>) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                row,
                sheet: sheet.to_string(),
                column: column.to_string(),
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// Problems seen so far, kept or only counted.
    fn count(&self) -> usize {
        self.list.len() + self.more
    }

    fn finish(mut self) -> Vec<Problem> {
        if self.more > 0 {
            self.list.push(Problem {
                row: 0,
                sheet: String::new(),
                column: String::new(),
                message: format!("ほか {} 件の問題があります。", self.more),
            });
        }
        self.list
    }
}

const MSG_FORMULA: &str = "数式のセルは取り込めません。値に変換してから保存してください。";
const MSG_IS_NEW: &str = "「○」「-」または空欄で入力してください。";
const MSG_AGE: &str = "対象年齢は「0〜18歳」「18歳まで」「6歳以上」のように入力してください。";
const MSG_NO_NAME: &str = "関係機関名が空欄のため、この行は取り込みません。";

// ---------------------------------------------------------------------------
// Tables (sheets of cells), shared by XLSX and CSV
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    /// A formula, with its cached value (used only to recognise headers).
    Formula(String),
    /// An error value such as #N/A.
    Error(String),
}

impl Cell {
    fn header_text(&self) -> &str {
        match self {
            Cell::Text(s) | Cell::Formula(s) => s,
            Cell::Error(_) => "",
        }
    }
}

struct RawRow {
    /// 1-based.
    row: usize,
    /// Non-empty cells, sorted by 0-based column.
    cells: Vec<(usize, Cell)>,
}

impl RawRow {
    fn get(&self, col: usize) -> Option<&Cell> {
        let i = self.cells.binary_search_by_key(&col, |(c, _)| *c).ok()?;
        self.cells.get(i).map(|(_, c)| c)
    }
}

/// Vertically merged regions, by their first column: (first row, last row), 1-based.
#[derive(Default)]
struct MergeIndex {
    by_col: HashMap<usize, Vec<(usize, usize)>>,
}

impl MergeIndex {
    fn from_dims(dims: &[calamine::Dimensions]) -> Self {
        let mut by_col: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for d in dims.iter().take(200_000) {
            if d.end.0 > d.start.0 && d.start.1 < MAX_COLS {
                by_col
                    .entry(d.start.1 as usize)
                    .or_default()
                    .push((d.start.0 as usize + 1, d.end.0 as usize + 1));
            }
        }
        for v in by_col.values_mut() {
            v.sort_unstable();
        }
        MergeIndex { by_col }
    }

    /// The first row of the merged region covering (row, col), if it is above `row`.
    fn anchor(&self, row: usize, col: usize) -> Option<usize> {
        let v = self.by_col.get(&col)?;
        let i = v.partition_point(|(s, _)| *s <= row);
        let (s, e) = *v.get(i.checked_sub(1)?)?;
        (s < row && row <= e).then_some(s)
    }
}

struct SheetData {
    name: String,
    rows: Vec<RawRow>,
    merges: MergeIndex,
}

struct Header {
    /// Index in `SheetData::rows`.
    pos: usize,
    /// For each `Col`: its 0-based column and header text as written.
    cols: [Option<(usize, String)>; NCOLS],
}

impl Header {
    fn has(&self, c: Col) -> bool {
        self.cols.get(c.idx()).is_some_and(Option::is_some)
    }

    fn label(&self, c: Col) -> &str {
        match self.cols.get(c.idx()) {
            Some(Some((_, l))) => l,
            _ => c.label(),
        }
    }
}

fn find_header(rows: &[RawRow]) -> Option<Header> {
    let mut best: Option<(bool, usize, Header)> = None;
    for (pos, r) in rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let mut cols: [Option<(usize, String)>; NCOLS] = Default::default();
        let mut score = 0;
        for (ci, cell) in &r.cells {
            let text = cell.header_text();
            if let Some(c) = header_col(text) {
                if let Some(slot) = cols.get_mut(c.idx()) {
                    if slot.is_none() {
                        *slot = Some((*ci, text.split_whitespace().collect::<Vec<_>>().join(" ")));
                        score += 1;
                    }
                }
            }
        }
        let has_name = cols.get(Col::Name.idx()).is_some_and(Option::is_some);
        let better = match &best {
            None => score > 0,
            Some((bn, bs, _)) => (has_name, score) > (*bn, *bs),
        };
        if better {
            best = Some((has_name, score, Header { pos, cols }));
        }
    }
    best.map(|(_, _, h)| h)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Registry,
    Role,
    Scene,
}

fn classify(h: &Header) -> Option<Kind> {
    if !h.has(Col::Name) {
        return None;
    }
    let registry = [Col::Overview, Col::Url, Col::IsNew, Col::Reading]
        .iter()
        .any(|c| h.has(*c));
    let role = [Col::Services, Col::Strengths, Col::Contacts]
        .iter()
        .any(|c| h.has(*c));
    if h.has(Col::Scene) && (h.has(Col::Method) || h.has(Col::Content) || (!registry && !role)) {
        return Some(Kind::Scene);
    }
    if registry || !role {
        Some(Kind::Registry)
    } else {
        Some(Kind::Role)
    }
}

/// The values of one row under a header.
struct RowVals {
    row: usize,
    text: [String; NCOLS],
    /// Whether the value is the row's own (not taken from a merged cell above).
    own: [bool; NCOLS],
    /// The first row of the merged 関係機関名 cell this row continues.
    name_anchor: Option<usize>,
}

fn read_row(
    sheet: &SheetData,
    ri: usize,
    h: &Header,
    problems: &mut ProblemList,
) -> Option<RowVals> {
    let raw = sheet.rows.get(ri)?;
    let mut v = RowVals {
        row: raw.row,
        text: Default::default(),
        own: [false; NCOLS],
        name_anchor: None,
    };
    for (ci, slot) in h.cols.iter().enumerate() {
        let Some((col, label)) = slot else { continue };
        let (cell, from) = match raw.get(*col) {
            Some(c) => (c, None),
            None => {
                let Some(a) = sheet.merges.anchor(raw.row, *col) else {
                    continue;
                };
                let Ok(ai) = sheet.rows.binary_search_by_key(&a, |r| r.row) else {
                    continue;
                };
                let Some(c) = sheet.rows.get(ai).and_then(|r| r.get(*col)) else {
                    continue;
                };
                (c, Some(a))
            }
        };
        let text = match cell {
            Cell::Text(s) => s.clone(),
            Cell::Formula(_) => {
                if from.is_none() {
                    problems.add(raw.row, &sheet.name, label, MSG_FORMULA);
                }
                String::new()
            }
            Cell::Error(e) => {
                if from.is_none() {
                    problems.add(
                        raw.row,
                        &sheet.name,
                        label,
                        format!("エラーの値（{e}）が入っています。正しい値を入力してください。"),
                    );
                }
                String::new()
            }
        };
        if let Some(t) = v.text.get_mut(ci) {
            *t = text;
        }
        if let Some(o) = v.own.get_mut(ci) {
            *o = from.is_none();
        }
        if ci == Col::Name.idx() {
            v.name_anchor = from;
        }
    }
    Some(v)
}

type SceneTriple = (String, String, String);

/// Builds an agency from a row. `own_only`: ignore values taken from merged cells.
fn build_input(
    v: &RowVals,
    own_only: bool,
    h: &Header,
    sheet: &str,
    problems: &mut ProblemList,
) -> (AgencyInput, Vec<SceneTriple>) {
    let t = |c: Col| -> &str {
        let i = c.idx();
        if !own_only || v.own.get(i).copied().unwrap_or(false) {
            v.text.get(i).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    };
    let mut a = AgencyInput {
        field: t(Col::Field).to_string(),
        name: t(Col::Name).to_string(),
        reading: t(Col::Reading).to_string(),
        address: t(Col::Address).to_string(),
        overview: t(Col::Overview).to_string(),
        url: t(Col::Url).to_string(),
        services: t(Col::Services).to_string(),
        strengths: t(Col::Strengths).to_string(),
        hours: t(Col::Hours).to_string(),
        notes: t(Col::Notes).to_string(),
        ..Default::default()
    };
    match parse_is_new(t(Col::IsNew)) {
        Some(b) => a.is_new = b,
        None => problems.add(v.row, sheet, h.label(Col::IsNew), MSG_IS_NEW),
    }
    let (groups, unknown) = parse_disease(t(Col::Disease));
    a.disease_groups = groups;
    for u in unknown {
        problems.add(
            v.row,
            sheet,
            h.label(Col::Disease),
            format!("「{u}」は疾患群として分かりません。1〜16の番号か疾患群の名前（例: 悪性新生物、糖尿病）で入力してください。"),
        );
    }
    match parse_age(t(Col::Age)) {
        Some((min, max)) => {
            a.age_min = min;
            a.age_max = max;
        }
        None => problems.add(v.row, sheet, h.label(Col::Age), MSG_AGE),
    }
    a.contacts = parse_contacts(t(Col::Contacts));
    let (scenes, bad) = parse_scene_cell(t(Col::Scene));
    if bad > 0 {
        problems.add(
            v.row,
            sheet,
            h.label(Col::Scene),
            "連携場面が空欄の行があります。「場面｜連携方法｜連携内容」の形で入力してください。",
        );
    }
    (a, scenes)
}

struct Rec {
    sheet: String,
    row: usize,
    input: AgencyInput,
    scenes: Vec<SceneTriple>,
    /// Which columns the row's sheet has.
    cols: [bool; NCOLS],
    /// A problem was found in the row (or its continuation rows): left out.
    bad: bool,
}

fn text_field(a: &mut AgencyInput, c: Col) -> Option<&mut String> {
    match c {
        Col::Field => Some(&mut a.field),
        Col::Name => Some(&mut a.name),
        Col::Reading => Some(&mut a.reading),
        Col::Address => Some(&mut a.address),
        Col::Overview => Some(&mut a.overview),
        Col::Url => Some(&mut a.url),
        Col::Services => Some(&mut a.services),
        Col::Strengths => Some(&mut a.strengths),
        Col::Hours => Some(&mut a.hours),
        Col::Notes => Some(&mut a.notes),
        _ => None,
    }
}

const TEXT_COLS: [Col; 9] = [
    Col::Field,
    Col::Reading,
    Col::Address,
    Col::Overview,
    Col::Url,
    Col::Services,
    Col::Strengths,
    Col::Hours,
    Col::Notes,
];
const LONG_TEXT_COLS: [Col; 4] = [Col::Overview, Col::Services, Col::Strengths, Col::Notes];

/// Adds a continuation row (below a merged 関係機関名 cell) to the agency above.
fn merge_continuation(
    prev: &mut Rec,
    add: AgencyInput,
    scenes: Vec<SceneTriple>,
    row: usize,
    h: &Header,
    problems: &mut ProblemList,
) {
    let mut add = add;
    for c in TEXT_COLS {
        let new = text_field(&mut add, c)
            .map(std::mem::take)
            .unwrap_or_default();
        if new.is_empty() {
            continue;
        }
        let Some(old) = text_field(&mut prev.input, c) else {
            continue;
        };
        if old.is_empty() {
            *old = new;
        } else if clean(old) != clean(&new) {
            if LONG_TEXT_COLS.contains(&c) {
                old.push('\n');
                old.push_str(&new);
            } else {
                problems.add(
                    row,
                    &prev.sheet,
                    h.label(c),
                    format!(
                        "結合された関係機関名の続きの行に、別の{}「{new}」があります。",
                        c.label()
                    ),
                );
            }
        }
    }
    prev.input.is_new |= add.is_new;
    prev.input.disease_groups.extend(add.disease_groups);
    prev.input.disease_groups.sort_unstable();
    prev.input.disease_groups.dedup();
    if prev.input.age_min.is_none() && prev.input.age_max.is_none() {
        prev.input.age_min = add.age_min;
        prev.input.age_max = add.age_max;
    }
    prev.input.contacts.extend(add.contacts);
    prev.scenes.extend(scenes);
}

fn read_agency_sheet(
    sheet: &SheetData,
    h: &Header,
    out: &mut Vec<Rec>,
    problems: &mut ProblemList,
) {
    let mut cols = [false; NCOLS];
    for (i, c) in h.cols.iter().enumerate() {
        if let Some(slot) = cols.get_mut(i) {
            *slot = c.is_some();
        }
    }
    let mut last: Option<usize> = None;
    for ri in h.pos + 1..sheet.rows.len() {
        let before = problems.count();
        let Some(v) = read_row(sheet, ri, h, problems) else {
            continue;
        };
        if !v.own.iter().any(|b| *b) {
            continue;
        }
        if let (Some(anchor), Some(li)) = (v.name_anchor, last) {
            if let Some(prev) = out.get_mut(li) {
                if prev.row == anchor {
                    let (add, scenes) = build_input(&v, true, h, &sheet.name, problems);
                    merge_continuation(prev, add, scenes, v.row, h, problems);
                    prev.bad |= problems.count() > before;
                    continue;
                }
            }
        }
        let (input, scenes) = build_input(&v, false, h, &sheet.name, problems);
        if input.name.trim().is_empty() {
            problems.add(v.row, &sheet.name, h.label(Col::Name), MSG_NO_NAME);
            continue;
        }
        let bad = problems.count() > before;
        out.push(Rec {
            sheet: sheet.name.clone(),
            row: v.row,
            input,
            scenes,
            cols,
            bad,
        });
        last = Some(out.len() - 1);
    }
}

fn read_scene_sheet(
    sheet: &SheetData,
    h: &Header,
    links: &mut Vec<SceneLink>,
    problems: &mut ProblemList,
) {
    for ri in h.pos + 1..sheet.rows.len() {
        let Some(v) = read_row(sheet, ri, h, problems) else {
            continue;
        };
        if !v.own.iter().any(|b| *b) {
            continue;
        }
        let get = |c: Col| v.text.get(c.idx()).map(|s| s.trim()).unwrap_or("");
        let scene = get(Col::Scene);
        let names: Vec<&str> = get(Col::Name)
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if scene.is_empty() {
            problems.add(
                v.row,
                &sheet.name,
                h.label(Col::Scene),
                "連携場面が空欄です。",
            );
        }
        if names.is_empty() {
            problems.add(
                v.row,
                &sheet.name,
                h.label(Col::Name),
                "関係機関名が空欄です。",
            );
        }
        if scene.is_empty() || names.is_empty() {
            continue;
        }
        let address = get(Col::Address);
        let addresses: Vec<&str> = address
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for (i, name) in names.iter().enumerate() {
            let agency_address = if names.len() == 1 {
                address
            } else if addresses.len() == names.len() {
                addresses.get(i).copied().unwrap_or("")
            } else if addresses.len() == 1 {
                address
            } else {
                ""
            };
            links.push(SceneLink {
                scene: scene.to_string(),
                agency_name: name.to_string(),
                agency_address: agency_address.to_string(),
                method: get(Col::Method).to_string(),
                content: get(Col::Content).to_string(),
            });
        }
    }
}

fn agency_key(name: &str, address: &str) -> (String, String) {
    (search_key(name), search_key(address))
}

/// Merges role-sheet rows into the registry rows with the same name and address.
fn merge_roles(
    registry: &mut Vec<Rec>,
    roles: Vec<Rec>,
    has_registry_sheet: bool,
    problems: &mut ProblemList,
) {
    if !has_registry_sheet {
        registry.extend(roles);
        return;
    }
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in registry.iter().enumerate() {
        let k = agency_key(&r.input.name, &r.input.address);
        by_name.entry(k.0.clone()).or_default().push(i);
        by_key.entry(k).or_insert(i);
    }
    for role in roles {
        let k = agency_key(&role.input.name, &role.input.address);
        let idx = by_key.get(&k).copied().or_else(|| {
            let cands = by_name.get(&k.0)?;
            let [only] = cands.as_slice() else {
                return None;
            };
            let reg = registry.get(*only)?;
            (role.input.address.trim().is_empty() || reg.input.address.trim().is_empty())
                .then_some(*only)
        });
        let Some(reg) = idx.and_then(|i| registry.get_mut(i)) else {
            problems.add(
                role.row,
                &role.sheet,
                Col::Name.label(),
                "関係機関名・所在地が一致する行が関係機関の一覧のシートにないため、この行は取り込みません。",
            );
            continue;
        };
        if role.bad {
            // The role row's own problems are reported; the agency is left out whole.
            reg.bad = true;
            continue;
        }
        let mut role = role;
        let role_cols = role.cols;
        let has = |c: Col| role_cols.get(c.idx()).copied().unwrap_or(false);
        for c in TEXT_COLS {
            if !has(c) {
                continue;
            }
            let new = text_field(&mut role.input, c)
                .map(std::mem::take)
                .unwrap_or_default();
            if new.is_empty() {
                continue;
            }
            let reg_sheet = reg.sheet.clone();
            let reg_row = reg.row;
            let Some(old) = text_field(&mut reg.input, c) else {
                continue;
            };
            if old.is_empty() {
                *old = new;
            } else if clean(old) != clean(&new) {
                problems.add(
                    role.row,
                    &role.sheet,
                    c.label(),
                    format!("「{reg_sheet}」{reg_row}行目の{}と異なります。「{reg_sheet}」の値を使います。", c.label()),
                );
            }
        }
        if has(Col::Contacts) && !role.input.contacts.is_empty() {
            if reg.input.contacts.is_empty() {
                reg.input.contacts = role.input.contacts;
            } else if reg.input.contacts != role.input.contacts {
                problems.add(
                    role.row,
                    &role.sheet,
                    Col::Contacts.label(),
                    format!("「{}」{}行目の窓口となる担当者の連絡先と異なります。「{}」の値を使います。", reg.sheet, reg.row, reg.sheet),
                );
            }
        }
        if has(Col::Disease) && reg.input.disease_groups.is_empty() {
            reg.input.disease_groups = role.input.disease_groups;
        }
        if has(Col::Age) && reg.input.age_min.is_none() && reg.input.age_max.is_none() {
            reg.input.age_min = role.input.age_min;
            reg.input.age_max = role.input.age_max;
        }
        if has(Col::IsNew) {
            reg.input.is_new |= role.input.is_new;
        }
        reg.scenes.extend(role.scenes);
    }
}

fn parse_sheets(sheets: Vec<SheetData>, format: &'static str) -> Result<ParsedFile, ImportError> {
    let mut problems = ProblemList::default();
    let mut registry: Vec<Rec> = vec![];
    let mut roles: Vec<Rec> = vec![];
    let mut links: Vec<SceneLink> = vec![];
    let mut found = false;
    let mut has_registry_sheet = false;
    for sheet in &sheets {
        let Some(h) = find_header(&sheet.rows) else {
            continue;
        };
        let Some(kind) = classify(&h) else { continue };
        found = true;
        match kind {
            Kind::Registry => {
                has_registry_sheet = true;
                read_agency_sheet(sheet, &h, &mut registry, &mut problems);
            }
            Kind::Role => read_agency_sheet(sheet, &h, &mut roles, &mut problems),
            Kind::Scene => read_scene_sheet(sheet, &h, &mut links, &mut problems),
        }
    }
    if !found {
        return Err(ImportError::MissingColumn(Col::Name.label().to_string()));
    }
    merge_roles(&mut registry, roles, has_registry_sheet, &mut problems);
    // Problems in sheet order, then row order (role rows are merged last).
    let order: HashMap<&str, usize> = sheets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    problems.list.sort_by_key(|p| {
        (
            order.get(p.sheet.as_str()).copied().unwrap_or(usize::MAX),
            p.row,
        )
    });
    let mut scenes = vec![];
    let mut rows = Vec::with_capacity(registry.len());
    for r in registry.into_iter().filter(|r| !r.bad) {
        for (scene, method, content) in r.scenes {
            scenes.push(SceneLink {
                scene,
                agency_name: r.input.name.clone(),
                agency_address: r.input.address.clone(),
                method,
                content,
            });
        }
        rows.push(ParsedRow {
            row: r.row,
            sheet: r.sheet,
            input: r.input,
        });
    }
    scenes.extend(links);
    Ok(ParsedFile {
        rows,
        scenes,
        problems: problems.finish(),
        format,
    })
}

// ---------------------------------------------------------------------------
// Cell value parsers
// ---------------------------------------------------------------------------

fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

fn disease_aliases() -> Vec<(&'static str, i64)> {
    let mut v: Vec<(&'static str, i64)> = DISEASE_GROUPS
        .iter()
        .zip(1..)
        .map(|(n, i)| (*n, i))
        .collect();
    v.push(("神経筋疾患", 11));
    v.push(("染色体または遺伝子に変化を伴う症候群", 13));
    v.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
    v
}

fn disease_number(tok: &str) -> Option<i64> {
    if tok.is_empty() || tok.len() > 3 || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tok.parse::<i64>().ok().filter(|n| (1..=16).contains(n))
}

/// 対象疾患群: "1, 7", "1・7", "1〜3", "糖尿病、悪性新生物", "すべて". Returns the sorted
/// numbers and the tokens not understood.
fn parse_disease(t: &str) -> (Vec<i64>, Vec<String>) {
    let mut s = nfkc(t);
    let trimmed = s.trim();
    if matches!(trimmed, "" | "-" | "―" | "なし") {
        return (vec![], vec![]);
    }
    if matches!(trimmed, "全て" | "すべて" | "全疾患群" | "全疾患" | "全部") {
        return ((1..=16).collect(), vec![]);
    }
    for (alias, n) in disease_aliases() {
        if s.contains(alias) {
            s = s.replace(alias, &format!(",{n},"));
        }
    }
    let mut out = vec![];
    let mut unknown = vec![];
    for tok in s.split(|c: char| c.is_whitespace() || ",、・/;|。".contains(c)) {
        let tok = tok.trim_start_matches('第').trim_end_matches(['群', '番']);
        if tok.is_empty() {
            continue;
        }
        if let Some(n) = disease_number(tok) {
            out.push(n);
            continue;
        }
        let range = tok
            .split_once(['~', '〜', '-'])
            .and_then(|(a, b)| Some((disease_number(a)?, disease_number(b)?)));
        match range {
            Some((a, b)) if a <= b => out.extend(a..=b),
            _ => unknown.push(tok.to_string()),
        }
    }
    out.sort_unstable();
    out.dedup();
    (out, unknown)
}

fn age_number(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim().trim_end_matches('歳').trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    s.parse::<i64>().map(Some).map_err(|_| ())
}

/// An upper bound: "18", "18歳まで", "18歳以下", "20歳未満" (→ 19).
fn age_upper(s: &str) -> Result<Option<i64>, ()> {
    if let Some(x) = s.strip_suffix("未満") {
        return Ok(age_number(x)?.map(|n| n - 1));
    }
    let x = s
        .strip_suffix("まで")
        .or_else(|| s.strip_suffix("以下"))
        .unwrap_or(s);
    age_number(x)
}

/// 対象年齢: "0-18", "0〜20歳", "18歳まで", "6歳以上", "20歳未満", "18" (exactly 18).
/// None when not understood.
fn parse_age(t: &str) -> Option<(Option<i64>, Option<i64>)> {
    let s: String = nfkc(t).chars().filter(|c| !c.is_whitespace()).collect();
    if matches!(
        s.as_str(),
        "" | "-" | "―" | "ー" | "なし" | "指定なし" | "制限なし" | "不問" | "全年齢"
    ) {
        return Some((None, None));
    }
    let s = s.replace('才', "歳").replace("から", "~");
    let s: String = s
        .chars()
        .map(|c| {
            if "〜~‐−–—―-ー".contains(c) {
                '~'
            } else {
                c
            }
        })
        .collect();
    if let Some((a, b)) = s.split_once('~') {
        let min = age_number(a.strip_suffix("以上").unwrap_or(a)).ok()?;
        let max = age_upper(b).ok()?;
        if min.is_none() && max.is_none() {
            return None;
        }
        return Some((min, max));
    }
    if s.ends_with("まで") || s.ends_with("以下") || s.ends_with("未満") {
        return Some((None, age_upper(&s).ok()?));
    }
    if let Some(x) = s.strip_suffix("以上") {
        return Some((age_number(x).ok()?, None));
    }
    let n = age_number(&s).ok()??;
    Some((Some(n), Some(n)))
}

fn format_age(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("{a}歳"),
        (Some(a), Some(b)) => format!("{a}〜{b}歳"),
        (Some(a), None) => format!("{a}歳以上"),
        (None, Some(b)) => format!("{b}歳まで"),
        (None, None) => String::new(),
    }
}

fn format_disease(groups: &[i64]) -> String {
    groups
        .iter()
        .map(|n| {
            let l = disease_group_label(*n);
            if l.is_empty() {
                n.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The export form of a contact: 氏名／部署／電話／メール／時間.
fn format_contact(c: &ContactInput) -> String {
    format!(
        "{}／{}／{}／{}／{}",
        c.name, c.department, c.phone, c.email, c.best_time
    )
}

fn format_contacts(cs: &[ContactInput]) -> String {
    cs.iter().map(format_contact).collect::<Vec<_>>().join("\n")
}

/// 窓口となる担当者の連絡先: one contact per line.
fn parse_contacts(t: &str) -> Vec<ContactInput> {
    t.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_contact_line)
        .filter(|c| !c.is_empty())
        .collect()
}

fn parse_contact_line(line: &str) -> ContactInput {
    let exact = |parts: &[&str]| ContactInput {
        name: parts
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        department: parts
            .get(1)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        phone: parts
            .get(2)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        email: parts
            .get(3)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        best_time: parts
            .get(4)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    };
    let parts: Vec<&str> = line.split('／').collect();
    if parts.len() == 5 {
        return exact(&parts);
    }
    if !line.contains("://") {
        let parts: Vec<&str> = line.split('/').collect();
        if parts.len() == 5
            && parts
                .get(3)
                .is_some_and(|e| e.trim().is_empty() || e.contains('@'))
        {
            return exact(&parts);
        }
    }
    heuristic_contact(line)
}

/// Splits on spaces and list separators outside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '「' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '」' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            _ if depth == 0 && (c.is_whitespace() || ",、/;|".contains(c)) => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn strip_phone_label(t: &str) -> Option<&str> {
    let lower = t.to_lowercase();
    for label in [
        "tel:",
        "tel.",
        "tel",
        "電話番号:",
        "電話番号",
        "電話:",
        "電話",
        "☎",
        "℡",
    ] {
        if lower.starts_with(label) {
            let rest = t.get(label.len()..)?;
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '(' || c == '+') {
                return Some(rest);
            }
        }
    }
    None
}

fn is_phone(t: &str) -> bool {
    let s = t.replace("内線", " ");
    s.chars()
        .all(|c| c.is_ascii_digit() || "-()+# ".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 5
}

fn is_time(t: &str) -> bool {
    let has_digit = t.chars().any(|c| c.is_ascii_digit());
    ["平日", "曜", "午前", "午後", "土日", "祝"]
        .iter()
        .any(|w| t.contains(w))
        || (has_digit && t.contains('時'))
        || (has_digit
            && t.contains(':')
            && t.chars().all(|c| c.is_ascii_digit() || ":-~〜".contains(c)))
}

/// "山田太郎（相談支援課） 03-1234-5678 yamada@example.jp 平日9時〜17時"
fn heuristic_contact(line: &str) -> ContactInput {
    let n = nfkc(line);
    let mut c = ContactInput::default();
    let mut phones: Vec<String> = vec![];
    let mut times: Vec<String> = vec![];
    let mut rest: Vec<String> = vec![];
    for tok in split_top_level(&n) {
        let lower = tok.to_lowercase();
        if matches!(
            lower.trim_end_matches(':'),
            "tel"
                | "fax"
                | "電話"
                | "電話番号"
                | "mail"
                | "email"
                | "e-mail"
                | "メール"
                | "担当"
                | "担当者"
                | "氏名"
                | "連絡先"
        ) {
            continue;
        }
        if tok.contains('@') && c.email.is_empty() {
            let mut e = tok.as_str();
            for label in ["mailto:", "e-mail:", "email:", "mail:", "メール:"] {
                if lower.starts_with(label) {
                    e = e.get(label.len()..).unwrap_or(e);
                }
            }
            c.email = e
                .trim_matches(|ch: char| "<>()[]\"'".contains(ch))
                .to_string();
            continue;
        }
        let phone_candidate = strip_phone_label(&tok).unwrap_or(&tok);
        if is_phone(phone_candidate) {
            phones.push(phone_candidate.to_string());
            continue;
        }
        if let Some(ext) = tok.strip_prefix("内線") {
            if !phones.is_empty() && !ext.is_empty() && ext.chars().all(|ch| ch.is_ascii_digit()) {
                phones.push(tok.clone());
                continue;
            }
        }
        if is_time(&tok) {
            times.push(tok);
            continue;
        }
        rest.push(tok);
    }
    c.phone = phones.join(" ");
    c.best_time = times.join(" ");
    let rest = rest.join(" ");
    match (rest.find('('), rest.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            c.department = rest.get(open + 1..close).unwrap_or("").trim().to_string();
            let before = rest.get(..open).unwrap_or("");
            let after = rest.get(close + 1..).unwrap_or("");
            c.name = format!("{before} {after}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
        _ => c.name = rest,
    }
    c
}

const SCENE_BAR: char = '｜';
const CONTINUATION: char = '\u{3000}';

/// The CSV 連携場面 cell: one link per line "場面｜連携方法｜連携内容"; a line starting
/// with a full-width space continues the 連携内容 above; a line without a bar is a
/// scene alone. Returns the links and the number of lines with an empty scene.
fn parse_scene_cell(t: &str) -> (Vec<SceneTriple>, usize) {
    let mut out: Vec<SceneTriple> = vec![];
    let mut bad = 0;
    for line in t.split('\n') {
        if let Some(cont) = line.strip_prefix(CONTINUATION) {
            if let Some(last) = out.last_mut() {
                last.2.push('\n');
                last.2.push_str(cont);
                continue;
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        let bar = if line.contains(SCENE_BAR) {
            SCENE_BAR
        } else {
            '|'
        };
        let mut parts = line.splitn(3, bar);
        let scene = parts.next().unwrap_or("").trim().to_string();
        let method = parts.next().unwrap_or("").trim().to_string();
        let content = parts.next().unwrap_or("").to_string();
        if scene.is_empty() {
            bad += 1;
            continue;
        }
        out.push((scene, method, content));
    }
    for l in &mut out {
        let trimmed = l.2.trim();
        if trimmed.len() != l.2.len() {
            l.2 = trimmed.to_string();
        }
    }
    (out, bad)
}

fn format_scene_cell(agency: &str, links: &[&SceneLink]) -> Result<String, String> {
    let mut lines = vec![];
    for l in links {
        let scene = l.scene.trim();
        if scene.is_empty()
            || scene.contains(['\n', SCENE_BAR])
            || l.method.contains(['\n', SCENE_BAR])
        {
            return Err(format!(
                "「{agency}」の連携場面「{}」または連携方法「{}」に、改行か「｜」が含まれているため CSV に書き出せません。",
                l.scene, l.method
            ));
        }
        let mut content_lines = l.content.split('\n');
        let mut line = format!(
            "{scene}{SCENE_BAR}{}{SCENE_BAR}{}",
            l.method.trim(),
            content_lines.next().unwrap_or("")
        );
        for more in content_lines {
            line.push('\n');
            line.push(CONTINUATION);
            line.push_str(more);
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// The value of one export column.
fn export_value(a: &AgencyInput, c: Col) -> String {
    match c {
        Col::Field => a.field.clone(),
        Col::Name => a.name.clone(),
        Col::Reading => a.reading.clone(),
        Col::Address => a.address.clone(),
        Col::Overview => a.overview.clone(),
        Col::Url => a.url.clone(),
        Col::IsNew => if a.is_new { "○" } else { "-" }.to_string(),
        Col::Services => a.services.clone(),
        Col::Strengths => a.strengths.clone(),
        Col::Disease => format_disease(&a.disease_groups),
        Col::Age => format_age(a.age_min, a.age_max),
        Col::Hours => a.hours.clone(),
        Col::Notes => a.notes.clone(),
        Col::Contacts => format_contacts(&a.contacts),
        Col::Scene | Col::Method | Col::Content => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Format detection and decoding
// ---------------------------------------------------------------------------

const OLD_EXCEL: &str = "古い Excel 形式（.xls）またはパスワード付きのファイルは読み込めません。パスワードを外し、Excel ブック（.xlsx）で保存し直してください。";
const BAD_XLSX: &str = "Excel ファイル（.xlsx）として読み込めません。ファイルが壊れている可能性があります。Excel で開いて保存し直してください。";

/// Reads an agency list from XLSX, CSV/TSV (UTF-8, Shift_JIS/CP932, UTF-16) or HSDS
/// JSON. `filename` is only used to word error messages. Never panics.
pub fn read_agencies(bytes: &[u8], filename: &str) -> Result<ParsedFile, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge);
    }
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        return Err(ImportError::UnknownFormat);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(ImportError::Unreadable(OLD_EXCEL.into()));
    }
    let utf16 = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(encoding_rs::UTF_16LE.decode_without_bom_handling_and_without_replacement(rest))
    } else {
        bytes.strip_prefix(&[0xFE, 0xFF]).map(|rest| {
            encoding_rs::UTF_16BE.decode_without_bom_handling_and_without_replacement(rest)
        })
    };
    if let Some(decoded) = utf16 {
        let text = decoded.ok_or(ImportError::UnknownEncoding)?;
        return read_text(&text, "csv-utf16", filename);
    }
    if looks_binary(bytes) {
        return Err(ImportError::UnknownFormat);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return read_text(text, "csv-utf8", filename);
    }
    if bytes.len() != body.len() || bytes.windows(3).any(|w| w == b"\x1b$B") {
        // A BOM followed by invalid UTF-8, or ISO-2022-JP.
        return Err(ImportError::UnknownEncoding);
    }
    let text = encoding_rs::SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(ImportError::UnknownEncoding)?;
    match read_text(&text, "csv-sjis", filename) {
        Err(ImportError::MissingColumn(c)) => {
            // EUC-JP (and other encodings) often decode as Shift_JIS half-width kana.
            let non_ascii = text.chars().filter(|c| !c.is_ascii()).count();
            let halfwidth = text
                .chars()
                .filter(|c| ('\u{ff61}'..='\u{ff9f}').contains(c))
                .count();
            if non_ascii > 0 && halfwidth * 10 > non_ascii * 3 {
                Err(ImportError::UnknownEncoding)
            } else {
                Err(ImportError::MissingColumn(c))
            }
        }
        other => other,
    }
}

fn looks_binary(bytes: &[u8]) -> bool {
    const MAGIC: [&[u8]; 8] = [
        b"%PDF",
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"\x1F\x8B",
        b"Rar!",
        b"7z\xBC\xAF",
        b"\x00\x00\x01\x00",
    ];
    if MAGIC.iter().any(|m| bytes.starts_with(m)) {
        return true;
    }
    let head = bytes.get(..8192).unwrap_or(bytes);
    let controls = head
        .iter()
        .filter(|b| matches!(b, 0x00..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F))
        .count();
    head.contains(&0) || controls * 100 > head.len()
}

fn read_text(text: &str, format: &'static str, filename: &str) -> Result<ParsedFile, ImportError> {
    let body = text.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    if body.is_empty() {
        return Err(ImportError::Empty);
    }
    if body.starts_with('{') || body.starts_with('[') {
        match read_hsds(body) {
            Ok(f) => return Ok(f),
            Err(e) => {
                if filename.to_lowercase().ends_with(".json") {
                    return Err(e);
                }
                // A CSV whose first header happens to start with "[".
                return match read_csv_text(body, format) {
                    Ok(f) => Ok(f),
                    Err(ImportError::MissingColumn(_)) => Err(e),
                    Err(other) => Err(other),
                };
            }
        }
    }
    read_csv_text(body, format)
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

/// Characters that make a spreadsheet read a cell as a formula.
const CSV_DANGER: [char; 4] = ['=', '+', '-', '@'];

fn reader_strips_quote(v: &str) -> bool {
    v.strip_prefix('\'')
        .is_some_and(|r| r.starts_with(CSV_DANGER) || r.starts_with('\''))
}

/// Prefixes `'` to values a spreadsheet would evaluate (OWASP CSV injection).
pub(crate) fn csv_guard(v: String) -> String {
    if (v.starts_with(CSV_DANGER) && v != "-") || reader_strips_quote(&v) {
        format!("'{v}")
    } else {
        v
    }
}

/// `="0312345678"` (Excel's way to keep leading zeros) → its text.
fn excel_text_formula(t: &str) -> Option<String> {
    let inner = t.strip_prefix("=\"")?.strip_suffix('"')?;
    if inner.replace("\"\"", "").contains('"') {
        return None;
    }
    Some(inner.replace("\"\"", "\""))
}

fn csv_cell(raw: &str) -> Option<Cell> {
    let s = normalize_newlines(raw);
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if reader_strips_quote(t) {
        return Some(Cell::Text(t.get(1..).unwrap_or("").to_string()));
    }
    if t.starts_with('=') {
        return Some(match excel_text_formula(t) {
            Some(inner) => Cell::Text(inner.trim().to_string()),
            None => Cell::Formula(String::new()),
        });
    }
    Some(Cell::Text(t.to_string()))
}

/// RFC 4180 with Excel's habits: quotes only open at the start of a field, `""` is a
/// quote inside quotes, CRLF/LF/CR end records. Row numbers count every record
/// (blank lines included) but not the line breaks inside quoted fields.
fn parse_csv(text: &str, delim: char, max_records: usize) -> Result<Vec<RawRow>, ImportError> {
    let mut budget = MAX_CELLS;
    let mut rows = vec![];
    let mut row = 1usize;
    let mut fields: Vec<String> = vec![];
    let mut field = String::new();
    let mut in_quotes = false;
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    let finish =
        |row: usize, fields: &mut Vec<String>, rows: &mut Vec<RawRow>, budget: &mut usize| {
            let cells: Vec<(usize, Cell)> = fields
                .drain(..)
                .enumerate()
                .filter_map(|(i, f)| csv_cell(&f).map(|c| (i, c)))
                .collect();
            *budget = budget.checked_sub(cells.len()).ok_or_else(too_many_cells)?;
            if !cells.is_empty() {
                rows.push(RawRow { row, cells });
            }
            Ok::<(), ImportError>(())
        };
    // Fields beyond MAX_COLS are dropped as they are read.
    let push = |fields: &mut Vec<String>, field: &mut String| {
        if fields.len() < MAX_COLS as usize {
            fields.push(std::mem::take(field));
        } else {
            field.clear();
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        if c == '"' && at_start {
            in_quotes = true;
            at_start = false;
        } else if c == delim {
            push(&mut fields, &mut field);
            at_start = true;
        } else if c == '\r' || c == '\n' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            push(&mut fields, &mut field);
            finish(row, &mut fields, &mut rows, &mut budget)?;
            row += 1;
            at_start = true;
            if row > max_records {
                return Ok(rows);
            }
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if !field.is_empty() || !fields.is_empty() || in_quotes {
        push(&mut fields, &mut field);
        finish(row, &mut fields, &mut rows, &mut budget)?;
    }
    Ok(rows)
}

fn header_score(rows: &[RawRow]) -> (bool, usize) {
    match find_header(rows) {
        Some(h) => (
            h.has(Col::Name),
            h.cols.iter().filter(|c| c.is_some()).count(),
        ),
        None => (false, 0),
    }
}

fn read_csv_text(text: &str, format: &'static str) -> Result<ParsedFile, ImportError> {
    let mut delim = ',';
    let mut best = (false, 0);
    for d in [',', '\t', ';'] {
        let score = header_score(&parse_csv(text, d, 50)?);
        if score > best {
            best = score;
            delim = d;
        }
    }
    let rows = parse_csv(text, delim, usize::MAX)?;
    parse_sheets(
        vec![SheetData {
            name: String::new(),
            rows,
            merges: MergeIndex::default(),
        }],
        format,
    )
}

// ---------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([*s.first()?, *s.get(1)?]) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([*s.first()?, *s.get(1)?, *s.get(2)?, *s.get(3)?]) as u64)
}

/// The entry names of a zip, from its central directory, refusing archives that
/// declare more than `MAX_UNZIPPED` bytes (the zip reader never inflates an entry
/// beyond its declared size).
fn zip_names(bytes: &[u8]) -> Result<Vec<String>, ImportError> {
    let bad = || ImportError::Unreadable(BAD_XLSX.into());
    let last = bytes.len().checked_sub(22).ok_or_else(bad)?;
    let first = last.saturating_sub(65_535);
    let eocd = (first..=last)
        .rev()
        .find(|&i| bytes.get(i..i + 4) == Some(b"PK\x05\x06".as_slice()))
        .ok_or_else(bad)?;
    let entries = u16_at(bytes, eocd + 10).ok_or_else(bad)?;
    let offset = u32_at(bytes, eocd + 16).ok_or_else(bad)?;
    if entries == 0xFFFF || offset == 0xFFFF_FFFF || entries > MAX_ZIP_ENTRIES {
        return Err(bad());
    }
    let mut p = usize::try_from(offset).map_err(|_| bad())?;
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(entries);
    for _ in 0..entries {
        if bytes.get(p..p + 4) != Some(b"PK\x01\x02".as_slice()) {
            return Err(bad());
        }
        let size = u32_at(bytes, p + 24).ok_or_else(bad)?;
        let n = u16_at(bytes, p + 28).ok_or_else(bad)?;
        let x = u16_at(bytes, p + 30).ok_or_else(bad)?;
        let k = u16_at(bytes, p + 32).ok_or_else(bad)?;
        let name = bytes.get(p + 46..p + 46 + n).ok_or_else(bad)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        total = total.saturating_add(size);
        if size == 0xFFFF_FFFF || total > MAX_UNZIPPED {
            return Err(ImportError::Unreadable(format!(
                "Excel ファイルの中身が大きすぎます（展開後 {}MB まで）。ファイルを分けて取り込んでください。",
                MAX_UNZIPPED / 1024 / 1024
            )));
        }
        p = p + 46 + n + x + k;
    }
    Ok(names)
}

fn format_number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn format_datetime(dt: &calamine::ExcelDateTime) -> String {
    let value = dt.as_f64();
    if dt.is_duration() || (0.0..1.0).contains(&value) {
        let minutes = (value * 24.0 * 60.0).round();
        let minutes = if minutes.is_finite() {
            minutes as i64
        } else {
            0
        };
        return format!("{}:{:02}", minutes / 60, minutes % 60);
    }
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    if h == 0 && mi == 0 && s == 0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")
    }
}

fn data_text(v: &DataRef<'_>) -> Option<String> {
    let s = match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_number(*f),
        DataRef::String(s) => normalize_newlines(s),
        DataRef::SharedString(s) => normalize_newlines(s),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => format_datetime(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => return None,
    };
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

struct Budget {
    cells: usize,
    text: usize,
}

fn too_many_cells() -> ImportError {
    ImportError::Unreadable(format!(
        "セルが多すぎます（{}万セルまで）。関係機関の表だけを残したファイルにするか、ファイルを分けてください。",
        MAX_CELLS / 10_000
    ))
}

/// Reads one sheet's cells in a single streaming pass (values and formulas).
/// Ok(None) for sheets that are not worksheets (charts).
fn read_sheet_cells(
    wb: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Option<Vec<RawRow>>, ImportError> {
    let unreadable = || {
        ImportError::Unreadable(format!("Excel ファイルの「{name}」シートを読み込めません。ファイルが壊れている可能性があります。"))
    };
    let mut reader = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(_) => return Err(unreadable()),
    };
    let mut map: BTreeMap<u32, Vec<(usize, Cell)>> = BTreeMap::new();
    while let Some(rec) = reader
        .next_cell_with_formula_metadata()
        .map_err(|_| unreadable())?
    {
        let (r, c) = rec.pos;
        if c >= MAX_COLS {
            continue;
        }
        let cell = if rec.formula.is_some() {
            Cell::Formula(data_text(&rec.value).unwrap_or_default())
        } else if let DataRef::Error(e) = &rec.value {
            Cell::Error(e.to_string())
        } else {
            match data_text(&rec.value) {
                Some(s) => Cell::Text(s),
                None => continue,
            }
        };
        budget.cells = budget.cells.checked_sub(1).ok_or_else(too_many_cells)?;
        budget.text = budget
            .text
            .checked_sub(cell.header_text().len())
            .ok_or_else(too_many_cells)?;
        map.entry(r).or_default().push((c as usize, cell));
    }
    let rows = map
        .into_iter()
        .map(|(r, mut cells)| {
            cells.sort_by_key(|(c, _)| *c);
            cells.dedup_by_key(|(c, _)| *c);
            RawRow {
                row: r as usize + 1,
                cells,
            }
        })
        .collect();
    Ok(Some(rows))
}

fn read_xlsx(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let names = zip_names(bytes)?;
    if !names.iter().any(|n| n == "xl/workbook.xml") {
        if names.iter().any(|n| n == "xl/workbook.bin") {
            return Err(ImportError::Unreadable(
                "Excel バイナリブック（.xlsb）は読み込めません。Excel ブック（.xlsx）で保存し直してください。".into(),
            ));
        }
        if names.iter().any(|n| n == "content.xml") {
            return Err(ImportError::Unreadable(
                "OpenDocument 形式（.ods）は読み込めません。Excel ブック（.xlsx）か CSV で保存し直してください。".into(),
            ));
        }
        return Err(ImportError::UnknownFormat);
    }
    let mut wb: Xlsx<Cursor<&[u8]>> =
        Xlsx::new(Cursor::new(bytes)).map_err(|_| ImportError::Unreadable(BAD_XLSX.into()))?;
    let mut budget = Budget {
        cells: MAX_CELLS,
        text: MAX_CELL_TEXT,
    };
    let mut sheets = vec![];
    for name in wb.sheet_names() {
        let Some(rows) = read_sheet_cells(&mut wb, &name, &mut budget)? else {
            continue;
        };
        // Merged cells need a second pass over the sheet: only for sheets we read.
        let merges = match find_header(&rows) {
            Some(h) if h.has(Col::Name) => wb
                .merge_cells_by_sheet_name(&name)
                .map(|d| MergeIndex::from_dims(&d))
                .unwrap_or_default(),
            _ => MergeIndex::default(),
        };
        sheets.push(SheetData { name, rows, merges });
    }
    parse_sheets(sheets, "xlsx")
}

// ---------------------------------------------------------------------------
// HSDS 3.0
// ---------------------------------------------------------------------------

const TAX_FIELD: &str = "yorube:field";
const TAX_IS_NEW: &str = "yorube:is_new";
const TAX_DISEASE: &str = "yorube:disease_group";
const TAX_SCENE: &str = "yorube:scene";
const TAX_TEXT: &str = "yorube:text";
const HSDS_SHEET: &str = "organizations";

fn jstr(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => normalize_newlines(s.trim()),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn jarr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn jage(v: &Value, key: &str) -> Result<Option<i64>, ()> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let f = n.as_f64().ok_or(())?;
            if f.fract() == 0.0 && (0.0..=1000.0).contains(&f) {
                Ok(Some(f as i64))
            } else {
                Err(())
            }
        }
        Some(Value::String(s)) => age_number(s),
        Some(_) => Err(()),
    }
}

fn address_text(addr: &Value) -> String {
    let a1 = jstr(addr, "address_1");
    let a2 = jstr(addr, "address_2");
    let city = jstr(addr, "city");
    let state = {
        let s = jstr(addr, "state_province");
        if s.is_empty() {
            jstr(addr, "region")
        } else {
            s
        }
    };
    let base = if (!state.is_empty() && a1.contains(&state))
        || (state.is_empty() && (city.is_empty() || a1.contains(&city)))
    {
        a1
    } else if a1.contains(&city) {
        format!("{state}{a1}")
    } else {
        format!("{state}{city}{a1}")
    };
    if a2.is_empty() {
        base
    } else {
        format!("{base} {a2}")
    }
}

fn hsds_attribute(
    attr: &Value,
    a: &mut AgencyInput,
    scenes: &mut Vec<SceneTriple>,
    row: usize,
    problems: &mut ProblemList,
) {
    let Some(term) = attr.get("taxonomy_term") else {
        return;
    };
    let mut tax = jstr(term, "taxonomy");
    if tax.is_empty() {
        tax = jstr(term, "vocabulary");
    }
    if tax.is_empty() {
        tax = term
            .get("taxonomy_detail")
            .map(|d| jstr(d, "name"))
            .unwrap_or_default();
    }
    let code = jstr(term, "code");
    let name = {
        let n = jstr(term, "name");
        if n.is_empty() {
            code.clone()
        } else {
            n
        }
    };
    let value = jstr(attr, "value");
    match tax.as_str() {
        TAX_FIELD if a.field.is_empty() => a.field = name,
        TAX_IS_NEW => a.is_new = value != "false" && code != "false",
        TAX_DISEASE => {
            let (groups, _) = parse_disease(&code);
            let (groups, unknown) = if groups.is_empty() {
                parse_disease(&name)
            } else {
                (groups, vec![])
            };
            a.disease_groups.extend(groups);
            for u in unknown {
                problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Disease.label(),
                    format!("「{u}」は疾患群として分かりません。"),
                );
            }
            a.disease_groups.sort_unstable();
            a.disease_groups.dedup();
        }
        TAX_SCENE => {
            if name.is_empty() {
                problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Scene.label(),
                    "連携場面の名前がありません。",
                );
                return;
            }
            let (method, content) = match serde_json::from_str::<Value>(&value) {
                Ok(v @ Value::Object(_)) => (jstr(&v, "method"), jstr(&v, "content")),
                _ => (String::new(), value),
            };
            scenes.push((name, method, content));
        }
        TAX_TEXT => match code.as_str() {
            "strengths" => a.strengths = value,
            "notes" => a.notes = value,
            _ => {}
        },
        _ => {}
    }
}

fn hsds_org(
    org: &Value,
    row: usize,
    problems: &mut ProblemList,
) -> Option<(AgencyInput, Vec<SceneTriple>)> {
    let name = jstr(org, "name");
    if name.is_empty() {
        problems.add(
            row,
            HSDS_SHEET,
            Col::Name.label(),
            "関係機関名（name）がないため、この機関は取り込みません。",
        );
        return None;
    }
    let mut a = AgencyInput {
        name,
        reading: jstr(org, "alternate_name"),
        overview: jstr(org, "description"),
        url: {
            let w = jstr(org, "website");
            if w.is_empty() {
                jstr(org, "url")
            } else {
                w
            }
        },
        ..Default::default()
    };
    let mut scenes = vec![];
    let mut services = vec![];
    let mut hours = vec![];
    for svc in jarr(org, "services") {
        let d = jstr(svc, "description");
        if !d.is_empty() {
            services.push(d);
        }
        if a.age_min.is_none() && a.age_max.is_none() {
            match (jage(svc, "minimum_age"), jage(svc, "maximum_age")) {
                (Ok(min), Ok(max)) => {
                    a.age_min = min;
                    a.age_max = max;
                }
                _ => problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Age.label(),
                    "minimum_age / maximum_age は 0 以上の整数にしてください。",
                ),
            }
        }
        for s in jarr(svc, "schedules") {
            let d = jstr(s, "description");
            if !d.is_empty() {
                hours.push(d);
            }
        }
        for attr in jarr(svc, "attributes") {
            hsds_attribute(attr, &mut a, &mut scenes, row, problems);
        }
    }
    a.services = services.join("\n");
    for loc in jarr(org, "locations") {
        for s in jarr(loc, "schedules") {
            let d = jstr(s, "description");
            if !d.is_empty() {
                hours.push(d);
            }
        }
        if a.address.is_empty() {
            if let Some(addr) = jarr(loc, "addresses").first() {
                a.address = address_text(addr);
            }
        }
    }
    a.hours = hours.join(" ");
    for c in jarr(org, "contacts") {
        let phones = jarr(c, "phones");
        let phone = phones
            .iter()
            .map(|p| jstr(p, "number"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let best_time = phones
            .iter()
            .map(|p| jstr(p, "description"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let department = {
            let d = jstr(c, "department");
            if d.is_empty() {
                jstr(c, "title")
            } else {
                d
            }
        };
        let contact = ContactInput {
            name: jstr(c, "name"),
            department,
            phone,
            email: jstr(c, "email"),
            best_time,
        };
        if !contact.is_empty() {
            a.contacts.push(contact);
        }
    }
    if a.contacts.is_empty() {
        let phone = jarr(org, "phones")
            .iter()
            .map(|p| jstr(p, "number"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let contact = ContactInput {
            email: jstr(org, "email"),
            phone,
            ..Default::default()
        };
        if !contact.is_empty() {
            a.contacts.push(contact);
        }
    }
    for attr in jarr(org, "attributes") {
        hsds_attribute(attr, &mut a, &mut scenes, row, problems);
    }
    Some((a, scenes))
}

fn read_hsds(text: &str) -> Result<ParsedFile, ImportError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::Unreadable(format!(
            "JSON（HSDS）として読み込めません（{}行目 {}文字目）。",
            e.line(),
            e.column()
        ))
    })?;
    let orgs: &[Value] =
        match &v {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("organizations").or_else(|| o.get("contents")) {
                Some(Value::Array(a)) => a,
                _ if o.contains_key("name") => std::slice::from_ref(&v),
                _ => return Err(ImportError::Unreadable(
                    "HSDS の organizations が見つかりません。HSDS 3.0 の JSON を選んでください。"
                        .into(),
                )),
            },
            _ => return Err(ImportError::UnknownFormat),
        };
    let mut problems = ProblemList::default();
    let mut rows = vec![];
    let mut scenes = vec![];
    for (i, org) in orgs.iter().enumerate() {
        let row = i + 1;
        if !org.is_object() {
            problems.add(
                row,
                HSDS_SHEET,
                "",
                "organization がオブジェクトではありません。",
            );
            continue;
        }
        let before = problems.count();
        let Some((input, links)) = hsds_org(org, row, &mut problems) else {
            continue;
        };
        if problems.count() > before {
            continue;
        }
        for (scene, method, content) in links {
            scenes.push(SceneLink {
                scene,
                agency_name: input.name.clone(),
                agency_address: input.address.clone(),
                method,
                content,
            });
        }
        rows.push(ParsedRow {
            row,
            sheet: HSDS_SHEET.to_string(),
            input,
        });
    }
    if let Some(extra) = v.get("x-yorube").map(|x| jarr(x, "unlinked_scenes")) {
        for s in extra {
            if let Ok(link) = serde_json::from_value::<SceneLink>(s.clone()) {
                scenes.push(link);
            }
        }
    }
    Ok(ParsedFile {
        rows,
        scenes,
        problems: problems.finish(),
        format: "hsds",
    })
}

const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// "〒123-4567 東京都…" → ("123-4567", "東京都"), each "" when absent.
fn split_japanese_address(address: &str) -> (String, String) {
    let n = nfkc(address);
    let mut rest = n.trim();
    let mut postal = String::new();
    if let Some(r) = rest.strip_prefix('〒') {
        let code: String = r
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        postal = code.clone();
        rest = r.trim_start().get(code.len()..).unwrap_or("").trim_start();
    }
    let state = PREFECTURES
        .iter()
        .find(|p| rest.starts_with(*p))
        .map(|p| p.to_string())
        .unwrap_or_default();
    (postal, state)
}

fn taxonomy_term(tax: &str, code: &str, name: &str, description: &str) -> Value {
    json!({
        "id": format!("{tax}:{code}"),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": tax,
        "vocabulary": tax,
    })
}

fn set_nonempty(m: &mut Map<String, Value>, key: &str, v: &str) {
    if !v.is_empty() {
        m.insert(key.to_string(), Value::String(v.to_string()));
    }
}

/// Groups scene links by agency (same normalised name and address; a link without an
/// address matches the only agency of that name). Returns the groups, in agency
/// order, and the links that match no agency.
fn group_scenes<'a>(
    agencies: &[ExportAgency],
    scenes: &'a [SceneLink],
) -> (Vec<Vec<&'a SceneLink>>, Vec<&'a SceneLink>) {
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in agencies.iter().enumerate() {
        let k = agency_key(&a.input.name, &a.input.address);
        by_name.entry(k.0.clone()).or_default().push(i);
        by_key.entry(k).or_insert(i);
    }
    let mut groups: Vec<Vec<&SceneLink>> = vec![vec![]; agencies.len()];
    let mut unlinked = vec![];
    for s in scenes {
        let k = agency_key(&s.agency_name, &s.agency_address);
        let idx = by_key
            .get(&k)
            .copied()
            .or_else(|| match by_name.get(&k.0).map(Vec::as_slice) {
                Some([only]) if k.1.is_empty() => Some(*only),
                _ => None,
            });
        match idx.and_then(|i| groups.get_mut(i)) {
            Some(g) => g.push(s),
            None => unlinked.push(s),
        }
    }
    (groups, unlinked)
}

/// HSDS 3.0 JSON: `{"hsds_version": "3.0", "organizations": [...], "x-yorube": {...}}`.
///
/// Mapping (one organization per agency; ids derived from `ExportAgency::id`):
/// * name → `name`, ふりがな → `alternate_name`, 概要 → `description`, サイト →
///   `website`, first contact e-mail/phone → `email` / `phones` (informative only).
/// * One service (`{id}-service`, status "active"): 支援内容 → `description`,
///   対象年齢 → `minimum_age`/`maximum_age`, 開所時間 → `schedules[0].description`,
///   and a human-readable `eligibility_description` (対象疾患群・対象年齢; derived,
///   ignored on import).
/// * 所在地 → one physical location with one address: the whole address in
///   `address_1`, `state_province` (都道府県) and `postal_code` (〒) when they can be
///   read from it, `city` "" (not split: Japanese addresses are not reliably
///   splittable), `country` "JP".
/// * Contacts → `contacts[]` (name, department, email) with one phone whose
///   `description` is 連絡しやすい時間 (number "" when only the time is known).
/// * Organization `attributes` with `taxonomy_term.taxonomy` (and the HSDS 2
///   `vocabulary`, same value): `yorube:field` (分野, code = name), `yorube:is_new`
///   (present only when 新規, code "new"), `yorube:disease_group` (code "1".."16",
///   name = 疾患群名), `yorube:scene` (code/name = 連携場面, `value` = JSON string
///   `{"method": 連携方法, "content": 連携内容}`), `yorube:text` (code "strengths" /
///   "notes", `value` = 強み / 備考 — HSDS has no field for these).
/// * Scene links whose agency is not among `agencies` go to
///   `x-yorube.unlinked_scenes` (as SceneLink objects).
pub fn write_hsds(agencies: &[ExportAgency], scenes: &[SceneLink], tenant_name: &str) -> Value {
    let (groups, unlinked) = group_scenes(agencies, scenes);
    let orgs: Vec<Value> = agencies
        .iter()
        .zip(groups)
        .enumerate()
        .map(|(i, (a, links))| hsds_org_json(a, i, &links))
        .collect();
    let mut extra = Map::new();
    extra.insert("tenant".into(), Value::String(tenant_name.to_string()));
    extra.insert("generator".into(), Value::String("yorube".into()));
    if !unlinked.is_empty() {
        extra.insert("unlinked_scenes".into(), json!(unlinked));
    }
    json!({
        "hsds_version": "3.0",
        "organizations": orgs,
        "x-yorube": Value::Object(extra),
    })
}

/// The same document as `write_hsds`, serialised (compact) one organization at a
/// time: for large registries it needs a fraction of the memory and time of
/// building the whole `Value` first.
pub fn write_hsds_bytes(
    agencies: &[ExportAgency],
    scenes: &[SceneLink],
    tenant_name: &str,
) -> Vec<u8> {
    let (groups, unlinked) = group_scenes(agencies, scenes);
    let mut out = Vec::with_capacity(agencies.len() * 2048 + 256);
    out.extend_from_slice(b"{\"hsds_version\":\"3.0\",\"organizations\":[");
    for (i, (a, links)) in agencies.iter().zip(groups).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail, and a Value always serialises.
        let _ = serde_json::to_writer(&mut out, &hsds_org_json(a, i, &links));
    }
    out.extend_from_slice(b"],\"x-yorube\":");
    let mut extra = Map::new();
    extra.insert("tenant".into(), Value::String(tenant_name.to_string()));
    extra.insert("generator".into(), Value::String("yorube".into()));
    if !unlinked.is_empty() {
        extra.insert("unlinked_scenes".into(), json!(unlinked));
    }
    let _ = serde_json::to_writer(&mut out, &Value::Object(extra));
    out.push(b'}');
    out
}

fn hsds_org_json(e: &ExportAgency, index: usize, links: &[&SceneLink]) -> Value {
    let a = &e.input;
    let id = if e.id.trim().is_empty() {
        format!("org-{}", index + 1)
    } else {
        e.id.clone()
    };
    let mut org = Map::new();
    org.insert("id".into(), json!(id));
    org.insert("name".into(), json!(a.name));
    set_nonempty(&mut org, "alternate_name", &a.reading);
    org.insert("description".into(), json!(a.overview));
    set_nonempty(&mut org, "website", &a.url);
    if let Some(email) = a
        .contacts
        .iter()
        .map(|c| c.email.as_str())
        .find(|e| !e.is_empty())
    {
        org.insert("email".into(), json!(email));
    }

    // Service
    let service_id = format!("{id}-service");
    let mut svc = Map::new();
    svc.insert("id".into(), json!(service_id));
    svc.insert("organization_id".into(), json!(id));
    svc.insert("name".into(), json!(a.name));
    svc.insert("description".into(), json!(a.services));
    svc.insert("status".into(), json!("active"));
    if let Some(n) = a.age_min {
        svc.insert("minimum_age".into(), json!(n));
    }
    if let Some(n) = a.age_max {
        svc.insert("maximum_age".into(), json!(n));
    }
    let mut eligibility = vec![];
    if !a.disease_groups.is_empty() {
        eligibility.push(format!("対象疾患群: {}", format_disease(&a.disease_groups)));
    }
    if a.age_min.is_some() || a.age_max.is_some() {
        eligibility.push(format!("対象年齢: {}", format_age(a.age_min, a.age_max)));
    }
    if !eligibility.is_empty() {
        svc.insert(
            "eligibility_description".into(),
            json!(eligibility.join(" / ")),
        );
    }
    if !a.hours.is_empty() {
        svc.insert("schedules".into(), json!([{ "id": format!("{id}-schedule"), "service_id": service_id, "description": a.hours }]));
    }
    org.insert("services".into(), json!([Value::Object(svc)]));

    // Location
    if !a.address.is_empty() {
        let loc_id = format!("{id}-location");
        let (postal, state) = split_japanese_address(&a.address);
        org.insert(
            "locations".into(),
            json!([{
                "id": loc_id,
                "organization_id": id,
                "location_type": "physical",
                "name": a.name,
                "addresses": [{
                    "id": format!("{id}-address"),
                    "location_id": loc_id,
                    "address_1": a.address,
                    "city": "",
                    "state_province": state,
                    "postal_code": postal,
                    "country": "JP",
                    "address_type": "physical",
                }],
            }]),
        );
    }

    // Contacts
    let contacts: Vec<Value> = a
        .contacts
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let cid = format!("{id}-contact-{}", n + 1);
            let mut m = Map::new();
            m.insert("id".into(), json!(cid));
            m.insert("organization_id".into(), json!(id));
            set_nonempty(&mut m, "name", &c.name);
            set_nonempty(&mut m, "department", &c.department);
            set_nonempty(&mut m, "email", &c.email);
            if !c.phone.is_empty() || !c.best_time.is_empty() {
                let mut p = Map::new();
                p.insert("id".into(), json!(format!("{cid}-phone")));
                p.insert("contact_id".into(), json!(cid));
                p.insert("number".into(), json!(c.phone));
                set_nonempty(&mut p, "description", &c.best_time);
                m.insert("phones".into(), json!([Value::Object(p)]));
            }
            Value::Object(m)
        })
        .collect();
    if let Some(phone) = a
        .contacts
        .iter()
        .map(|c| c.phone.as_str())
        .find(|p| !p.is_empty())
    {
        org.insert("phones".into(), json!([{ "id": format!("{id}-phone"), "organization_id": id, "number": phone, "description": "窓口" }]));
    }
    org.insert("contacts".into(), json!(contacts));

    // Attributes
    let mut attrs: Vec<Value> = vec![];
    let mut attr = |link_type: &str, term: Value, value: Option<String>| {
        let mut m = Map::new();
        m.insert("id".into(), json!(format!("{id}-attr-{}", attrs.len() + 1)));
        m.insert("link_id".into(), json!(id));
        m.insert("link_type".into(), json!(link_type));
        m.insert("link_entity".into(), json!("organization"));
        m.insert(
            "taxonomy_term_id".into(),
            term.get("id").cloned().unwrap_or(Value::Null),
        );
        m.insert("taxonomy_term".into(), term);
        if let Some(v) = value {
            m.insert("value".into(), json!(v));
        }
        attrs.push(Value::Object(m));
    };
    if !a.field.is_empty() {
        attr(
            "category",
            taxonomy_term(TAX_FIELD, &a.field, &a.field, "分野"),
            None,
        );
    }
    if a.is_new {
        attr(
            "status",
            taxonomy_term(
                TAX_IS_NEW,
                "new",
                "新規の関係機関",
                "まだ連携していない、新たに見つけた関係機関",
            ),
            None,
        );
    }
    for g in &a.disease_groups {
        let label = disease_group_label(*g);
        attr(
            "eligibility",
            taxonomy_term(
                TAX_DISEASE,
                &g.to_string(),
                if label.is_empty() { "?" } else { label },
                "対象疾患群",
            ),
            None,
        );
    }
    for (code, name, v) in [
        ("strengths", "強み", &a.strengths),
        ("notes", "備考", &a.notes),
    ] {
        if !v.is_empty() {
            attr(
                "note",
                taxonomy_term(TAX_TEXT, code, name, name),
                Some(v.clone()),
            );
        }
    }
    for l in links {
        let value = json!({ "method": l.method, "content": l.content }).to_string();
        attr(
            "collaboration",
            taxonomy_term(TAX_SCENE, &l.scene, &l.scene, "連携場面"),
            Some(value),
        );
    }
    org.insert("attributes".into(), json!(attrs));
    Value::Object(org)
}

// ---------------------------------------------------------------------------
// XLSX and CSV export
// ---------------------------------------------------------------------------

fn write_table(
    ws: &mut Worksheet,
    cols: &[Col],
    rows: usize,
    header: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (ci, c) in cols.iter().enumerate() {
        let ci = u16::try_from(ci).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, ci, c.label(), header)?;
        ws.set_column_width(ci, c.width())?;
    }
    let last_row = u32::try_from(rows).unwrap_or(u32::MAX);
    let last_col = u16::try_from(cols.len().saturating_sub(1)).unwrap_or(0);
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, last_row.max(1), last_col)?;
    Ok(())
}

fn write_cells(
    ws: &mut Worksheet,
    row: u32,
    cols: &[Col],
    values: impl Fn(Col) -> String,
    wrap: &Format,
    top: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (ci, c) in cols.iter().enumerate() {
        let v = values(*c);
        if v.is_empty() {
            continue;
        }
        let ci = u16::try_from(ci).unwrap_or(u16::MAX);
        // Always a string: a value starting with "=" stays text, never a formula.
        ws.write_string_with_format(
            row,
            ci,
            &v,
            if c.wraps() || v.contains('\n') {
                wrap
            } else {
                top
            },
        )?;
    }
    Ok(())
}

/// Excel workbook with the sheets 関係機関一覧, 役割・連携内容 and 連携場面.
pub fn write_xlsx(agencies: &[ExportAgency], scenes: &[SceneLink]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let top = Format::new().set_align(FormatAlign::Top);
    let row_of = |i: usize| u32::try_from(i + 1).map_err(|_| anyhow::anyhow!("too many rows"));

    let ws = wb.add_worksheet();
    ws.set_name(SHEET_REGISTRY)?;
    write_table(ws, &REGISTRY_COLS, agencies.len(), &header)?;
    for (i, a) in agencies.iter().enumerate() {
        write_cells(
            ws,
            row_of(i)?,
            &REGISTRY_COLS,
            |c| export_value(&a.input, c),
            &wrap,
            &top,
        )?;
    }
    if let Some(ci) = REGISTRY_COLS.iter().position(|c| *c == Col::IsNew) {
        let ci = u16::try_from(ci)?;
        let last = u32::try_from(agencies.len() + 1000)
            .unwrap_or(1_048_575)
            .min(1_048_575);
        let dv = DataValidation::new()
            .allow_list_strings(&["○", "-"])?
            .set_error_message("「○」（新規）か「-」を選んでください。")?;
        ws.add_data_validation(1, ci, last, ci, &dv)?;
    }

    let ws = wb.add_worksheet();
    ws.set_name(SHEET_ROLES)?;
    write_table(ws, &ROLE_COLS, agencies.len(), &header)?;
    for (i, a) in agencies.iter().enumerate() {
        write_cells(
            ws,
            row_of(i)?,
            &ROLE_COLS,
            |c| export_value(&a.input, c),
            &wrap,
            &top,
        )?;
    }

    let ws = wb.add_worksheet();
    ws.set_name(SHEET_SCENES)?;
    write_table(ws, &SCENE_COLS, scenes.len(), &header)?;
    for (i, s) in scenes.iter().enumerate() {
        let value = |c: Col| match c {
            Col::Scene => s.scene.clone(),
            Col::Name => s.agency_name.clone(),
            Col::Address => s.agency_address.clone(),
            Col::Method => s.method.clone(),
            Col::Content => s.content.clone(),
            _ => String::new(),
        };
        write_cells(ws, row_of(i)?, &SCENE_COLS, value, &wrap, &top)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// Characters replaced by their CP932 look-alike when writing Shift_JIS (the JIS and
/// Microsoft mappings of the same glyph); everything else must be representable.
const SJIS_SUBSTITUTES: [(char, char); 10] = [
    ('\u{301C}', '\u{FF5E}'), // 〜 → ～
    ('\u{2016}', '\u{2225}'), // ‖ → ∥
    ('\u{2014}', '\u{2015}'), // — → ―
    ('\u{2212}', '\u{FF0D}'), // − → －
    ('\u{00A2}', '\u{FFE0}'), // ¢ → ￠
    ('\u{00A3}', '\u{FFE1}'), // £ → ￡
    ('\u{00AC}', '\u{FFE2}'), // ¬ → ￢
    ('\u{00A5}', '\u{FFE5}'), // ¥ → ￥
    ('\u{203E}', '\u{FFE3}'), // ‾ → ￣
    ('\u{00A0}', ' '),        // no-break space → space
];

fn sjis_substitute(s: &str) -> String {
    s.chars()
        .map(|c| {
            SJIS_SUBSTITUTES
                .iter()
                .find(|(from, _)| *from == c)
                .map(|(_, to)| *to)
                .unwrap_or(c)
        })
        .collect()
}

fn sjis_encodable(c: char, cache: &mut HashMap<char, bool>) -> bool {
    if c.is_ascii() {
        return true;
    }
    *cache.entry(c).or_insert_with(|| {
        let mut buf = [0u8; 4];
        !encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf)).2
    })
}

/// CSV of the 関係機関一覧 columns plus 連携場面; UTF-8 with BOM, or CP932 (`sjis`).
/// Fails when a scene link matches no agency, or (CP932) when a character cannot be
/// represented: the message names the agency, the column and the character.
pub fn write_csv(
    agencies: &[ExportAgency],
    scenes: &[SceneLink],
    sjis: bool,
) -> Result<Vec<u8>, String> {
    let (groups, unlinked) = group_scenes(agencies, scenes);
    if let Some(s) = unlinked.first() {
        return Err(format!(
            "連携場面「{}」の関係機関「{}」が、書き出す関係機関の中にありません。",
            s.scene, s.agency_name
        ));
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(agencies.len() * 512 + 256));
    let mut header: Vec<&str> = REGISTRY_COLS.iter().map(|c| c.label()).collect();
    header.push(Col::Scene.label());
    w.write_record(&header).map_err(|e| e.to_string())?;
    for (a, links) in agencies.iter().zip(&groups) {
        let mut rec: Vec<String> = REGISTRY_COLS
            .iter()
            .map(|c| csv_guard(export_value(&a.input, *c)))
            .collect();
        rec.push(csv_guard(format_scene_cell(&a.input.name, links)?));
        w.write_record(&rec).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    if !sjis {
        let mut out = Vec::with_capacity(text.len() + 3);
        out.extend_from_slice(b"\xEF\xBB\xBF");
        out.extend_from_slice(text.as_bytes());
        return Ok(out);
    }
    let text = sjis_substitute(&text);
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
    if !had_errors {
        return Ok(bytes.into_owned());
    }
    Err(sjis_errors(agencies, &groups))
}

fn sjis_errors(agencies: &[ExportAgency], groups: &[Vec<&SceneLink>]) -> String {
    let mut cache = HashMap::new();
    let mut msgs: Vec<String> = vec![];
    let mut more = 0usize;
    let mut check = |agency: &str, column: &str, value: &str, msgs: &mut Vec<String>| {
        for c in sjis_substitute(value).chars() {
            if !sjis_encodable(c, &mut cache) {
                if msgs.len() < 10 {
                    msgs.push(format!("「{agency}」の{column}に Shift_JIS（CP932）で表せない文字「{c}」（U+{:04X}）があります。", c as u32));
                } else {
                    more += 1;
                }
                return;
            }
        }
    };
    for (a, links) in agencies.iter().zip(groups) {
        for c in REGISTRY_COLS {
            check(
                &a.input.name,
                c.label(),
                &export_value(&a.input, c),
                &mut msgs,
            );
        }
        for l in links {
            check(
                &a.input.name,
                Col::Scene.label(),
                &format!("{}{}{}", l.scene, l.method, l.content),
                &mut msgs,
            );
        }
    }
    if more > 0 {
        msgs.push(format!("ほか {more} 件あります。"));
    }
    msgs.push("UTF-8 で書き出すか、文字を置き換えてください。".into());
    msgs.join("\n")
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agencies::model::{validate, DEFAULT_FIELDS};

    fn fields() -> Vec<String> {
        DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    }

    fn contact(
        name: &str,
        department: &str,
        phone: &str,
        email: &str,
        best_time: &str,
    ) -> ContactInput {
        ContactInput {
            name: name.into(),
            department: department.into(),
            phone: phone.into(),
            email: email.into(),
            best_time: best_time.into(),
        }
    }

    /// A realistic registry, cleaned by `validate` as stored data is.
    fn sample() -> (Vec<ExportAgency>, Vec<SceneLink>) {
        let raw = vec![
            AgencyInput {
                field: "医療".into(),
                name: "デモ市立こども病院".into(),
                reading: "デモシリツ コドモビョウイン".into(),
                address: "〒100-0001 東京都千代田区千代田1-1".into(),
                overview: "小児科・小児外科。\n\"移行期医療\"の相談, 入院中の学習支援".into(),
                url: "https://example.jp/hospital".into(),
                is_new: false,
                services: "移行期支援外来\n退院支援、在宅移行の調整".into(),
                strengths: "小慢の指定医療機関, 病棟保育士あり".into(),
                disease_groups: vec![13, 1, 11],
                age_min: Some(0),
                age_max: Some(20),
                hours: "平日 8:30~17:15".into(),
                notes: "見学は要予約（\"平日のみ\"）".into(),
                contacts: vec![
                    contact(
                        "山田 太郎",
                        "地域医療連携室",
                        "03-1234-5678",
                        "renkei@example.jp",
                        "平日午後",
                    ),
                    contact("佐藤 花子", "", "03-1234-5679 内線 123", "", ""),
                ],
            },
            AgencyInput {
                field: "医療的ケア".into(),
                name: "デモ市医療的ケア児支援センター".into(),
                reading: "でもしいりょうてきけあじしえんせんたー".into(),
                address: "東京都デモ市本町2-3-4".into(),
                overview: "医療的ケア児等とその家族への相談支援等を実施".into(),
                is_new: true,
                services: "相談支援、コーディネーター派遣".into(),
                age_max: Some(18),
                contacts: vec![contact("鈴木", "", "", "care@example.jp", "")],
                ..Default::default()
            },
            AgencyInput {
                field: "家族会".into(),
                name: "XXの会".into(),
                address: "県内".into(),
                overview: "XX病患者・家族の会として、交流会や講演会等を実施".into(),
                is_new: true,
                disease_groups: vec![7],
                age_min: Some(6),
                notes: "@デモ市の掲示板を参照; 年会費 1,000円".into(),
                ..Default::default()
            },
            AgencyInput {
                field: "教育".into(),
                name: "デモ市 学校教育課/養護教諭部会".into(),
                address: "デモ市".into(),
                overview: "- 特別支援教育を推進\n- 復学支援".into(),
                age_min: Some(12),
                age_max: Some(12),
                contacts: vec![contact("", "学校教育課", "0120-000-000", "", "")],
                ..Default::default()
            },
            AgencyInput {
                field: "就労".into(),
                name: "一般社団法人ＸＸ".into(),
                address: "ＸＸ市".into(),
                overview: "入院中に可能な仕事の紹介等の就労支援".into(),
                url: "https://xx.example.org/?a=1&b=2".into(),
                is_new: true,
                services: "+α の学習支援".into(),
                disease_groups: (1..=16).collect(),
                ..Default::default()
            },
        ];
        let agencies: Vec<ExportAgency> = raw
            .into_iter()
            .enumerate()
            .map(|(i, a)| ExportAgency {
                id: format!("0190-{i}"),
                input: validate(&a, &fields()).expect("valid sample"),
            })
            .collect();
        let addr = |i: usize| agencies[i].input.address.clone();
        let name = |i: usize| agencies[i].input.name.clone();
        let link = |scene: &str, i: usize, method: &str, content: &str| SceneLink {
            scene: scene.into(),
            agency_name: name(i),
            agency_address: addr(i),
            method: method.into(),
            content: content.into(),
        };
        let scenes = vec![
            link("就学・進学", 0, "支援会議", "入学前に学校と\n情報共有する"),
            link("就学・進学", 3, "支援会議", "学校側の窓口, \"養護教諭\""),
            link(
                "緊急時",
                1,
                "電話",
                "停電時の連絡 | 受け入れ先の調整\n　字下げした行",
            ),
            link("移行期医療", 2, "", ""),
            link("在宅・レスパイト", 1, "訪問", "-"),
        ];
        (agencies, scenes)
    }

    fn inputs(f: &ParsedFile) -> Vec<AgencyInput> {
        f.rows.iter().map(|r| r.input.clone()).collect()
    }

    fn expected(agencies: &[ExportAgency]) -> Vec<AgencyInput> {
        agencies.iter().map(|a| a.input.clone()).collect()
    }

    fn sorted(mut v: Vec<SceneLink>) -> Vec<SceneLink> {
        v.sort_by(|a, b| (&a.agency_name, &a.scene).cmp(&(&b.agency_name, &b.scene)));
        v
    }

    fn messages(f: &ParsedFile) -> Vec<String> {
        f.problems
            .iter()
            .map(|p| format!("{}:{}:{}:{}", p.sheet, p.row, p.column, p.message))
            .collect()
    }

    // --- round trips -----------------------------------------------------------

    #[test]
    fn xlsx_round_trip() {
        let (agencies, scenes) = sample();
        let bytes = write_xlsx(&agencies, &scenes).unwrap();
        let f = read_agencies(&bytes, "関係機関.xlsx").unwrap();
        assert_eq!(f.format, "xlsx");
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        assert_eq!(inputs(&f), expected(&agencies));
        assert_eq!(f.scenes, scenes);
        assert_eq!(f.rows[0].sheet, SHEET_REGISTRY);
        assert_eq!(f.rows[0].row, 2);
    }

    #[test]
    fn csv_utf8_round_trip() {
        let (agencies, scenes) = sample();
        let bytes = write_csv(&agencies, &scenes, false).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(text.contains("\r\n"));
        assert!(
            text.contains("\"'- 特別支援教育を推進\n- 復学支援\""),
            "formula-like cells are quoted with '"
        );
        assert!(text.contains(",\"'@デモ市の掲示板を参照; 年会費 1,000円\","));
        let f = read_agencies(&bytes, "関係機関.csv").unwrap();
        assert_eq!(f.format, "csv-utf8");
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        assert_eq!(inputs(&f), expected(&agencies));
        assert_eq!(sorted(f.scenes), sorted(scenes));
    }

    #[test]
    fn csv_sjis_round_trip() {
        let (agencies, scenes) = sample();
        let bytes = write_csv(&agencies, &scenes, true).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err(), "CP932 bytes");
        let f = read_agencies(&bytes, "関係機関.csv").unwrap();
        assert_eq!(f.format, "csv-sjis");
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        assert_eq!(inputs(&f), expected(&agencies));
        assert_eq!(sorted(f.scenes), sorted(scenes));
    }

    #[test]
    fn hsds_round_trip() {
        let (agencies, mut scenes) = sample();
        scenes.push(SceneLink {
            scene: "就労".into(),
            agency_name: "一覧にない機関".into(),
            ..Default::default()
        });
        let doc = write_hsds(&agencies, &scenes, "デモ市");
        assert_eq!(doc["hsds_version"], "3.0");
        let org = &doc["organizations"][0];
        assert_eq!(org["id"], "0190-0");
        assert_eq!(org["alternate_name"], "でもしりつ こどもびょういん");
        assert_eq!(org["services"][0]["status"], "active");
        assert_eq!(org["services"][0]["minimum_age"], 0);
        assert_eq!(org["services"][0]["maximum_age"], 20);
        assert_eq!(
            org["locations"][0]["addresses"][0]["state_province"],
            "東京都"
        );
        assert_eq!(
            org["locations"][0]["addresses"][0]["postal_code"],
            "100-0001"
        );
        assert_eq!(org["locations"][0]["addresses"][0]["country"], "JP");
        assert_eq!(org["contacts"][0]["phones"][0]["description"], "平日午後");
        let taxonomies: Vec<&str> = org["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["taxonomy_term"]["taxonomy"].as_str().unwrap())
            .collect();
        for t in [TAX_FIELD, TAX_DISEASE, TAX_SCENE, TAX_TEXT] {
            assert!(taxonomies.contains(&t), "{t} in {taxonomies:?}");
        }
        assert_eq!(
            doc["x-yorube"]["unlinked_scenes"][0]["agency_name"],
            "一覧にない機関"
        );
        let bytes = serde_json::to_vec_pretty(&doc).unwrap();
        let streamed = write_hsds_bytes(&agencies, &scenes, "デモ市");
        assert_eq!(serde_json::from_slice::<Value>(&streamed).unwrap(), doc);
        let f = read_agencies(&bytes, "hsds.json").unwrap();
        assert_eq!(f.format, "hsds");
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        assert_eq!(inputs(&f), expected(&agencies));
        assert_eq!(sorted(f.scenes), sorted(scenes));
    }

    #[test]
    fn empty_export_is_a_template() {
        let bytes = write_xlsx(&[], &[]).unwrap();
        let f = read_agencies(&bytes, "template.xlsx").unwrap();
        assert!(f.rows.is_empty() && f.scenes.is_empty() && f.problems.is_empty());
        let f = read_agencies(&write_csv(&[], &[], false).unwrap(), "t.csv").unwrap();
        assert!(f.rows.is_empty());
    }

    // --- CSV flavours ------------------------------------------------------------

    #[test]
    fn shift_jis_csv_as_excel_saves_it() {
        let text = "分野,関係機関名,ふりがな,所在地,関係機関の概要,サイト,新規の関係機関\r\n\
                    医療,デモ市立病院,でもしりつびょういん,デモ市,\"市内で小慢児童等が\r\n多く通院\",https://example.jp/,-\r\n\
                    \r\n\
                    障害,療育サポートプラザ①,,デモ市,\"療育相談（\"\"発達\"\"）\",,○\r\n\
                    教育,髙橋﨑学園,,デモ市,～17時,,\r\n";
        let (bytes, _, err) = encoding_rs::SHIFT_JIS.encode(text);
        assert!(!err);
        let f = read_agencies(&bytes, "export.csv").unwrap();
        assert_eq!(f.format, "csv-sjis");
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        let rows: Vec<(usize, &str, bool)> = f
            .rows
            .iter()
            .map(|r| (r.row, r.input.name.as_str(), r.input.is_new))
            .collect();
        assert_eq!(
            rows,
            vec![
                (2, "デモ市立病院", false),
                (4, "療育サポートプラザ①", true),
                (5, "髙橋﨑学園", false)
            ]
        );
        assert_eq!(f.rows[0].input.overview, "市内で小慢児童等が\n多く通院");
        assert_eq!(f.rows[1].input.overview, "療育相談（\"発達\"）");
        assert_eq!(f.rows[2].input.overview, "～17時");
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let text = "関係機関名,所在地,新規\nデモ病院,デモ市,○\n";
        let plain = read_agencies(text.as_bytes(), "a.csv").unwrap();
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let bom = read_agencies(&with_bom, "a.csv").unwrap();
        assert_eq!(plain.format, "csv-utf8");
        assert_eq!(bom.format, "csv-utf8");
        assert_eq!(inputs(&plain), inputs(&bom));
        assert_eq!(plain.rows[0].input.name, "デモ病院");
        assert!(plain.rows[0].input.is_new);
    }

    #[test]
    fn utf16_unicode_text_from_excel() {
        let text = "関係機関名\t所在地\r\nデモ病院\tデモ市\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let f = read_agencies(&bytes, "a.txt").unwrap();
        assert_eq!(f.format, "csv-utf16");
        assert_eq!(f.rows[0].input.address, "デモ市");
    }

    #[test]
    fn header_variants() {
        let text = "分　野,関係機関 名,フリガナ,住　所,ＵＲＬ,新規の関係機関（○/-）,\"支援\n内容\",窓口担当者,対象疾患群（番号）,対象年齢,受付時間,※備考,よく分からない列\n\
                    福祉,デモ相談所,デモソウダンショ,デモ市,https://d.example/,○,相談,田中 03-1111-2222,\"1, 7\",0〜18歳,9:00-17:00,メモ,無視される\n";
        let f = read_agencies(text.as_bytes(), "a.csv").unwrap();
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        let a = &f.rows[0].input;
        assert_eq!(a.field, "福祉");
        assert_eq!(a.name, "デモ相談所");
        assert_eq!(a.reading, "デモソウダンショ");
        assert_eq!(a.address, "デモ市");
        assert_eq!(a.url, "https://d.example/");
        assert!(a.is_new);
        assert_eq!(a.services, "相談");
        assert_eq!(
            a.contacts,
            vec![contact("田中", "", "03-1111-2222", "", "")]
        );
        assert_eq!(a.disease_groups, vec![1, 7]);
        assert_eq!((a.age_min, a.age_max), (Some(0), Some(18)));
        assert_eq!(a.hours, "9:00-17:00");
        assert_eq!(a.notes, "メモ");
        for (h, col) in [
            ("関係機関名(ふりがな)", Col::Reading),
            ("よみがな", Col::Reading),
            ("読み仮名", Col::Reading),
            ("URL", Col::Url),
            ("ホームページ", Col::Url),
            ("名称", Col::Name),
            ("機関名", Col::Name),
            ("住所", Col::Address),
            ("概要", Col::Overview),
            ("新規", Col::IsNew),
            ("開所日時", Col::Hours),
            ("連絡先", Col::Contacts),
            ("【必須】関係機関名", Col::Name),
            ("関係機関の\r\n概要", Col::Overview),
        ] {
            assert_eq!(header_col(h), Some(col), "{h}");
        }
        assert_eq!(header_col("関係機関一覧"), None);
    }

    /// The guide's first table (section 3-1, 関係機関の洗い出し), pasted as TSV.
    const GUIDE_TABLE: &str = "分野\t関係機関名\t所在地\t関係機関の概要\tサイト\t新規の関係機関
医療\tXX市医師会\tXX市\tXX市内の医師会\tURL\t
医療\tXX市立市民病院\tXX市\t市内で小慢児童等が多く通院している市民病院\tURL\t-
医療的ケア\tXX市医療的ケア児支援センター\tXX市\t医療的ケア児等とその家族への相談支援等を実施\tURL\t○
就労\t一般社団法人XX\tXX市\t入院中に可能な仕事の紹介等の就労支援以外にも、小慢児童等へのコミュニティ作りや学習支援等を実施\tURL\t○
総合支援\tNPO法人XX\tXX市\t発達障がい児・者等に対して、自立や就労につながる教育に関する事業を行い、障がい児・者等が豊かな感性を伸ばし、豊かな生活を営めるようにすることを目的に居場所づくりやイベント等を実施\tURL\t○
家族会\t各疾患の患者会・家族会\t県内\t(公) がんの子どもを守る会 XX支部 等、疾患毎に地域の患者・家族会として交流イベント等を実施\tURL\t○
家族会\tXXの会\t県内\tXX病患者・家族の会として、交流会や講演会等を実施\tURL\t○
障害\t療育サポートプラザ XX\tXX市\t市の委託を受け子どもの発達に係る療育相談を実施\tURL\t○
障害\t児童発達支援センターXX\tXX市\t障害等のある子ども達のための通園施設として、療育相談、保育所等訪問支援、障害児相談支援を実施\tURL\t○
教育\tXX市 学校教育課/養護教諭部会\tXX市\tXX市内の特別支援教育を推進\t-\t-
";

    #[test]
    fn guide_sample_table_as_tsv() {
        let f = read_agencies(GUIDE_TABLE.as_bytes(), "guide.tsv").unwrap();
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        assert_eq!(f.rows.len(), 10);
        let new: Vec<bool> = f.rows.iter().map(|r| r.input.is_new).collect();
        assert_eq!(
            new,
            vec![false, false, true, true, true, true, true, true, true, false]
        );
        assert_eq!(f.rows[0].row, 2);
        assert_eq!(f.rows[5].input.field, "家族会");
        assert_eq!(f.rows[5].input.name, "各疾患の患者会・家族会");
        assert_eq!(f.rows[9].input.url, "-");
        // After validation the guide's shorthand 家族会 is the registry's 家族会・患者会,
        // and the "-" of サイト means no site.
        let v = validate(&f.rows[5].input, &fields()).unwrap_err();
        assert!(
            v.iter().all(|e| e.field == "url"),
            "only the placeholder URL is refused: {v:?}"
        );
        assert_eq!(validate(&f.rows[9].input, &fields()).unwrap().url, "");
        // The same table with a title row above the header, as a semicolon list.
        let text = format!(
            "関係機関の洗い出し（XX市）\n\n{}",
            GUIDE_TABLE.replace('\t', ";")
        );
        let g = read_agencies(text.as_bytes(), "guide.csv").unwrap();
        assert_eq!(inputs(&g), inputs(&f));
        assert_eq!(g.rows[0].row, 4);
    }

    #[test]
    fn guide_role_table_alone_makes_agencies() {
        let text = "分野\t関係機関名\t所在地\t実施している支援内容\t強み\t窓口となる担当者の連絡先\n医療\tXX大学病院\tXX\tXX\tXX\tXX\n";
        let f = read_agencies(text.as_bytes(), "roles.tsv").unwrap();
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        let a = &f.rows[0].input;
        assert_eq!(
            (a.name.as_str(), a.services.as_str(), a.strengths.as_str()),
            ("XX大学病院", "XX", "XX")
        );
        assert_eq!(a.contacts, vec![contact("XX", "", "", "", "")]);
    }

    #[test]
    fn csv_formulas_and_excel_text_trick() {
        let text = "関係機関名,関係機関の概要,備考\nA,=SUM(B1:B3),x\nB,'=not a formula,\"=\"\"03-1234-5678\"\"\"\nC,x,'-5\n";
        let f = read_agencies(text.as_bytes(), "a.csv").unwrap();
        assert_eq!(f.problems.len(), 1, "{:?}", messages(&f));
        assert_eq!(
            (
                f.problems[0].row,
                f.problems[0].column.as_str(),
                f.problems[0].message.as_str()
            ),
            (2, "関係機関の概要", MSG_FORMULA)
        );
        let rows: Vec<(usize, &str, &str)> = f
            .rows
            .iter()
            .map(|r| (r.row, r.input.overview.as_str(), r.input.notes.as_str()))
            .collect();
        assert_eq!(
            rows,
            vec![(3, "=not a formula", "03-1234-5678"), (4, "x", "-5")]
        );
    }

    #[test]
    fn csv_row_numbers_follow_excel() {
        let text =
            "関係機関名,備考\r\nA,x\r\n\r\n\"B\",\"two\r\nlines\"\r\nC,\"a \"\"q\"\" b\"\r\n,\r\nD";
        let f = read_agencies(text.as_bytes(), "a.csv").unwrap();
        let rows: Vec<(usize, &str)> = f
            .rows
            .iter()
            .map(|r| (r.row, r.input.name.as_str()))
            .collect();
        assert_eq!(rows, vec![(2, "A"), (4, "B"), (5, "C"), (7, "D")]);
        assert_eq!(f.rows[1].input.notes, "two\nlines");
        assert_eq!(f.rows[2].input.notes, "a \"q\" b");
    }

    #[test]
    fn cell_value_problems() {
        let text = "関係機関名,新規の関係機関,対象疾患群,対象年齢,連携場面\n\
                    A,たぶん,\"1、99、腎臓\",中学生まで,｜電話｜内容\n\
                    ,○,,,\n\
                    B,,,,\n\
                    B,,,,\n";
        let f = read_agencies(text.as_bytes(), "a.csv").unwrap();
        let m = messages(&f);
        assert!(
            m.contains(&format!(":2:新規の関係機関:{MSG_IS_NEW}")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|p| p.starts_with(":2:対象疾患群:「99」")),
            "{m:?}"
        );
        assert!(
            m.iter().any(|p| p.starts_with(":2:対象疾患群:「腎臓」")),
            "{m:?}"
        );
        assert!(m.contains(&format!(":2:対象年齢:{MSG_AGE}")), "{m:?}");
        assert!(m.iter().any(|p| p.starts_with(":2:連携場面:")), "{m:?}");
        assert!(m.contains(&format!(":3:関係機関名:{MSG_NO_NAME}")), "{m:?}");
        assert_eq!(m.len(), 6, "{m:?}");
        // Row 2 has problems and is left out; duplicates are the caller's business.
        let rows: Vec<(usize, &str)> = f
            .rows
            .iter()
            .map(|r| (r.row, r.input.name.as_str()))
            .collect();
        assert_eq!(rows, vec![(4, "B"), (5, "B")]);
    }

    // --- XLSX ----------------------------------------------------------------------

    fn save(wb: &mut Workbook) -> Vec<u8> {
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_formula_cell_is_a_problem() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "関係機関名").unwrap();
        ws.write_string(0, 1, "関係機関の概要").unwrap();
        ws.write_string(0, 2, "備考").unwrap();
        ws.write_string(1, 0, "A病院").unwrap();
        ws.write_formula(1, 1, "=1+1").unwrap();
        ws.write_formula(1, 5, "=1+1").unwrap(); // an ignored column: not reported
        ws.write_string(2, 0, "B病院").unwrap();
        ws.write_string(2, 2, "=1+1").unwrap(); // a string, not a formula
        let f = read_agencies(&save(&mut wb), "a.xlsx").unwrap();
        assert_eq!(f.problems.len(), 1, "{:?}", messages(&f));
        let p = &f.problems[0];
        assert_eq!(
            (
                p.row,
                p.sheet.as_str(),
                p.column.as_str(),
                p.message.as_str()
            ),
            (2, "Sheet1", "関係機関の概要", MSG_FORMULA)
        );
        assert_eq!(f.rows.len(), 1, "the row with a formula is left out");
        assert_eq!(f.rows[0].input.notes, "=1+1");
    }

    #[test]
    fn xlsx_numbers_and_dates_in_text_columns() {
        let mut wb = Workbook::new();
        let date = Format::new().set_num_format("yyyy/mm/dd");
        let time = Format::new().set_num_format("h:mm");
        let ws = wb.add_worksheet();
        for (c, h) in [
            "関係機関名",
            "対象年齢",
            "備考",
            "開所時間",
            "関係機関の概要",
            "対象疾患群",
            "新規",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 123.0).unwrap();
        ws.write_number(1, 1, 18.0).unwrap();
        ws.write_datetime_with_format(
            1,
            2,
            rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 4, 1).unwrap(),
            &date,
        )
        .unwrap();
        ws.write_datetime_with_format(
            1,
            3,
            rust_xlsxwriter::ExcelDateTime::from_hms(9, 30, 0).unwrap(),
            &time,
        )
        .unwrap();
        ws.write_number(1, 4, 1.5).unwrap();
        ws.write_number(1, 5, 7.0).unwrap();
        ws.write_boolean(1, 6, true).unwrap();
        let f = read_agencies(&save(&mut wb), "a.xlsx").unwrap();
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        let a = &f.rows[0].input;
        assert_eq!(a.name, "123");
        assert_eq!((a.age_min, a.age_max), (Some(18), Some(18)));
        assert_eq!(a.notes, "2024-04-01");
        assert_eq!(a.hours, "9:30");
        assert_eq!(a.overview, "1.5");
        assert_eq!(a.disease_groups, vec![7]);
        assert!(a.is_new);
    }

    /// A workbook laid out like the guide: a title row, the list, the role table and
    /// the scene table, with merged cells.
    #[test]
    fn guide_like_workbook_with_roles_scenes_and_merges() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("洗い出し").unwrap();
        ws.merge_range(0, 0, 0, 5, "関係機関の洗い出し（デモ市）", &Format::new())
            .unwrap();
        for (c, h) in [
            "分野",
            "関係機関名",
            "所在地",
            "関係機関の概要",
            "新規の関係機関",
            "窓口となる担当者の連絡先",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(2, c as u16, *h).unwrap();
        }
        ws.merge_range(3, 0, 4, 0, "医療", &Format::new()).unwrap();
        ws.write_string(3, 1, "A病院").unwrap();
        ws.write_string(3, 2, "デモ市").unwrap();
        ws.write_string(4, 1, "B診療所").unwrap();
        ws.write_string(4, 4, "○").unwrap();
        // C会 has two contact persons on two rows under one merged name cell.
        ws.write_string(5, 0, "家族会").unwrap();
        ws.merge_range(5, 1, 6, 1, "C会", &Format::new()).unwrap();
        ws.merge_range(5, 3, 6, 3, "交流会", &Format::new())
            .unwrap();
        ws.write_string(5, 5, "田中 TEL:03-1111-2222").unwrap();
        ws.write_string(6, 5, "高橋（事務局） takahashi@example.jp")
            .unwrap();

        let ws = wb.add_worksheet();
        ws.set_name("役割").unwrap();
        for (c, h) in [
            "分野",
            "関係機関名",
            "所在地",
            "実施している支援内容",
            "強み",
            "窓口となる担当者の連絡先",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 1, "Ａ病院").unwrap();
        ws.write_string(1, 2, "デモ市").unwrap();
        ws.write_string(1, 3, "移行期支援").unwrap();
        ws.write_string(1, 4, "小児専門").unwrap();
        ws.write_string(1, 5, "山田太郎（地域連携室） TEL 03-1234-5678 yamada@example.jp 平日9時〜17時\n佐藤／相談室／03-0000-0000／／").unwrap();
        ws.write_string(2, 1, "Z病院").unwrap();

        let ws = wb.add_worksheet();
        ws.set_name("連携場面").unwrap();
        for (c, h) in ["連携場面", "連携方法", "連携内容", "関係機関名"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.merge_range(1, 0, 2, 0, "就学・進学", &Format::new())
            .unwrap();
        ws.write_string(1, 1, "会議").unwrap();
        ws.write_string(1, 3, "A病院").unwrap();
        ws.write_string(2, 1, "訪問").unwrap();
        ws.write_string(2, 3, "C会\nB診療所").unwrap();
        ws.write_string(3, 0, "緊急時").unwrap();
        ws.write_string(3, 1, "電話").unwrap();

        let f = read_agencies(&save(&mut wb), "guide.xlsx").unwrap();
        let m = messages(&f);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].starts_with("役割:3:関係機関名:関係機関名・所在地が一致する行が"),
            "{m:?}"
        );
        assert!(
            m[1].starts_with("連携場面:4:関係機関名:関係機関名が空欄です"),
            "{m:?}"
        );

        let names: Vec<(&str, usize, &str)> = f
            .rows
            .iter()
            .map(|r| (r.sheet.as_str(), r.row, r.input.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("洗い出し", 4, "A病院"),
                ("洗い出し", 5, "B診療所"),
                ("洗い出し", 6, "C会")
            ]
        );
        let a = &f.rows[0].input;
        assert_eq!(
            (a.field.as_str(), a.services.as_str(), a.strengths.as_str()),
            ("医療", "移行期支援", "小児専門")
        );
        assert_eq!(
            a.contacts,
            vec![
                contact(
                    "山田太郎",
                    "地域連携室",
                    "03-1234-5678",
                    "yamada@example.jp",
                    "平日9時〜17時"
                ),
                contact("佐藤", "相談室", "03-0000-0000", "", ""),
            ]
        );
        assert_eq!(
            f.rows[1].input.field, "医療",
            "merged 分野 applies to both rows"
        );
        assert!(f.rows[1].input.is_new);
        let c = &f.rows[2].input;
        assert_eq!(c.overview, "交流会");
        assert_eq!(
            c.contacts,
            vec![
                contact("田中", "", "03-1111-2222", "", ""),
                contact("高橋", "事務局", "", "takahashi@example.jp", "")
            ]
        );

        let links: Vec<(&str, &str, &str)> = f
            .scenes
            .iter()
            .map(|s| (s.scene.as_str(), s.method.as_str(), s.agency_name.as_str()))
            .collect();
        assert_eq!(
            links,
            vec![
                ("就学・進学", "会議", "A病院"),
                ("就学・進学", "訪問", "C会"),
                ("就学・進学", "訪問", "B診療所")
            ]
        );
    }

    #[test]
    fn role_sheet_conflicts_are_reported() {
        let (agencies, scenes) = sample();
        let bytes = write_xlsx(&agencies, &scenes).unwrap();
        // Rewrite the role sheet's 強み of the first agency.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_REGISTRY).unwrap();
        for (c, col) in REGISTRY_COLS.iter().enumerate() {
            ws.write_string(0, c as u16, col.label()).unwrap();
            ws.write_string(1, c as u16, export_value(&agencies[0].input, *col))
                .unwrap();
        }
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_ROLES).unwrap();
        for (c, col) in ROLE_COLS.iter().enumerate() {
            ws.write_string(0, c as u16, col.label()).unwrap();
            ws.write_string(1, c as u16, export_value(&agencies[0].input, *col))
                .unwrap();
        }
        ws.write_string(1, 4, "別の強み").unwrap();
        let f = read_agencies(&save(&mut wb), "a.xlsx").unwrap();
        assert_eq!(f.problems.len(), 1, "{:?}", messages(&f));
        assert_eq!(f.problems[0].column, "強み");
        assert_eq!(f.rows[0].input, agencies[0].input);
        assert!(read_agencies(&bytes, "a.xlsx").unwrap().problems.is_empty());
    }

    #[test]
    fn missing_name_column() {
        let e = read_agencies("分野,所在地\n医療,デモ市\n".as_bytes(), "a.csv").unwrap_err();
        assert_eq!(e, ImportError::MissingColumn("関係機関名".into()));
        assert_eq!(
            e.to_string(),
            "必須の列「関係機関名」が見つかりません。1行目に見出しを入れてください。"
        );
        let mut wb = Workbook::new();
        wb.add_worksheet().write_string(0, 0, "分野").unwrap();
        wb.add_worksheet().write_string(0, 0, "メモ").unwrap();
        assert_eq!(
            read_agencies(&save(&mut wb), "a.xlsx").unwrap_err(),
            ImportError::MissingColumn("関係機関名".into())
        );
    }

    // --- refusals and robustness ---------------------------------------------------

    #[test]
    fn empty_files() {
        for b in [&b""[..], b"\xEF\xBB\xBF", b"  \r\n\t", b"\xFF\xFE"] {
            assert_eq!(
                read_agencies(b, "a.csv").unwrap_err(),
                ImportError::Empty,
                "{b:?}"
            );
        }
        assert_eq!(ImportError::Empty.to_string(), "ファイルが空です。");
    }

    #[test]
    fn too_large() {
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(
            read_agencies(&big, "a.csv").unwrap_err(),
            ImportError::TooLarge
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in data {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A minimal zip (stored entries).
    fn zip_files(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = vec![];
        let mut central = vec![];
        for (n, data) in files {
            let offset = out.len() as u32;
            let crc = crc32(data.as_bytes());
            let len = (data.len() as u32).to_le_bytes();
            out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&len);
            out.extend_from_slice(&len);
            out.extend_from_slice(&(n.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(data.as_bytes());
            central
                .extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&len);
            central.extend_from_slice(&len);
            central.extend_from_slice(&(n.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(n.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00");
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn zip_with(names: &[&str]) -> Vec<u8> {
        zip_files(&names.iter().map(|n| (*n, "x")).collect::<Vec<_>>())
    }

    #[test]
    fn xlsx_error_cells_are_problems() {
        const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let workbook = format!(
            r#"<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets><sheet name="一覧" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        let rels = format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
        );
        let sheet = format!(
            r#"<worksheet xmlns="{NS}"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>関係機関名</t></is></c><c r="B1" t="inlineStr"><is><t>備考</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>A</t></is></c><c r="B2" t="e"><v>#N/A</v></c></row>
<row r="3"><c r="A3" t="inlineStr"><is><t>B</t></is></c><c r="B3" t="inlineStr"><is><t>ok</t></is></c></row>
</sheetData></worksheet>"#
        );
        let root_rels = format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        let types = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
        let bytes = zip_files(&[
            ("[Content_Types].xml", types),
            ("_rels/.rels", &root_rels),
            ("xl/workbook.xml", &workbook),
            ("xl/_rels/workbook.xml.rels", &rels),
            ("xl/worksheets/sheet1.xml", &sheet),
        ]);
        let f = read_agencies(&bytes, "errors.xlsx").unwrap();
        assert_eq!(
            messages(&f),
            vec![
                "一覧:2:備考:エラーの値（#N/A）が入っています。正しい値を入力してください。"
                    .to_string()
            ]
        );
        let rows: Vec<(usize, &str)> = f
            .rows
            .iter()
            .map(|r| (r.row, r.input.notes.as_str()))
            .collect();
        assert_eq!(rows, vec![(3, "ok")]);
    }

    #[test]
    fn other_files_are_refused() {
        let docx = zip_with(&["[Content_Types].xml", "word/document.xml"]);
        assert_eq!(
            read_agencies(&docx, "a.docx").unwrap_err(),
            ImportError::UnknownFormat
        );
        let ods = zip_with(&["mimetype", "content.xml"]);
        assert!(
            matches!(read_agencies(&ods, "a.ods").unwrap_err(), ImportError::Unreadable(m) if m.contains(".ods"))
        );
        let fake = zip_with(&["[Content_Types].xml", "xl/workbook.xml"]);
        assert!(matches!(
            read_agencies(&fake, "a.xlsx").unwrap_err(),
            ImportError::Unreadable(_)
        ));
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
        assert_eq!(
            read_agencies(png, "a.png").unwrap_err(),
            ImportError::UnknownFormat
        );
        assert_eq!(
            read_agencies(b"%PDF-1.7\n%...", "a.pdf").unwrap_err(),
            ImportError::UnknownFormat
        );
        let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert!(
            matches!(read_agencies(&xls, "a.xls").unwrap_err(), ImportError::Unreadable(m) if m.contains(".xls"))
        );
        assert_eq!(
            read_agencies(b"\x82\xa0\xff\xff\xff", "a.csv").unwrap_err(),
            ImportError::UnknownEncoding
        );
        assert!(
            matches!(read_agencies(b"{\"organizations\": [", "a.json").unwrap_err(), ImportError::Unreadable(m) if m.contains("JSON"))
        );
    }

    #[test]
    fn declared_zip_bomb_is_refused() {
        let mut z = zip_with(&["xl/workbook.xml"]);
        // Declare 4 GB - 2 uncompressed in the central directory.
        let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        z[cd + 24..cd + 28].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        assert!(
            matches!(read_agencies(&z, "a.xlsx").unwrap_err(), ImportError::Unreadable(m) if m.contains("大きすぎ"))
        );
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_and_damaged_input_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..3000 {
            let len = (rng.next() % 600) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            match i % 4 {
                0 => {}
                1 => b.splice(0..0, b"PK\x03\x04".iter().copied()).for_each(drop),
                2 => b
                    .iter_mut()
                    .for_each(|x| *x = b",\"\n\r=\xe9\x96\xa2a\t{["[(*x as usize) % 12]),
                _ => b
                    .splice(
                        0..0,
                        "関係機関名,新規の関係機関,対象年齢,対象疾患群,窓口,連携場面\n".bytes(),
                    )
                    .for_each(drop),
            }
            let _ = read_agencies(&b, "random.bin");
        }
        let (agencies, scenes) = sample();
        let good = write_xlsx(&agencies, &scenes).unwrap();
        for _ in 0..300 {
            let mut b = good.clone();
            for _ in 0..(1 + rng.next() % 4) {
                let at = (rng.next() as usize) % b.len();
                b[at] = rng.next() as u8;
            }
            let _ = read_agencies(&b, "damaged.xlsx");
        }
        for cut in (0..good.len()).step_by(97) {
            let _ = read_agencies(&good[..cut], "truncated.xlsx");
        }
        let json = serde_json::to_vec(&write_hsds(&agencies, &scenes, "デモ市")).unwrap();
        for _ in 0..300 {
            let mut b = json.clone();
            let at = (rng.next() as usize) % b.len();
            b[at] = b"{}[]\",:0a-"[(rng.next() % 10) as usize];
            let _ = read_agencies(&b, "damaged.json");
        }
        for doc in ["[1, \"x\", null]", "{\"organizations\": [{\"name\": 5, \"services\": 3, \"attributes\": [{\"taxonomy_term\": 1}]}]}", "{}", "[]", "{\"name\": \"A\", \"services\": [{\"minimum_age\": -1.5}]}"] {
            let _ = read_agencies(doc.as_bytes(), "x.json");
        }
    }

    #[test]
    fn too_many_cells_is_refused_not_swallowed() {
        let mut text = String::from("関係機関名,備考\n");
        let row = "a,".repeat(300) + "\n";
        for _ in 0..MAX_CELLS / MAX_COLS as usize + 10 {
            text.push_str(&row);
        }
        let e = read_agencies(text.as_bytes(), "wide.csv").map(|f| f.rows.len());
        assert!(
            matches!(e, Err(ImportError::Unreadable(ref m)) if m.contains("セルが多すぎます")),
            "{e:?}"
        );
        // One record of commas: fields past column 256 are dropped as they are read.
        let commas = ",".repeat(2_000_000);
        assert_eq!(
            read_agencies(commas.as_bytes(), "commas.csv").map(|f| f.rows.len()),
            Err(ImportError::MissingColumn("関係機関名".into()))
        );
    }

    #[test]
    fn problems_are_capped() {
        let mut text = String::from("関係機関名,新規の関係機関\n");
        for i in 0..10_000 {
            text.push_str(&format!("機関{i},たぶん\n"));
        }
        let f = read_agencies(text.as_bytes(), "bad.csv").unwrap();
        assert!(f.rows.is_empty(), "rows with problems are left out");
        assert_eq!(f.problems.len(), MAX_PROBLEMS + 1);
        let last = f.problems.last().unwrap();
        assert_eq!(
            (last.row, last.message.as_str()),
            (0, "ほか 9000 件の問題があります。")
        );
        assert_eq!(f.problems[0].row, 2);
    }

    // --- CP932 policy ----------------------------------------------------------------

    #[test]
    fn cp932_refuses_unrepresentable_characters_and_maps_look_alikes() {
        let mut a = ExportAgency::default();
        a.input.name = "デモ病院".into();
        a.input.hours = "9時〜17時".into();
        a.input.notes = "—会費¥500—".into();
        let bytes = write_csv(std::slice::from_ref(&a), &[], true).unwrap();
        let f = read_agencies(&bytes, "a.csv").unwrap();
        assert_eq!(f.rows[0].input.hours, "9時～17時");
        assert_eq!(f.rows[0].input.notes, "―会費￥500―");

        a.input.notes = "絵文字😀です".into();
        a.input.overview = "𠮷野家".into();
        let err = write_csv(std::slice::from_ref(&a), &[], true).unwrap_err();
        assert!(
            err.contains("「デモ病院」の備考") && err.contains("😀") && err.contains("U+1F600"),
            "{err}"
        );
        assert!(
            err.contains("「デモ病院」の関係機関の概要") && err.contains("𠮷"),
            "{err}"
        );
        assert!(
            write_csv(std::slice::from_ref(&a), &[], false).is_ok(),
            "UTF-8 keeps everything"
        );
        let link = SceneLink {
            scene: "緊急時".into(),
            agency_name: "デモ病院".into(),
            content: "ü".into(),
            ..Default::default()
        };
        a.input.notes.clear();
        a.input.overview.clear();
        let err =
            write_csv(std::slice::from_ref(&a), std::slice::from_ref(&link), true).unwrap_err();
        assert!(err.contains("連携場面") && err.contains('ü'), "{err}");
    }

    #[test]
    fn csv_export_refuses_unknown_agencies_in_scenes() {
        let (agencies, _) = sample();
        let link = SceneLink {
            scene: "復学".into(),
            agency_name: "どこにもない".into(),
            ..Default::default()
        };
        let err = write_csv(&agencies, &[link], false).unwrap_err();
        assert!(err.contains("どこにもない"));
    }

    #[test]
    fn csv_guard_rules() {
        assert_eq!(csv_guard("-".into()), "-");
        assert_eq!(csv_guard("+81 3".into()), "'+81 3");
        assert_eq!(csv_guard("@x".into()), "'@x");
        assert_eq!(csv_guard("'=x".into()), "''=x");
        assert_eq!(csv_guard("'ok".into()), "'ok");
        for v in ["-", "+81 3", "@x", "'=x", "''-", "'ok", "=1"] {
            let back = csv_cell(&csv_guard(v.into())).unwrap();
            assert_eq!(back, Cell::Text(v.into()), "{v}");
        }
    }

    // --- cell parsers ----------------------------------------------------------------

    #[test]
    fn ages() {
        for (s, want) in [
            ("", Some((None, None))),
            ("-", Some((None, None))),
            ("0-18", Some((Some(0), Some(18)))),
            ("0〜20歳", Some((Some(0), Some(20)))),
            ("０歳～１８歳", Some((Some(0), Some(18)))),
            ("0歳から18歳まで", Some((Some(0), Some(18)))),
            ("18歳まで", Some((None, Some(18)))),
            ("20歳未満", Some((None, Some(19)))),
            ("6歳以上", Some((Some(6), None))),
            ("6歳から", Some((Some(6), None))),
            ("〜15", Some((None, Some(15)))),
            ("18", Some((Some(18), Some(18)))),
            ("中学生まで", None),
            ("99999999999999999999", None),
            ("~", None),
        ] {
            assert_eq!(parse_age(s), want, "{s}");
        }
        for (min, max) in [
            (Some(0), Some(18)),
            (None, Some(18)),
            (Some(6), None),
            (Some(3), Some(3)),
            (None, None),
        ] {
            assert_eq!(parse_age(&format_age(min, max)), Some((min, max)));
        }
    }

    #[test]
    fn disease_groups() {
        assert_eq!(parse_disease("1, 7"), (vec![1, 7], vec![]));
        assert_eq!(parse_disease("1・7"), (vec![1, 7], vec![]));
        assert_eq!(parse_disease("１，７"), (vec![1, 7], vec![]));
        assert_eq!(parse_disease("糖尿病、悪性新生物"), (vec![1, 7], vec![]));
        assert_eq!(parse_disease("神経・筋疾患・糖尿病"), (vec![7, 11], vec![]));
        assert_eq!(parse_disease("第3群 1〜2"), (vec![1, 2, 3], vec![]));
        assert_eq!(parse_disease("すべて").0.len(), 16);
        assert_eq!(
            parse_disease("1, 17, かぜ"),
            (vec![1], vec!["17".to_string(), "かぜ".to_string()])
        );
        let all: Vec<i64> = (1..=16).collect();
        assert_eq!(parse_disease(&format_disease(&all)), (all, vec![]));
    }

    #[test]
    fn contacts() {
        assert_eq!(
            parse_contacts(
                "山田 太郎／連携室／03-1234-5678／a@example.jp／平日午後\n\n／／／／夕方"
            ),
            vec![
                contact(
                    "山田 太郎",
                    "連携室",
                    "03-1234-5678",
                    "a@example.jp",
                    "平日午後"
                ),
                contact("", "", "", "", "夕方")
            ]
        );
        assert_eq!(
            parse_contacts("山田 太郎（相談支援課 係長）、ＴＥＬ：０３－１２３４－５６７８ 内線12、mail: yamada@example.jp"),
            vec![contact("山田 太郎", "相談支援課 係長", "03-1234-5678 内線12", "yamada@example.jp", "")]
        );
        assert_eq!(
            parse_contacts("(03)1234-5678 鈴木"),
            vec![contact("鈴木", "", "(03)1234-5678", "", "")]
        );
        assert_eq!(
            parse_contacts("時田 9:00-17:00"),
            vec![contact("時田", "", "", "", "9:00-17:00")]
        );
        assert_eq!(
            parse_contacts("a/b/c/d@x/e"),
            vec![contact("a", "b", "c", "d@x", "e")]
        );
    }

    #[test]
    fn scene_cells() {
        let (links, bad) = parse_scene_cell(
            "就学・進学｜会議｜一行目\n　二行目\n　　字下げ\n緊急時|電話|x\n復学\n｜方法だけ",
        );
        assert_eq!(bad, 1);
        assert_eq!(
            links,
            vec![
                (
                    "就学・進学".to_string(),
                    "会議".to_string(),
                    "一行目\n二行目\n　字下げ".to_string()
                ),
                ("緊急時".to_string(), "電話".to_string(), "x".to_string()),
                ("復学".to_string(), String::new(), String::new()),
            ]
        );
    }

    #[test]
    fn column_labels() {
        assert_eq!(column_label("name"), "関係機関名");
        assert_eq!(column_label("contacts[2]"), "窓口となる担当者の連絡先");
        assert_eq!(column_label("age_max"), "対象年齢");
        assert_eq!(column_label("disease_groups"), "対象疾患群");
        assert_eq!(column_label("nope"), "");
        // Every label is recognised as a header.
        for c in REGISTRY_COLS.iter().chain(&SCENE_COLS) {
            assert_eq!(header_col(c.label()), Some(*c));
        }
    }

    #[test]
    fn external_hsds() {
        let doc = r#"{"contents": [{
            "id": "x", "name": "デモ病院", "description": "概要", "email": "info@example.jp",
            "phones": [{"id": "p", "number": "03-0000-0000"}],
            "locations": [{"id": "l", "addresses": [{"id": "a", "address_1": "千代田1-1", "city": "千代田区", "state_province": "東京都", "country": "JP"}]}],
            "services": [{"id": "s", "name": "外来", "description": "相談", "minimum_age": 0, "maximum_age": 18.0,
                          "attributes": [{"id": "t", "taxonomy_term": {"id": "d", "name": "糖尿病", "vocabulary": "yorube:disease_group"}}]}]
        }]}"#;
        let f = read_agencies(doc.as_bytes(), "x.json").unwrap();
        assert!(f.problems.is_empty(), "{:?}", messages(&f));
        let a = &f.rows[0].input;
        assert_eq!(a.address, "東京都千代田区千代田1-1");
        assert_eq!((a.age_min, a.age_max), (Some(0), Some(18)));
        assert_eq!(a.disease_groups, vec![7]);
        assert_eq!(
            a.contacts,
            vec![contact("", "", "03-0000-0000", "info@example.jp", "")]
        );
        let bad = read_agencies(br#"{"organizations": [{"id": "1"}, 5]}"#, "x.json").unwrap();
        assert_eq!(bad.problems.len(), 2);
        assert!(bad.rows.is_empty());
    }
}
