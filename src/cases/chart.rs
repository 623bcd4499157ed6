//! 一つの指標（欠席日数・入院日数など）の推移を表す小さな SVG 折れ線グラフ。
//!
//! * 軸・目盛線・点の値・横軸の見出し（多いときは斜めにし、さらに多いときは間引く）。
//! * ルート要素に `role="img"` と要約の `aria-label`（例：「欠席日数の推移：12日 → 3日」）、
//!   `<desc>` にすべての値を列挙する。
//! * 利用者の入力はすべて XML エスケープする。`style` 属性・スクリプト・外部参照は使わない。
//! * 値が有限でない点（NaN など）は「記録なし」として線を途切れさせる。
//! * 出力は入力だけで決まる。

use crate::render::svg::{clean, esc, num as f, text_em, truncate_em};
use std::fmt::Write as _;

/// 横軸一つ分の値。
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Point {
    /// 横軸の見出し（例：「R7 1学期」「2025-06」）。
    pub label: String,
    pub value: f64,
}

const W: f64 = 640.0;
const H: f64 = 320.0;
const FONT_FAMILY: &str = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif";
const INK: &str = "#1F2328";
const INK_SUB: &str = "#4A5058";
const GRID: &str = "#E3E7EB";
const AXIS: &str = "#8A929B";
const SERIES: &str = "#2F6DB5";
const SERIES_FILL: &str = "#2F6DB5";
const TICK_FONT: f64 = 11.0;
const VALUE_FONT: f64 = 11.5;

