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
