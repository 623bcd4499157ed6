//! CSV/TSV reading: a small RFC 4180 reader whose row numbers are Excel's, the delimiter
//! choice, and the formula guard.

use super::columns::Col;
use super::table::{find_header, parse_sheets, Cell, MergeIndex, RawRow, SheetData};
use super::values::normalize_newlines;
use super::xlsx::too_many_cells;
use super::{ImportError, ParsedFile, MAX_CELLS, MAX_COLS};

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

pub(super) fn csv_cell(raw: &str) -> Option<Cell> {
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

pub(super) fn read_csv_text(text: &str, format: &'static str) -> Result<ParsedFile, ImportError> {
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
