//! Small Excel workbooks of tables (member lists, minutes): Japanese headers in bold,
//! column widths, frozen header row, every value written as text (never a formula).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

pub struct Sheet<'a> {
    pub name: &'a str,
    /// (header, column width in characters)
    pub columns: &'a [(&'a str, f64)],
    pub rows: Vec<Vec<String>>,
}

pub fn workbook(sheets: &[Sheet]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE7F0))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (i, (label, width)) in s.columns.iter().enumerate() {
            let c = u16::try_from(i)?;
            ws.write_string_with_format(0, c, *label, &header)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in s.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string_with_format(
                        u32::try_from(r + 1)?,
                        u16::try_from(c)?,
                        v,
                        &cell,
                    )?;
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// A cell of a figures sheet: numbers stay numbers (so that Excel can add them up).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// A sheet of figures: a title line, a header row, then rows of cells.
pub struct CellSheet {
    pub name: String,
    pub title: String,
    /// (header, column width in characters)
    pub columns: Vec<(String, f64)>,
    pub rows: Vec<Vec<Cell>>,
}

/// Workbook of figures sheets: the title in bold in A1, headers on row 3 (frozen
/// below), text never written as a formula, whole numbers without decimals.
pub fn workbook_cells(sheets: &[CellSheet]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(12);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE7F0))
        .set_border(FormatBorder::Thin)
        .set_text_wrap();
    let text = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let whole = Format::new().set_num_format("#,##0");
    let decimal = Format::new().set_num_format("#,##0.0");
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.name)?;
        ws.write_string_with_format(0, 0, &s.title, &title)?;
        for (i, (label, width)) in s.columns.iter().enumerate() {
            let c = u16::try_from(i)?;
            ws.write_string_with_format(2, c, label, &header)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_freeze_panes(3, 0)?;
        for (r, row) in s.rows.iter().enumerate() {
            let r = u32::try_from(r + 3)?;
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c)?;
                match v {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        ws.write_string_with_format(r, c, t, &text)?;
                    }
                    Cell::Number(x) => {
                        let f = if (x - x.round()).abs() < 1e-9 {
                            &whole
                        } else {
                            &decimal
                        };
                        ws.write_number_with_format(r, c, *x, f)?;
                    }
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_zip_with_text_cells() {
        let bytes = workbook(&[Sheet {
            name: "構成員",
            columns: &[("氏名", 12.0), ("所属", 20.0)],
            rows: vec![vec!["=1+1".into(), "デモ病院".into()]],
        }])
        .unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
