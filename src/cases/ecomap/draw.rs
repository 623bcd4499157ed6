//! Drawing the parts of the map: node colours and descriptions, the ring guides, the child,
//! the links, the node boxes and the legend.

use std::fmt::Write as _;

use super::layout::{ring_point, Fmt, Placed, Ring, TAU};
use super::wrap::fit_label;
use super::{Node, CX, CY, FONT_FAMILY, H, INK, INK_SUB, LEGEND_TOP, LINE, STRAIN, W};
use crate::render::svg::{clean, esc, field_colors};
use crate::render::svg::{num as f, text_em, truncate_em};

pub(super) const CHILD_FILL: &str = "#FFF3C4";
pub(super) const CHILD_STROKE: &str = "#B7791F";
pub(super) fn strength_name(strength: u8) -> &'static str {
    match strength {
        0 => "関係に課題",
        1 => "弱いつながり",
        2 => "ふつうのつながり",
        _ => "強いつながり",
    }
}

pub(super) fn node_description(node: &Node) -> String {
    let mut d = label_or_placeholder(&node.label);
    let sub = clean(&node.sub);
    if !sub.is_empty() {
        let _ = write!(d, "（{sub}）");
    }
    let field = clean(&node.field);
    let field = if field.is_empty() {
        "その他".to_string()
    } else {
        field
    };
    let _ = write!(d, "［{field}・{}", strength_name(node.strength));
    let when = clean(&node.when);
    if !when.is_empty() {
        let _ = write!(d, "・連絡：{when}");
    }
    d.push('］');
    d
}

fn label_or_placeholder(label: &str) -> String {
    let l = clean(label);
    if l.is_empty() {
        "（名称未入力）".to_string()
    } else {
        l
    }
}

pub(super) fn open_svg(s: &mut String, label: &str, class: &str) {
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{}\" class=\"{}\" font-family=\"{}\">",
        f(W),
        f(H),
        esc(label),
        esc(class),
        esc(FONT_FAMILY)
    );
}

/// 輪の目安線（楕円は ellipse、超楕円は折れ線の path）。
pub(super) fn ring_guide(s: &mut String, r: Ring) {
    if r.p == 2.0 {
        let _ = write!(
            s,
            "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\"/>",
            f(CX),
            f(CY),
            f(r.rx),
            f(r.ry)
        );
        return;
    }
    let steps = 144;
    s.push_str("<path d=\"");
    for k in 0..steps {
        let (x, y) = ring_point(r, TAU * k as f64 / steps as f64);
        let _ = write!(s, "{}{},{}", if k == 0 { "M" } else { " L" }, f(x), f(y));
    }
    s.push_str(" Z\"/>");
}

pub(super) fn child_circle(s: &mut String, child: &str, r: f64) {
    let font = if r >= 56.0 { 16.0 } else { 15.0 };
    let (lines, font) = fit_label(child, 2.0 * r - 18.0, 2.0 * r - 14.0, font);
    let lh = font + 4.0;
    let top = CY - lh * lines.len() as f64 / 2.0;
    let _ = write!(
        s,
        "<g><title>{}</title><circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{CHILD_FILL}\" stroke=\"{CHILD_STROKE}\" stroke-width=\"2.5\"/>",
        esc(&format!("本人：{child}")),
        f(CX),
        f(CY),
        f(r)
    );
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
            f(CX),
            f(top + lh * i as f64 + font * 0.88 + 2.0),
            f(font),
            esc(line)
        );
    }
    s.push_str("</g>");
}

/// 中心から枠の中心へ向かう線の、円の縁と枠の縁の間の部分。
pub(super) fn link_ends(p: &Placed, fmt: Fmt) -> ((f64, f64), (f64, f64)) {
    let dx = p.x - CX;
    let dy = p.y - CY;
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    let start = (
        CX + dx / len * (fmt.child_r + 2.0),
        CY + dy / len * (fmt.child_r + 2.0),
    );
    let sx = if dx.abs() > 1e-9 {
        (fmt.w / 2.0 + 2.0) / dx.abs()
    } else {
        f64::INFINITY
    };
    let sy = if dy.abs() > 1e-9 {
        (fmt.h / 2.0 + 2.0) / dy.abs()
    } else {
        f64::INFINITY
    };
    let t = sx.min(sy).min(1.0);
    let end = (p.x - dx * t, p.y - dy * t);
    (start, end)
}

pub(super) fn link(s: &mut String, p: &Placed, strength: u8, fmt: Fmt) {
    let ((x0, y0), (x1, y1)) = link_ends(p, fmt);
    line_between(s, x0, y0, x1, y1, strength);
}

