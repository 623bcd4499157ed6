//! The statistics as files: XLSX (one sheet a table, Japanese headers, numbers as
//! numbers) and CSV (UTF-8 with BOM so that Excel opens it; one line a figure).

use super::model::{Activity, Table};
use crate::render::xlsx::{workbook_cells, Cell, CellSheet};

/// Sheet names must be unique, ≤ 31 characters and free of []:*?/\.
fn sheet_name(i: usize, t: &Table) -> String {
    let clean: String = t
        .title
        .chars()
        .filter(|c| !"[]:*?/\\（）".contains(*c))
        .take(24)
        .collect();
    format!("{} {}", i + 1, clean.split('（').next().unwrap_or(&clean))
}

pub fn xlsx(a: &Activity) -> anyhow::Result<Vec<u8>> {
    let now = a.period_label.clone();
    let before = a.previous_label.clone();
    let sheets: Vec<CellSheet> = a
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| CellSheet {
            name: sheet_name(i, t),
            title: format!(
                "{}　{}{}",
                t.title,
                a.period_label,
                a.contract_name
                    .as_deref()
                    .map(|c| format!("（委託先: {c}）"))
                    .unwrap_or_default()
            ),
            columns: vec![
                ("項目".into(), 44.0),
                (now.clone(), 16.0),
                (before.clone(), 16.0),
            ],
            rows: t
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.label.clone()),
                        r.value.map(Cell::Number).unwrap_or(Cell::Empty),
                        r.previous.map(Cell::Number).unwrap_or(Cell::Empty),
                    ]
                })
                .collect(),
        })
        .collect();
    workbook_cells(&sheets)
}

fn csv_field(s: &str) -> String {
    // A leading =, +, - or @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn num(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(x) if (x - x.round()).abs() < 1e-9 => format!("{}", x.round() as i64),
        Some(x) => format!("{x}"),
    }
}

pub fn csv(a: &Activity) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(&format!(
        "表,項目,{},{}\r\n",
        csv_field(&a.period_label),
        csv_field(&a.previous_label)
    ));
    for t in &a.tables {
        for r in &t.rows {
            out.push_str(&format!(
                "{},{},{},{}\r\n",
                csv_field(t.title),
                csv_field(&r.label),
                num(r.value),
                num(r.previous)
            ));
        }
    }
    out.into_bytes()
}
