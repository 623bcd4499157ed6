//! Placing the field captions (分野の見出し) beside their groups of nodes.

use super::draw::link_ends;
use super::layout::{ring_point, segment_hits_rect, Caption, Fmt, Placed, TITLE_RECT};
use super::wrap::wrap_label;
use super::{CX, CY, LEGEND_TOP, W};
use crate::render::svg::{text_em, truncate_em};

const CAPTION_MAX_EM: f64 = 8.0;

/// 分野の見出しの文字の大きさ（枠の文字に合わせて小さくする）。
pub(super) fn caption_font(fmt: Fmt) -> f64 {
    (fmt.font - 1.0).clamp(10.5, 12.0)
}
pub(super) const TITLE_MAX_EM: f64 = 22.0;

#[derive(Debug, Clone, Copy)]
pub(super) struct Rect {
    pub(super) l: f64,
    pub(super) t: f64,
    pub(super) r: f64,
    pub(super) b: f64,
}

impl Rect {
    pub(super) fn centered(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect {
            l: x - w / 2.0,
            t: y - h / 2.0,
            r: x + w / 2.0,
            b: y + h / 2.0,
        }
    }
    pub(super) fn overlaps(&self, o: &Rect, m: f64) -> bool {
        self.l < o.r + m && o.l < self.r + m && self.t < o.b + m && o.t < self.b + m
    }
    pub(super) fn inside_canvas(&self) -> bool {
        self.l >= 6.0 && self.r <= W - 6.0 && self.t >= 6.0 && self.b <= LEGEND_TOP - 4.0
    }
}

fn caption_shape(field: &str, two_lines: bool, font: f64) -> (Vec<String>, f64, f64) {
    let text = truncate_em(field, CAPTION_MAX_EM);
    let lines = if two_lines && text_em(&text) > 4.2 {
        wrap_label(&text, (text_em(&text) / 2.0).ceil().max(3.0) + 0.6)
    } else {
        vec![text]
    };
    let w = lines.iter().map(|l| text_em(l)).fold(0.0, f64::max) * font + 1.5 * font;
    let h = (font + 2.0) * lines.len() as f64 + 0.75 * font;
    (lines, w, h)
}

/// 各分野の見出しを扇形の外側に置く。候補（扇形の中央から外向き・少しずらした方向・
/// 枠の上下左右）のうち、枠・線・他の見出し・本人の円に重ならない最も近いものを選ぶ。
pub(super) fn place_captions(placed: &[Placed], fmt: Fmt) -> Vec<Caption> {
    let cf = caption_font(fmt);
    let mut obstacles: Vec<Rect> = placed
        .iter()
        .map(|p| Rect::centered(p.x, p.y, fmt.w, fmt.h))
        .collect();
    obstacles.push(TITLE_RECT);
    let child = Rect::centered(CX, CY, 2.0 * fmt.child_r, 2.0 * fmt.child_r);
    obstacles.push(child);
    let links: Vec<((f64, f64), (f64, f64))> = placed.iter().map(|p| link_ends(p, fmt)).collect();
    let clear = |r: &Rect, obstacles: &[Rect]| -> bool {
        r.inside_canvas()
            && !obstacles.iter().any(|o| r.overlaps(o, 4.0))
            && !links.iter().any(|((x0, y0), (x1, y1))| {
                segment_hits_rect(
                    *x0,
                    *y0,
                    *x1,
                    *y1,
                    r.l - 3.0,
                    r.t - 3.0,
                    r.r + 3.0,
                    r.b + 3.0,
                )
            })
    };
    let mut out: Vec<Caption> = Vec::new();
    let groups = placed.last().map(|p| p.group + 1).unwrap_or(0);
    for g in 0..groups {
        let members: Vec<&Placed> = placed.iter().filter(|p| p.group == g).collect();
        let first = members[0].phi;
        let last = members[members.len() - 1].phi;
        let mid = (first + last) / 2.0;
        let field = members[0].field.clone();
        let side = mid.cos().abs() > 0.55;
        let shapes = if side {
            [
                caption_shape(&field, true, cf),
                caption_shape(&field, false, cf),
            ]
        } else {
            [
                caption_shape(&field, false, cf),
                caption_shape(&field, true, cf),
            ]
        };
        // 理想の位置：扇形の中央の方向、外側の輪のすぐ外
        let (mx, my) = ring_point(fmt.outer, mid);
        let (ms, mc) = mid.sin_cos();
        let ideal = (
            mx + mc * (fmt.w / 2.0 + 30.0),
            my + ms * (fmt.h / 2.0 + 20.0),
        );
        let mut best: Option<(f64, Caption)> = None;
        for (si, (lines, w, h)) in shapes.iter().enumerate() {
            let shape_cost = si as f64 * 25.0;
            let consider = |x: f64, y: f64, cost: f64, best: &mut Option<(f64, Caption)>| {
                let cost = cost + shape_cost;
                if best.as_ref().map(|b| cost >= b.0).unwrap_or(false) {
                    return;
                }
                let r = Rect::centered(x, y, *w, *h);
                if clear(&r, &obstacles) {
                    *best = Some((
                        cost,
                        Caption {
                            field: field.clone(),
                            lines: lines.clone(),
                            x,
                            y,
                            w: *w,
                            h: *h,
                        },
                    ));
                }
            };
            // 外向きの方向（中央から ±20° まで）
            for off in [
                0.0f64, 3.0, -3.0, 6.0, -6.0, 10.0, -10.0, 15.0, -15.0, 20.0, -20.0,
            ] {
                let a = mid + off.to_radians();
                let (s, c) = a.sin_cos();
                let (px, py) = ring_point(fmt.outer, a);
                let mut d = 0.0;
                while d < 200.0 {
                    consider(
                        px + c * d,
                        py + s * d,
                        off.abs() * 1.5 + d * 0.08,
                        &mut best,
                    );
                    d += 3.0;
                }
            }
            // この分野の枠の上下左右
            for p in &members {
                let gapx = fmt.w / 2.0 + w / 2.0 + 6.0;
                let gapy = fmt.h / 2.0 + h / 2.0 + 6.0;
                for (dx, dy) in [
                    (0.0, -gapy),
                    (0.0, gapy),
                    (-gapx, 0.0),
                    (gapx, 0.0),
                    (-gapx, -gapy),
                    (gapx, -gapy),
                    (-gapx, gapy),
                    (gapx, gapy),
                ] {
                    let (x, y) = (p.x + dx, p.y + dy);
                    let dist = ((x - ideal.0).powi(2) + (y - ideal.1).powi(2)).sqrt();
                    consider(x, y, 20.0 + dist * 0.15, &mut best);
                }
            }
        }
        let chosen = best.map(|b| b.1).unwrap_or_else(|| {
            // 置き場所がない（通常は起こらない）：外向きの位置を描画範囲に収めて置く
            let (lines, w, h) = shapes[0].clone();
            Caption {
                field: field.clone(),
                lines,
                x: ideal.0.clamp(6.0 + w / 2.0, W - 6.0 - w / 2.0),
                y: ideal.1.clamp(6.0 + h / 2.0, LEGEND_TOP - 4.0 - h / 2.0),
                w,
                h,
            }
        });
        obstacles.push(Rect::centered(chosen.x, chosen.y, chosen.w, chosen.h));
        out.push(chosen);
    }
    out
}
