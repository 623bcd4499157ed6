//! XLSX reading with calamine, behind zip-bomb and cell-count guards.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxError};

use super::columns::Col;
use super::detect::BAD_XLSX;
use super::table::{find_header, parse_sheets, Cell, MergeIndex, RawRow, SheetData};
use super::values::normalize_newlines;
use super::{
    ImportError, ParsedFile, MAX_CELLS, MAX_CELL_TEXT, MAX_COLS, MAX_UNZIPPED, MAX_ZIP_ENTRIES,
};

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

pub(super) fn too_many_cells() -> ImportError {
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

pub(super) fn read_xlsx(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
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
