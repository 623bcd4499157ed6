//! XLSX and CSV export of the registry, with the CP932 policy of the CSV writer.

use std::collections::HashMap;

use rust_xlsxwriter::{
    Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use super::columns::{Col, REGISTRY_COLS, ROLE_COLS, SCENE_COLS};
use super::csv::csv_guard;
use super::hsds::group_scenes;
use super::values::{export_value, format_scene_cell};
use super::{ExportAgency, SceneLink, SHEET_REGISTRY, SHEET_ROLES, SHEET_SCENES};

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
