//! A survey's results and answers as files, no I/O: the XLSX has the summary (each
//! option's count and percentage as numbers, n per question) and the raw answers (one
//! row an answer, one column an item); the CSV has the raw answers (UTF-8 with a BOM,
//! CRLF, a formula-like cell prefixed with `'`).

use super::answers::{other_key, Answers};
use super::def::{Definition, Kind};
use super::tally::Results;
use crate::render::xlsx::{workbook_cells, Cell, CellSheet};

/// The answers as a table: a header of 問番号 and question, a row an answer.
pub fn answer_table(def: &Definition, all: &[Answers]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut head = vec!["回答番号".to_string()];
    let mut cols: Vec<(String, bool)> = vec![];
    for (n, it) in def.items().enumerate() {
        head.push(format!("問{} {}", n + 1, super::answers::short(&it.text)));
        cols.push((it.key.clone(), false));
        if it.choices().iter().any(|c| c.other) {
            head.push(format!("問{} その他の内容", n + 1));
            cols.push((it.key.clone(), true));
        }
    }
    let rows = all
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut row = vec![(i + 1).to_string()];
            for (key, other) in &cols {
                let item = def.item(key);
                row.push(if *other {
                    a.get(&other_key(key)).map(|v| v.text()).unwrap_or_default()
                } else {
                    match (item, a.get(key)) {
                        (_, None) => String::new(),
                        (Some(it), Some(v)) if it.kind.has_options() => v
                            .keys()
                            .iter()
                            .map(|k| it.choice_label(k).unwrap_or_else(|| k.clone()))
                            .collect::<Vec<_>>()
                            .join("・"),
                        (_, Some(v)) => v.text(),
                    }
                });
            }
            row
        })
        .collect();
    (head, rows)
}

pub fn csv(def: &Definition, all: &[Answers]) -> anyhow::Result<Vec<u8>> {
    let (head, rows) = answer_table(def, all);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(&head)?;
    for r in rows {
        w.write_record(r.into_iter().map(crate::agencies::io::csv_guard))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))
}

pub fn xlsx(
    title: &str,
    def: &Definition,
    results: &Results,
    all: &[Answers],
) -> anyhow::Result<Vec<u8>> {
    let mut summary = vec![];
    for it in &results.items {
        let q = format!("問{} {}", it.number, it.text);
        if it.kind.has_options() {
            for o in &it.options {
                summary.push(vec![
                    Cell::Text(q.clone()),
                    Cell::Text(o.label.clone()),
                    Cell::Number(o.count as f64),
                    o.percent.map(Cell::Number).unwrap_or(Cell::Empty),
                    Cell::Number(it.n as f64),
                ]);
            }
        } else if let Some(v) = &it.numbers {
            for (l, x) in [
                ("最小", v.min as f64),
                ("中央値", v.median),
                ("平均", v.mean),
                ("最大", v.max as f64),
            ] {
                summary.push(vec![
                    Cell::Text(q.clone()),
                    Cell::Text(l.into()),
                    Cell::Number(x),
                    Cell::Empty,
                    Cell::Number(v.n as f64),
                ]);
            }
        } else if it.kind != Kind::Date {
            summary.push(vec![
                Cell::Text(q.clone()),
                Cell::Text("記入あり".into()),
                Cell::Number(it.answered as f64),
                Cell::Empty,
                Cell::Number(it.n as f64),
            ]);
        }
        if it.kind.has_options() || it.numbers.is_some() {
            summary.push(vec![
                Cell::Text(q),
                Cell::Text("無回答".into()),
                Cell::Number(it.no_answer as f64),
                crate::surveys::model::Cell::new(it.no_answer, it.n)
                    .percent()
                    .map(Cell::Number)
                    .unwrap_or(Cell::Empty),
                Cell::Number(it.n as f64),
            ]);
        }
    }
    let (head, rows) = answer_table(def, all);
    let raw = CellSheet {
        name: "回答".into(),
        title: format!("{title}　回答（{} 件）", all.len()),
        columns: head
            .iter()
            .map(|h| (h.clone(), if h == "回答番号" { 8.0 } else { 18.0 }))
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .enumerate()
                    .map(|(i, v)| match (i, v.parse::<f64>()) {
                        (_, _) if v.is_empty() => Cell::Empty,
                        (0, Ok(x)) => Cell::Number(x),
                        _ => Cell::Text(v),
                    })
                    .collect()
            })
            .collect(),
    };
    workbook_cells(&[
        CellSheet {
            name: "集計".into(),
            title: format!(
                "{title}　集計（回答 {} 件。割合は各問の対象者数 n に対する %）",
                results.responses
            ),
            columns: vec![
                ("質問".into(), 48.0),
                ("選択肢".into(), 32.0),
                ("件数".into(), 10.0),
                ("割合（%）".into(), 10.0),
                ("n".into(), 8.0),
            ],
            rows: summary,
        },
        raw,
    ])
}