fn line_between(s: &mut String, x0: f64, y0: f64, x1: f64, y1: f64, strength: u8) {
    match strength {
        0 => {
            // ジグザグ
            let dx = x1 - x0;
            let dy = y1 - y0;
            let len = (dx * dx + dy * dy).sqrt();
            let (ux, uy) = if len > 0.0 {
                (dx / len, dy / len)
            } else {
                (1.0, 0.0)
            };
            let (nx, ny) = (-uy, ux);
            let seg = 7.0;
            let amp = 4.5;
            let count = ((len / seg).floor() as usize).max(2);
            let step = len / count as f64;
            let mut pts = String::new();
            let _ = write!(pts, "{},{}", f(x0), f(y0));
            for i in 1..count {
                let sign = if i % 2 == 1 { 1.0 } else { -1.0 };
                let d = step * i as f64;
                let _ = write!(
                    pts,
                    " {},{}",
                    f(x0 + ux * d + nx * amp * sign),
                    f(y0 + uy * d + ny * amp * sign)
                );
            }
            let _ = write!(pts, " {},{}", f(x1), f(y1));
            let _ = write!(s, "<polyline points=\"{pts}\" fill=\"none\" stroke=\"{STRAIN}\" stroke-width=\"1.8\"/>");
        }
        1 => {
            let _ = write!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{LINE}\" stroke-width=\"1.4\" stroke-dasharray=\"5 5\"/>",
                f(x0),
                f(y0),
                f(x1),
                f(y1)
            );
        }
        2 => {
            let _ = write!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{LINE}\" stroke-width=\"2.2\"/>",
                f(x0),
                f(y0),
                f(x1),
                f(y1)
            );
        }
        _ => {
            let _ = write!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{LINE}\" stroke-width=\"5\"/>",
                f(x0),
                f(y0),
                f(x1),
                f(y1)
            );
        }
    }
}

pub(super) fn line_sample(s: &mut String, x: f64, y: f64, len: f64, strength: u8) {
    line_between(s, x, y, x + len, y, strength);
}

pub(super) fn node_box(s: &mut String, p: &Placed, node: &Node, fmt: Fmt) {
    let (stroke, fill) = field_colors(&p.field);
    let label = label_or_placeholder(&node.label);
    let (lines, font) = fit_label(&label, fmt.label_em * fmt.font, fmt.w - 12.0, fmt.font);
    let sub = clean(&node.sub);
    let sub_max_em = (fmt.w - 12.0) / fmt.sub_font;
    let sub = truncate_em(&sub, sub_max_em);
    let person = matches!(p.field.as_str(), "家族" | "友人・地域");
    let rx = if person { fmt.h / 2.0 } else { 8.0 };
    let _ = write!(s, "<g><title>{}</title>", esc(&node_description(node)));
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.6\"/>",
        f(p.x - fmt.w / 2.0),
        f(p.y - fmt.h / 2.0),
        f(fmt.w),
        f(fmt.h),
        f(rx)
    );
    let line_h = fmt.line * font / fmt.font;
    let content = line_h * lines.len() as f64 + if sub.is_empty() { 0.0 } else { fmt.sub_line };
    let mut y = p.y - content / 2.0;
    for line in &lines {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{INK}\">{}</text>",
            f(p.x),
            f(y + line_h * 0.5 + font * 0.36),
            f(font),
            esc(line)
        );
        y += line_h;
    }
    if !sub.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{INK_SUB}\">{}</text>",
            f(p.x),
            f(y + fmt.sub_line * 0.5 + fmt.sub_font * 0.36),
            f(fmt.sub_font),
            esc(&sub)
        );
    }
    s.push_str("</g>");
}

/// 下端の凡例（線の種類）と件数。
pub(super) fn legend(s: &mut String, count: usize) {
    let items: [u8; 4] = [3, 2, 1, 0];
    let sample = 40.0;
    let gap_text = 8.0;
    let gap_item = 28.0;
    let font = 12.0;
    let head = "線の種類：";
    let y = LEGEND_TOP + 22.0;
    let _ = write!(
        s,
        "<line x1=\"24\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#E3E7EB\" stroke-width=\"1\"/>",
        f(LEGEND_TOP + 2.0),
        f(W - 24.0),
        f(LEGEND_TOP + 2.0)
    );
    let mut x = 24.0;
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-weight=\"bold\" fill=\"{INK_SUB}\">{}</text>",
        f(x),
        f(y + 4.0),
        f(font),
        head
    );
    x += text_em(head) * font + 6.0;
    for &k in &items {
        line_sample(s, x, y, sample, k);
        x += sample + gap_text;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{INK}\">{}</text>",
            f(x),
            f(y + 4.0),
            f(font),
            strength_name(k)
        );
        x += text_em(strength_name(k)) * font + gap_item;
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"{}\" fill=\"{INK_SUB}\">登録 {count}件</text>",
        f(W - 24.0),
        f(y + 4.0),
        f(font)
    );
}
