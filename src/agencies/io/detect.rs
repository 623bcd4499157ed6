//! Format detection and text decoding: what a file is (XLSX, HSDS JSON, CSV/TSV, or
//! refused) and `read_agencies`.

use super::csv::read_csv_text;
use super::hsds::read_hsds;
use super::xlsx::read_xlsx;
use super::{ImportError, ParsedFile, MAX_BYTES};

const OLD_EXCEL: &str = "古い Excel 形式（.xls）またはパスワード付きのファイルは読み込めません。パスワードを外し、Excel ブック（.xlsx）で保存し直してください。";
pub(super) const BAD_XLSX: &str = "Excel ファイル（.xlsx）として読み込めません。ファイルが壊れている可能性があります。Excel で開いて保存し直してください。";

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
