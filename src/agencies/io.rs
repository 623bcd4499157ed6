//! Import and export of the agency registry (XLSX, CSV UTF-8/CP932, HSDS 3.0 JSON).
//! Being written; see docs/agencies.md.

use super::model::AgencyInput;

pub struct SceneLink {
    pub scene: String,
    pub agency_name: String,
    pub agency_address: String,
    pub method: String,
    pub content: String,
}

pub struct ExportAgency {
    pub id: String,
    pub input: AgencyInput,
}

// ---- temporary stubs until the reader/writers land ----
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_PROBLEMS: usize = 1000;
pub struct ParsedRow {
    pub row: usize,
    pub sheet: String,
    pub input: AgencyInput,
}
pub struct Problem {
    pub row: usize,
    pub sheet: String,
    pub column: String,
    pub message: String,
}
pub struct ParsedFile {
    pub rows: Vec<ParsedRow>,
    pub scenes: Vec<SceneLink>,
    pub problems: Vec<Problem>,
    pub format: &'static str,
}
#[derive(Debug)]
pub enum ImportError {
    Empty,
    TooLarge,
    UnknownFormat,
    UnknownEncoding,
    MissingColumn(String),
    Unreadable(String),
}
impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
pub fn read_agencies(_bytes: &[u8], _filename: &str) -> Result<ParsedFile, ImportError> {
    Err(ImportError::UnknownFormat)
}
pub fn column_label(_k: &str) -> &'static str {
    ""
}
pub fn write_xlsx(_a: &[ExportAgency], _s: &[SceneLink]) -> anyhow::Result<Vec<u8>> {
    anyhow::bail!("not yet")
}
pub fn write_csv(_a: &[ExportAgency], _s: &[SceneLink], _sjis: bool) -> Result<Vec<u8>, String> {
    Err("not yet".into())
}
pub fn write_hsds(_a: &[ExportAgency], _s: &[SceneLink], _t: &str) -> serde_json::Value {
    serde_json::Value::Null
}
