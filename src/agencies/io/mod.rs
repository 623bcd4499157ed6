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

mod columns;
mod csv;
mod detect;
mod export;
mod hsds;
mod problems;
mod table;
mod values;
mod xlsx;

pub use self::columns::column_label;
pub(crate) use self::csv::csv_guard;
pub use self::detect::read_agencies;
pub use self::export::{write_csv, write_xlsx};
pub use self::hsds::{write_hsds, write_hsds_bytes};

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::agencies::model::AgencyInput;

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

#[cfg(test)]
mod tests {
    use super::*;
    use super::{columns::*, csv::*, hsds::*, problems::*, table::*, values::*};
    use crate::agencies::model::ContactInput;
    use crate::agencies::model::{validate, DEFAULT_FIELDS};
    use rust_xlsxwriter::{Format, Workbook};
    use serde_json::Value;

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
