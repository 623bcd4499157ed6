//! Small horizontal bar charts (SVG) of the survey's percentages: one row per option,
//! a bar per phase (事前 light, 事後 dark) with its value written beside it, so that the
//! chart reads in black and white too. Presentation attributes only (no `style`), every
//! text XML-escaped; the output depends on the input alone.

use std::fmt::Write as _;

use crate::render::svg::{clean, esc};

const W: f64 = 640.0;
const LABEL_W: f64 = 230.0;
const BAR_X: f64 = 246.0;
const BAR_MAX: f64 = 320.0;
const BAR_H: f64 = 14.0;
const FONT: &str = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif";
const INK: &str = "#1B1F24";
const GRID: &str = "#C9D0D7";
/// (fill, stroke) per series: 事前, 事後.
const SERIES: [(&str, &str); 2] = [("#A9C4E0", "#1F5F8B"), ("#1F5F8B", "#164566")];
const LINE_CHARS: usize = 17;

/// One row: its label and a percentage (0–100) per series (None: not asked).
pub struct Row {
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// The label in lines of at most LINE_CHARS, broken after 」、・） or before 「（ when
/// one falls in the second half of a line; at most three lines.
fn lines(label: &str) -> Vec<String> {
    let chars: Vec<char> = clean(label).chars().collect();
    let mut out: Vec<String> = vec![];
    let mut start = 0;
    while start < chars.len() {
        let mut end = (start + LINE_CHARS).min(chars.len());
        if end < chars.len() {
            if let Some(b) = (start + LINE_CHARS / 2 + 1..=end).rev().find(|&i| {
                matches!(chars[i - 1], '」' | '、' | '・' | '）') || matches!(chars[i], '「' | '（')
            }) {
                end = b;
            }
        }
        out.push(chars[start..end].iter().collect());
        start = end;
    }
    if out.len() > 3 {
        out.truncate(3);
        if let Some(last) = out.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

fn num(v: f64) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches(".0").to_string()
}

/// The chart as an `<svg>` element to place in a page (role="img", a summary as its
/// accessible name, every value in `<desc>`).
pub fn bars(title: &str, series: &[&str], rows: &[Row]) -> String {
    let used: Vec<usize> = (0..series.len())
        .filter(|i| {
            rows.iter()
                .any(|r| r.values.get(*i).copied().flatten().is_some())
        })
        .collect();
    let per_row: Vec<(Vec<String>, f64)> = rows
        .iter()
        .map(|r| {
            let l = lines(&r.label);
            let h = (l.len() as f64 * 15.0).max(used.len().max(1) as f64 * (BAR_H + 3.0)) + 12.0;
            (l, h)
        })
        .collect();
    let top = 44.0;
    let height = top + per_row.iter().map(|x| x.1).sum::<f64>() + 22.0;
    let title = clean(title);
    let mut desc = vec![];
    for r in rows {
        let vals: Vec<String> = used
            .iter()
            .filter_map(|i| {
                r.values
                    .get(*i)
                    .copied()
                    .flatten()
                    .map(|v| format!("{} {}%", series[*i], num(v)))
            })
            .collect();
        desc.push(format!("{}：{}", clean(&r.label), vals.join("、")));
    }
    let mut s = String::with_capacity(4096);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\" role=\"img\" aria-label=\"{}のグラフ（回答者に占める割合）\" class=\"survey-chart\" font-family=\"{}\">",
        esc(&title),
        esc(FONT)
    );
    let _ = write!(
        s,
        "<title>{}</title><desc>{}</desc><rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{height}\" fill=\"#FFFFFF\"/>",
        esc(&title),
        esc(&desc.join("。"))
    );
    // Legend.
    let mut x = BAR_X;
    for i in &used {
        let (fill, stroke) = SERIES[*i % SERIES.len()];
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"10\" width=\"14\" height=\"12\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{}\" y=\"20.5\" font-size=\"12\" fill=\"{INK}\">{}</text>",
            x + 19.0,
            esc(series[*i])
        );
        x += 90.0;
    }
    // Scale: 0, 50, 100%.
    let bottom = height - 22.0;
    for (k, v) in [0.0, 50.0, 100.0].iter().enumerate() {
        let gx = BAR_X + BAR_MAX * v / 100.0;
        let _ = write!(
            s,
            "<line x1=\"{gx}\" y1=\"{}\" x2=\"{gx}\" y2=\"{bottom}\" stroke=\"{GRID}\" stroke-width=\"1\"/><text x=\"{gx}\" y=\"{}\" font-size=\"10.5\" text-anchor=\"{}\" fill=\"{INK}\">{}%</text>",
            top - 6.0,
            bottom + 14.0,
            if k == 0 { "start" } else { "middle" },
            num(*v)
        );
    }
    let mut y = top;
    for (r, (label, h)) in rows.iter().zip(&per_row) {
        let ly = y + (h - label.len() as f64 * 15.0) / 2.0 + 11.0;
        for (j, l) in label.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"{INK}\">{}</text>",
                LABEL_W + 6.0,
                ly + j as f64 * 15.0,
                esc(l)
            );
        }
        let bars_h = used.len() as f64 * (BAR_H + 3.0) - 3.0;
        let mut by = y + (h - bars_h) / 2.0;
        for i in &used {
            let (fill, stroke) = SERIES[*i % SERIES.len()];
            if let Some(v) = r.values.get(*i).copied().flatten() {
                let v = if v.is_finite() {
                    v.clamp(0.0, 100.0)
                } else {
                    0.0
                };
                let bw = BAR_MAX * v / 100.0;
                let _ = write!(
                    s,
                    "<rect x=\"{BAR_X}\" y=\"{by:.1}\" width=\"{bw:.1}\" height=\"{BAR_H}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{INK}\">{}%</text>",
                    BAR_X + bw + 5.0,
                    by + 11.0,
                    num(v)
                );
            }
            by += BAR_H + 3.0;
        }
        y += h;
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_both_phases_and_escapes() {
        let svg = bars(
            "連携のハードル <&>",
            &["事前", "事後"],
            &[
                Row {
                    label: "感じている".into(),
                    values: vec![Some(29.2), Some(0.0)],
                },
                Row {
                    label: "困りごとの内容に応じて、相談先の候補をイメージできる".into(),
                    values: vec![None, Some(62.5)],
                },
            ],
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("&lt;&amp;&gt;") && !svg.contains("<&>"));
        assert!(svg.contains(">29.2%<") && svg.contains(">62.5%<") && svg.contains(">0%<"));
        assert!(!svg.contains("style="));
        assert!(svg.contains("感じている：事前 29.2%、事後 0%"));
    }

    #[test]
    fn labels_break_at_brackets() {
        assert_eq!(
            lines("役割分担を「理解していなかった」「あまり理解していなかった」"),
            [
                "役割分担を「理解していなかった」",
                "「あまり理解していなかった」"
            ]
        );
        assert_eq!(lines("感じている"), ["感じている"]);
        assert_eq!(lines(&"あ".repeat(60)).len(), 3);
    }
}
