//! `read_agencies` on workbooks: raw bytes behind a zip signature (zip and XML
//! layers), and real workbooks whose cells, formulas and merged cells come from the
//! input (sheet classification, headers, merges, role/scene sheets). Never panics.
//!
//!     cargo fuzz run -s none read_xlsx -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::{Format, Workbook};
use yorube::agencies::io::read_agencies;

const HEADERS: [&str; 4] = [
    "分野\t関係機関名\tふりがな\t所在地\t関係機関の概要\t新規の関係機関\t対象疾患群\t対象年齢\t窓口となる担当者の連絡先",
    "分野\t関係機関名\t所在地\t実施している支援内容\t強み\t窓口となる担当者の連絡先",
    "連携場面\t関係機関名\t所在地\t連携方法\t連携内容",
    "",
];

/// Sheets are separated by '§', rows by '\n', cells by '\t'. A cell starting with
/// '=' is a formula, one that parses as a number is a number, one starting with '^'
/// is merged with the cell below.
fn workbook(data: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(data);
    let with_headers = data.first().is_some_and(|b| b % 2 == 0);
    let mut wb = Workbook::new();
    let plain = Format::new();
    for (si, sheet) in text.split('§').take(4).enumerate() {
        let ws = wb.add_worksheet();
        let header = if with_headers {
            HEADERS[si % HEADERS.len()]
        } else {
            ""
        };
        let body = format!("{header}\n{sheet}");
        for (r, line) in body.split('\n').take(300).enumerate() {
            let r = r as u32;
            for (c, cell) in line.split('\t').take(40).enumerate() {
                let c = c as u16;
                if cell.is_empty() {
                    continue;
                }
                let _ = if let Some(rest) = cell.strip_prefix('^') {
                    ws.merge_range(r, c, r + 1, c, rest, &plain).map(|_| ())
                } else if cell.starts_with('=') {
                    ws.write_formula(r, c, cell).map(|_| ())
                } else if let Ok(n) = cell.parse::<f64>() {
                    ws.write_number(r, c, n).map(|_| ())
                } else {
                    ws.write_string(r, c, cell).map(|_| ())
                };
            }
        }
    }
    wb.save_to_buffer().ok()
}

fuzz_target!(|data: &[u8]| {
    let mut raw = b"PK\x03\x04".to_vec();
    raw.extend_from_slice(data);
    let _ = read_agencies(&raw, "fuzz.xlsx");
    if let Some(bytes) = workbook(data) {
        let _ = read_agencies(&bytes, "fuzz.xlsx");
    }
});
