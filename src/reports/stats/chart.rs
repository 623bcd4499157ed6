//! A table of the statistics as a horizontal bar chart (SVG, placed in the page): this
//! period's value as a bar, the period before as a thin grey bar beneath, every value
//! also in the chart's `<desc>` and in the table beside it.

use std::fmt::Write;

use super::model::{fmt, Table};
use crate::render::svg::{esc, num, truncate_em};

const W: f64 = 560.0;
const LABEL_W: f64 = 190.0;
const ROW_H: f64 = 30.0;
const FONT: &str = "Noto Sans CJK JP, Noto Sans JP, sans-serif";

pub fn bars(t: &Table, now: &str, before: &str) -> String {
    let max = t
        .rows
        .iter()
        .flat_map(|r| [r.value, r.previous])
        .flatten()
        .fold(0.0f64, f64::max)
        .max(1.0);
    let top = 28.0;
    let height = top + ROW_H * t.rows.len() as f64 + 8.0;
    let bar_w = W - LABEL_W - 60.0;
    let desc: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            format!(
                "{}：{} {}、{} {}",
                r.label,
                now,
                fmt(r.value),
                before,
                fmt(r.previous)
            )
        })
        .collect();
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\" role=\"img\" aria-label=\"{}のグラフ\" class=\"stats-chart\" font-family=\"{FONT}\"><title>{}</title><desc>{}</desc>",
        esc(t.title),
        esc(t.title),
        esc(&desc.join("。"))
    );
    let _ = write!(
        s,
        "<rect x=\"{LABEL_W}\" y=\"8\" width=\"12\" height=\"10\" fill=\"#2B5F8A\"/><text x=\"{}\" y=\"17\" font-size=\"11\" fill=\"#1F2933\">{}</text><rect x=\"{}\" y=\"10\" width=\"12\" height=\"6\" fill=\"#A7B1BA\"/><text x=\"{}\" y=\"17\" font-size=\"11\" fill=\"#1F2933\">{}</text>",
        LABEL_W + 16.0,
        esc(now),
        LABEL_W + 150.0,
        LABEL_W + 166.0,
        esc(before)
    );
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + ROW_H * i as f64;
        let v = r.value.unwrap_or(0.0);
        let p = r.previous.unwrap_or(0.0);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1F2933\">{}</text><rect x=\"{LABEL_W}\" y=\"{}\" width=\"{}\" height=\"13\" fill=\"#2B5F8A\"/><rect x=\"{LABEL_W}\" y=\"{}\" width=\"{}\" height=\"6\" fill=\"#A7B1BA\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#1F2933\">{}</text>",
            LABEL_W - 6.0,
            num(y + 14.0),
            esc(&truncate_em(&r.label, 15.0)),
            num(y + 3.0),
            num(bar_w * v / max),
            num(y + 18.0),
            num(bar_w * p / max),
            num(LABEL_W + bar_w * v / max + 4.0),
            num(y + 14.0),
            esc(&fmt(r.value))
        );
    }
    s.push_str("</svg>");
    s
}