/// 折れ線グラフを SVG 文字列で返す。
///
/// * `unit` は値の後ろに付ける単位（例：「日」「%」。空でもよい）。
/// * `y_min` は縦軸の下端。`y_max` が `None` なら値に合わせて切りのよい上端を選ぶ。
pub fn line_chart(
    title: &str,
    unit: &str,
    points: &[Point],
    y_min: f64,
    y_max: Option<f64>,
) -> String {
    let title = clean(title);
    let title = if title.is_empty() {
        "記録".to_string()
    } else {
        title
    };
    let unit = clean(unit);
    let pts: Vec<(String, Option<f64>)> = points
        .iter()
        .map(|p| {
            (
                clean(&p.label),
                if p.value.is_finite() {
                    Some(p.value)
                } else {
                    None
                },
            )
        })
        .collect();
    let finite: Vec<f64> = pts.iter().filter_map(|p| p.1).collect();

    let with_unit = |v: f64| format!("{}{}", num(v), unit);
    let summary = match finite.len() {
        0 => format!("{title}：記録がありません"),
        1 => {
            let (label, v) = pts
                .iter()
                .find_map(|(l, v)| v.map(|v| (l.clone(), v)))
                .unwrap_or_default();
            if label.is_empty() {
                format!("{title}：{}", with_unit(v))
            } else {
                format!("{title}：{}（{label}）", with_unit(v))
            }
        }
        _ => format!(
            "{title}の推移：{} → {}",
            with_unit(finite[0]),
            with_unit(finite[finite.len() - 1])
        ),
    };

    let mut s = String::with_capacity(8_192 + pts.len() * 400);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{}\" class=\"chart\" font-family=\"{}\">",
        f(W),
        f(H),
        esc(&summary),
        esc(FONT_FAMILY)
    );
    let _ = write!(s, "<title>{}</title>", esc(&title));
    let desc = if pts.is_empty() {
        "記録がありません。".to_string()
    } else {
        let items: Vec<String> = pts
            .iter()
            .enumerate()
            .map(|(i, (l, v))| {
                let l = if l.is_empty() {
                    format!("{}番目", i + 1)
                } else {
                    l.clone()
                };
                match v {
                    Some(v) => format!("{l}：{}", with_unit(*v)),
                    None => format!("{l}：記録なし"),
                }
            })
            .collect();
        format!("{summary}。{}。", items.join("、"))
    };
    let _ = write!(s, "<desc>{}</desc>", esc(&desc));
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>",
        f(W),
        f(H)
    );
    let _ = write!(
        s,
        "<text x=\"20\" y=\"30\" font-size=\"16\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        esc(&truncate_em(&title, (W - 40.0) / 16.0))
    );

    // 縦軸の範囲と目盛
    let data_max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y_min = if y_min.is_finite() { y_min } else { 0.0 };
    let (lo, hi, step) = y_scale(y_min, y_max.filter(|v| v.is_finite()), data_max);
    let ticks: Vec<f64> = {
        let mut t = Vec::new();
        let count = ((hi - lo) / step + 1e-6).floor() as usize;
        for k in 0..=count.min(20) {
            t.push(lo + step * k as f64);
        }
        t
    };
    let tick_labels: Vec<String> = ticks.iter().map(|t| num_step(*t, step)).collect();
    let tick_w = tick_labels.iter().map(|t| text_em(t)).fold(0.0, f64::max) * TICK_FONT;

    // 横軸の見出しの向きと間引き
    let n = pts.len();
    let right = W - 28.0;
    let geometry = |left: f64| -> (f64, f64, f64) {
        let plot_w = right - left;
        let pad = if n <= 1 {
            0.0
        } else {
            (plot_w / (n as f64 - 1.0) / 2.0).min(28.0)
        };
        let slot = if n <= 1 {
            plot_w
        } else {
            (plot_w - 2.0 * pad) / (n as f64 - 1.0)
        };
        (plot_w, pad, slot)
    };
    let mut left = (20.0 + tick_w + 10.0).max(52.0);
    let (_, _, slot0) = geometry(left);
    let max_label_em = pts.iter().map(|p| text_em(&p.0)).fold(0.0, f64::max);
    let horizontal = n <= 12 && max_label_em * TICK_FONT <= slot0 - 8.0;
    let rotated_em = 9.0f64.min(max_label_em);
    let angle = 40.0f64;
    if !horizontal && n > 0 {
        // 斜めの見出しの左端が描画範囲からはみ出さないよう、左の余白を広げる
        let (_, pad, _) = geometry(left);
        let reach = rotated_em * TICK_FONT * angle.to_radians().cos() - 4.0;
        let first_x = left + pad;
        if first_x - reach < 8.0 {
            left += 8.0 - (first_x - reach);
        }
    }
    let (plot_w, pad, slot) = geometry(left);
    let every = if horizontal || n == 0 {
        1
    } else {
        let fit = (plot_w / 17.0).floor().max(1.0) as usize;
        n.div_ceil(fit).max(1)
    };
    let bottom_room = if horizontal || n == 0 {
        34.0
    } else {
        18.0 + rotated_em * TICK_FONT * angle.to_radians().sin()
            + TICK_FONT * angle.to_radians().cos()
    };
    let top = 64.0;
    let bottom = H - bottom_room;
    let plot_h = bottom - top;
    let x_at = |i: usize| -> f64 {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + pad + slot * i as f64
        }
    };
    let y_at = |v: f64| -> f64 { bottom - (v.clamp(lo, hi) - lo) / (hi - lo) * plot_h };

    // 目盛線と縦軸の数値
    s.push_str("<g>");
    for (t, label) in ticks.iter().zip(tick_labels.iter()) {
        let y = y_at(*t);
        let label = if finite.is_empty() {
            ""
        } else {
            label.as_str()
        };
        if (*t - lo).abs() > step * 1e-6 {
            let _ = write!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{GRID}\" stroke-width=\"1\"/>",
                f(left),
                f(y),
                f(right),
                f(y)
            );
        }
        if !label.is_empty() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"{}\" fill=\"{INK_SUB}\">{}</text>",
                f(left - 8.0),
                f(y + TICK_FONT * 0.36),
                f(TICK_FONT),
                esc(label)
            );
        }
    }
    s.push_str("</g>");
    if !unit.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"{}\" fill=\"{INK_SUB}\">{}</text>",
            f(left - 8.0),
            f(top - 16.0),
            f(TICK_FONT),
            esc(&format!("（{}）", truncate_em(&unit, 6.0)))
        );
    }
    // 軸
    let _ = write!(
        s,
        "<g stroke=\"{AXIS}\" stroke-width=\"1.2\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/></g>",
        f(left),
        f(top - 6.0),
        f(left),
        f(bottom),
        f(left),
        f(bottom),
        f(right),
        f(bottom)
    );

    if finite.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15\" fill=\"{INK_SUB}\">記録がありません</text>",
            f(left + plot_w / 2.0),
            f(top + plot_h / 2.0 + 5.0)
        );
    }

    // 横軸の見出し
    if n > 0 {
        s.push_str("<g>");
        for (i, (label, _)) in pts.iter().enumerate() {
            let show = i % every == 0 || (i == n - 1 && (n - 1) % every > every / 2) || every == 1;
            if !show || label.is_empty() {
                continue;
            }
            let x = x_at(i);
            if horizontal {
                let _ = write!(
                    s,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{AXIS}\" stroke-width=\"1\"/>",
                    f(x),
                    f(bottom),
                    f(x),
                    f(bottom + 4.0)
                );
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" fill=\"{INK_SUB}\">{}</text>",
                    f(x),
                    f(bottom + 19.0),
                    f(TICK_FONT),
                    esc(&truncate_em(label, (slot - 8.0).max(plot_w.min(160.0)) / TICK_FONT))
                );
            } else {
                let ty = bottom + 14.0;
                let _ = write!(
                    s,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{AXIS}\" stroke-width=\"1\"/>",
                    f(x),
                    f(bottom),
                    f(x),
                    f(bottom + 4.0)
                );
                let _ = write!(
                    s,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"{}\" fill=\"{INK_SUB}\" transform=\"rotate(-{} {} {})\">{}</text>",
                    f(x + 4.0),
                    f(ty),
                    f(TICK_FONT),
                    f(angle),
                    f(x + 4.0),
                    f(ty),
                    esc(&truncate_em(label, 9.0))
                );
            }
        }
        s.push_str("</g>");
    }

    // 折れ線（記録なしの点で途切れる）と塗り
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (i, (_, v)) in pts.iter().enumerate() {
        match v {
            Some(v) => cur.push((x_at(i), y_at(*v))),
            None => {
                if !cur.is_empty() {
                    segments.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        segments.push(cur);
    }
    for seg in segments.iter().filter(|s| s.len() >= 2) {
        let mut d = String::new();
        for (x, y) in seg {
            let _ = write!(d, "{},{} ", f(*x), f(*y));
        }
        let area = format!(
            "{}{},{} {},{}",
            d,
            f(seg[seg.len() - 1].0),
            f(bottom),
            f(seg[0].0),
            f(bottom)
        );
        let _ = write!(
            s,
            "<polygon points=\"{area}\" fill=\"{SERIES_FILL}\" fill-opacity=\"0.08\"/>"
        );
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{SERIES}\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
            d.trim_end()
        );
    }

    // 点と値
    let value_labels: Vec<String> = pts
        .iter()
        .map(|(_, v)| v.map(with_unit).unwrap_or_default())
        .collect();
    let widest = value_labels.iter().map(|l| text_em(l)).fold(0.0, f64::max) * VALUE_FONT;
    let all_values = n <= 16 && (n <= 1 || widest + 4.0 <= slot);
    let (imax, imin) = extreme_indices(&pts);
    let last_finite = pts.iter().rposition(|p| p.1.is_some());
    let first_finite = pts.iter().position(|p| p.1.is_some());
    s.push_str("<g text-anchor=\"middle\">");
    for (i, (label, v)) in pts.iter().enumerate() {
        let Some(v) = *v else { continue };
        let (x, y) = (x_at(i), y_at(v));
        let is_last = Some(i) == last_finite;
        let _ = write!(
            s,
            "<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{}\" stroke=\"{SERIES}\" stroke-width=\"2.2\"><title>{}</title></circle>",
            f(x),
            f(y),
            if is_last { SERIES } else { "#FFFFFF" },
            esc(&if label.is_empty() { with_unit(v) } else { format!("{label}：{}", with_unit(v)) })
        );
        let show =
            all_values || Some(i) == first_finite || is_last || Some(i) == imax || Some(i) == imin;
        if !show {
            continue;
        }
        // 前後の点より低い（谷）なら下に、それ以外は上に書く
        let neighbours: Vec<f64> = [i.checked_sub(1), Some(i + 1)]
            .iter()
            .flatten()
            .filter_map(|&j| pts.get(j).and_then(|p| p.1))
            .collect();
        let valley = !neighbours.is_empty() && neighbours.iter().all(|&u| u > v);
        let below = valley && y + 22.0 < bottom;
        let ty = if below { y + 19.0 } else { y - 10.0 };
        // 軸や右端にかからないよう横位置を寄せる
        let half = text_em(&value_labels[i]) * VALUE_FONT / 2.0;
        let tx = x.clamp(left + 3.0 + half, (W - 4.0 - half).max(left + 3.0 + half));
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
            f(tx),
            f(ty),
            f(VALUE_FONT),
            esc(&value_labels[i])
        );
    }
    s.push_str("</g></svg>");
    s
}

