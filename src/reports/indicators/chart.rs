//! A measure over time as a line chart (SVG, placed in the page): one point a period,
//! the baseline and the target as dashed lines, every value also in the chart's
//! `<desc>` and in the table beside it. Periods without a value (too few children or
//! records) leave a gap.

use std::fmt::Write;

use super::model::Series;
use crate::render::svg::{esc, num, truncate_em};

const W: f64 = 560.0;
const H: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 44.0;
const FONT: &str = "Noto Sans CJK JP, Noto Sans JP, sans-serif";

fn show(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{:.1}", v)
    }
}

pub fn line(s: &Series) -> String {
    let values: Vec<f64> = s
        .points
        .iter()
        .filter_map(|p| p.value)
        .chain(s.baseline)
        .chain(s.target)
        .collect();
    let max = values.iter().copied().fold(0.0f64, f64::max).max(1.0) * 1.1;
    let n = s.points.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| TOP + plot_h * (1.0 - v / max);
    let unit = s.unit;
    let mut desc: Vec<String> = s
        .points
        .iter()
        .map(|p| match p.value {
            Some(v) => format!("{} {}{unit}", p.label, show(v)),
            None => format!("{} 数が少ないため示しません", p.label),
        })
        .collect();
    if let Some(b) = s.baseline {
        desc.push(format!("基準値 {}{unit}", show(b)));
    }
    if let Some(t) = s.target {
        desc.push(format!("目標 {}{unit}", show(t)));
    }
    let mut o = String::with_capacity(2048);
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}の推移\" class=\"stats-chart\" font-family=\"{FONT}\"><title>{}の推移</title><desc>{}</desc>",
        esc(s.label),
        esc(s.label),
        esc(&desc.join("。"))
    );
    // Axis and grid: 0 and the top value.
    for v in [0.0, max / 2.0, max / 1.1] {
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#D5DBE1\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#1F2933\">{}</text>",
            W - RIGHT,
            num(y(v)),
            num(y(v)),
            LEFT - 6.0,
            num(y(v) + 4.0),
            esc(&show((v * 10.0).round() / 10.0))
        );
    }
    for (v, label, color) in [
        (s.baseline, "基準値", "#8A5A00"),
        (s.target, "目標", "#1E6B3A"),
    ] {
        if let Some(v) = v {
            let _ = write!(
                o,
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{color}\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"{color}\">{label} {}</text>",
                W - RIGHT,
                num(y(v)),
                num(y(v)),
                W - RIGHT,
                num(y(v) - 4.0),
                esc(&show(v))
            );
        }
    }
    // The line, broken where a period has no value.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, p) in s.points.iter().enumerate() {
        match p.value {
            Some(v) => {
                let _ = write!(
                    path,
                    "{}{} {} ",
                    if pen_down { "L" } else { "M" },
                    num(x(i)),
                    num(y(v))
                );
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        let _ = write!(
            o,
            "<path d=\"{}\" fill=\"none\" stroke=\"#2B5F8A\" stroke-width=\"2.5\"/>",
            path.trim_end()
        );
    }
    for (i, p) in s.points.iter().enumerate() {
        if let Some(v) = p.value {
            let _ = write!(
                o,
                "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"#2B5F8A\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1F2933\">{}</text>",
                num(x(i)),
                num(y(v)),
                num(x(i)),
                num(y(v) - 8.0),
                esc(&show(v))
            );
        }
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1F2933\">{}</text>",
            num(x(i)),
            num(H - BOTTOM + 16.0),
            esc(&truncate_em(&p.label, 6.5))
        );
    }
    o.push_str("</svg>");
    o
}