fn extreme_indices(pts: &[(String, Option<f64>)]) -> (Option<usize>, Option<usize>) {
    let mut imax: Option<usize> = None;
    let mut imin: Option<usize> = None;
    for (i, p) in pts.iter().enumerate() {
        if let Some(v) = p.1 {
            if imax
                .map(|j| v > pts[j].1.unwrap_or(f64::NEG_INFINITY))
                .unwrap_or(true)
            {
                imax = Some(i);
            }
            if imin
                .map(|j| v < pts[j].1.unwrap_or(f64::INFINITY))
                .unwrap_or(true)
            {
                imin = Some(i);
            }
        }
    }
    (imax, imin)
}

/// 縦軸の (下端, 上端, 目盛の間隔)。
fn y_scale(y_min: f64, y_max: Option<f64>, data_max: f64) -> (f64, f64, f64) {
    let lo = y_min;
    match y_max {
        Some(hi) if hi > lo => {
            let step = nice_step((hi - lo) / 5.0);
            (lo, hi, step)
        }
        _ => {
            if !(data_max.is_finite() && data_max > lo) {
                // 値がない・すべて下端以下：0〜5 の目盛にしておく
                return (lo, lo + 5.0, 1.0);
            }
            let range = data_max - lo;
            let mut step = nice_step(range / 6.0);
            // 値が整数っぽいのに目盛が細かすぎる場合は 1 に
            if step < 1.0 && range >= 3.0 {
                step = 1.0;
            }
            // 最大値の上に少しゆとりを残す
            let hi = lo + ((range * 1.04) / step - 1e-9).ceil().max(1.0) * step;
            (lo, hi, step)
        }
    }
}

fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// 値の書式：整数なら桁区切り付き、それ以外は小数第 2 位まで（末尾の 0 は省く）。
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() && r.abs() < 1e15 {
        crate::text::group_digits(r as i64)
    } else {
        let s = format!("{r:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        // 整数部に桁区切り
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let neg = int.starts_with('-');
        let digits: i64 = int.trim_start_matches('-').parse().unwrap_or(0);
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        out.push_str(&crate::text::group_digits(digits));
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out
    }
}

/// 目盛の数値：間隔に合わせた桁数で。
fn num_step(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else if (step * 10.0 - (step * 10.0).round()).abs() < 1e-9 {
        1
    } else {
        2
    };
    if decimals == 0 {
        num(v.round())
    } else {
        let s = format!("{v:.decimals$}");
        if s.starts_with("-0") && s.trim_start_matches(['-', '0', '.']).is_empty() {
            s[1..].to_string()
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::svg_check::check_xml;

    fn p(label: &str, value: f64) -> Point {
        Point {
            label: label.into(),
            value,
        }
    }

    fn assert_safe(svg: &str) {
        check_xml(svg).unwrap_or_else(|e| panic!("invalid XML: {e}\n{svg}"));
        // Charts have no comments, hexadecimal character references or prefixed tags.
        assert!(!svg.contains("<!--") && !svg.contains("&#x"));
        assert!(svg.split('<').skip(1).all(|t| !t
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or("")
            .contains(':')));
        assert!(!svg.contains("style="));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(svg.matches("http").count(), 1);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<desc>"));
    }

    /// 数値座標がすべて描画範囲に収まる（軸見出しの回転を除く）。
    fn numbers_in_range(svg: &str) {
        for attr in [
            " x=\"", " y=\"", " cx=\"", " cy=\"", " x1=\"", " y1=\"", " x2=\"", " y2=\"",
        ] {
            for part in svg.split(attr).skip(1) {
                let v: f64 = part[..part.find('"').unwrap()].parse().unwrap();
                assert!((-1.0..=W + 1.0).contains(&v), "{attr}{v}");
            }
        }
    }

    pub(super) fn absences() -> Vec<Point> {
        vec![
            p("R6 1学期", 12.0),
            p("R6 2学期", 9.0),
            p("R6 3学期", 10.0),
            p("R7 1学期", 6.0),
            p("R7 2学期", 4.0),
            p("R7 3学期", 3.0),
        ]
    }

    #[test]
    fn many_points() {
        let svg = line_chart("欠席日数", "日", &absences(), 0.0, None);
        assert_safe(&svg);
        numbers_in_range(&svg);
        assert!(svg.contains("aria-label=\"欠席日数の推移：12日 → 3日\""));
        assert!(svg.contains("R6 1学期：12日、R6 2学期：9日"));
        assert_eq!(svg.matches("<circle").count(), 6);
        assert!(svg.contains(">12日<") && svg.contains(">3日<"));
        assert!(svg.contains("<polyline"));
    }

    #[test]
    fn zero_points() {
        let svg = line_chart("入院日数", "日", &[], 0.0, None);
        assert_safe(&svg);
        assert!(svg.contains("記録がありません"));
        assert!(svg.contains("aria-label=\"入院日数：記録がありません\""));
        assert!(!svg.contains("<circle") && !svg.contains("<polyline"));
    }

    #[test]
    fn one_point() {
        let svg = line_chart("HbA1c", "%", &[p("2025-06", 7.4)], 0.0, Some(12.0));
        assert_safe(&svg);
        numbers_in_range(&svg);
        assert!(svg.contains("aria-label=\"HbA1c：7.4%（2025-06）\""));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains(">7.4%<"));
    }

    #[test]
    fn many_labels_are_rotated_and_thinned() {
        let pts: Vec<Point> = (0..36)
            .map(|i| {
                p(
                    &format!("{}-{:02}", 2023 + i / 12, i % 12 + 1),
                    (i * 7 % 11) as f64,
                )
            })
            .collect();
        let svg = line_chart("通院回数", "回", &pts, 0.0, None);
        assert_safe(&svg);
        assert!(svg.contains("rotate(-40"));
        let shown = svg.matches("rotate(-40").count();
        assert!((12..36).contains(&shown), "{shown}");
        // 値は最初・最後・最大・最小だけ
        assert!(
            svg.matches("font-weight=\"bold\" fill=\"#1F2328\">")
                .count()
                <= 5
        );
    }

    #[test]
    fn escapes_and_non_finite() {
        let evil = "<script>&\"'";
        let svg = line_chart(
            evil,
            evil,
            &[
                p(evil, 1.0),
                p("x", f64::NAN),
                p("y", f64::INFINITY),
                p("z", 2.0),
            ],
            0.0,
            None,
        );
        assert_safe(&svg);
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&#39;"));
        assert!(svg.contains("x：記録なし"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(
            !svg.contains("<polyline"),
            "the gap breaks the line into single points"
        );
    }

    #[test]
    fn scale() {
        assert_eq!(y_scale(0.0, None, 12.0), (0.0, 14.0, 2.0));
        assert_eq!(y_scale(0.0, None, 0.0), (0.0, 5.0, 1.0));
        assert_eq!(y_scale(5.0, None, 5.5), (5.0, 5.6, 0.1));
        assert_eq!(y_scale(0.0, None, 3.0), (0.0, 4.0, 1.0));
        assert_eq!(y_scale(0.0, Some(100.0), 50.0), (0.0, 100.0, 20.0));
        assert_eq!(y_scale(5.0, Some(2.0), 3.0).0, 5.0);
        assert_eq!(num(1234.0), "1,234");
        assert_eq!(num(3.5), "3.5");
        assert_eq!(num(-0.25), "-0.25");
        assert_eq!(num(1234.5), "1,234.5");
        assert_eq!(num_step(0.4, 0.2), "0.4");
    }

    #[test]
    fn out_of_range_values_are_clamped() {
        let svg = line_chart(
            "テスト",
            "",
            &[p("a", -5.0), p("b", 500.0)],
            0.0,
            Some(10.0),
        );
        assert_safe(&svg);
        numbers_in_range(&svg);
        assert!(svg.contains(">500<") && svg.contains(">-5<"));
    }

    #[test]
    fn deterministic() {
        assert_eq!(
            line_chart("欠席日数", "日", &absences(), 0.0, None),
            line_chart("欠席日数", "日", &absences(), 0.0, None)
        );
    }
}
