//! Layout (配置): the rings, the candidate sizes, and fitting the nodes around the child so
//! that boxes, lines and captions do not overlap.

use super::captions::{place_captions, Rect, TITLE_MAX_EM};
use super::{Node, CX, CY, LEGEND_TOP, SINGLE_RING_MAX, W};
use crate::render::svg::{clean, FIELD_ORDER};

/// 枠の大きさ・文字の大きさ・外側の輪の形。
#[derive(Debug, Clone, Copy)]
pub(super) struct Fmt {
    pub(super) w: f64,
    pub(super) h: f64,
    pub(super) font: f64,
    pub(super) line: f64,
    pub(super) sub_font: f64,
    pub(super) sub_line: f64,
    /// ラベル一行の最大幅（em）。
    pub(super) label_em: f64,
    pub(super) child_r: f64,
    pub(super) outer: Ring,
}

/// 一重の輪（楕円）。
const SINGLE: Ring = Ring {
    rx: 360.0,
    ry: 284.0,
    p: 2.0,
};

/// 二重の輪の外側（角の丸い長方形に近い超楕円。四隅も使えるので多く並ぶ）。
const DOUBLE: Ring = Ring {
    rx: 410.0,
    ry: 304.0,
    p: 4.0,
};

const NORMAL: Fmt = Fmt {
    w: 126.0,
    h: 56.0,
    font: 13.0,
    line: 16.0,
    sub_font: 10.5,
    sub_line: 13.5,
    label_em: 8.2,
    child_r: 58.0,
    outer: SINGLE,
};

const COMPACT: Fmt = Fmt {
    w: 106.0,
    h: 50.0,
    font: 12.0,
    line: 14.5,
    sub_font: 10.0,
    sub_line: 12.5,
    label_em: 7.5,
    child_r: 52.0,
    outer: DOUBLE,
};

const DENSE: Fmt = Fmt {
    w: 94.0,
    h: 45.0,
    font: 11.0,
    line: 13.5,
    sub_font: 9.5,
    sub_line: 11.5,
    label_em: 7.3,
    child_r: 48.0,
    outer: DOUBLE,
};

const XDENSE: Fmt = Fmt {
    w: 84.0,
    h: 41.0,
    font: 10.0,
    line: 12.5,
    sub_font: 9.0,
    sub_line: 10.5,
    label_em: 7.2,
    child_r: 46.0,
    outer: DOUBLE,
};

const XXDENSE: Fmt = Fmt {
    w: 78.0,
    h: 38.0,
    font: 9.5,
    line: 11.5,
    sub_font: 8.5,
    sub_line: 10.0,
    label_em: 7.0,
    child_r: 44.0,
    outer: DOUBLE,
};

/// 試す設定（文字の大きい順）と分野の境目のすき間（度）。最初に収まったものを使う。
fn candidates(two_rings: bool) -> Vec<(Fmt, f64)> {
    if two_rings {
        vec![
            (COMPACT, 4.0),
            (COMPACT, 2.0),
            (COMPACT, 0.0),
            (DENSE, 3.0),
            (DENSE, 1.5),
            (DENSE, 0.0),
            (XDENSE, 2.0),
            (XDENSE, 0.0),
            (XXDENSE, 1.0),
            (XXDENSE, 0.0),
        ]
    } else {
        vec![
            (NORMAL, 5.0),
            (NORMAL, 2.5),
            (NORMAL, 0.0),
            (
                Fmt {
                    outer: SINGLE,
                    ..COMPACT
                },
                2.0,
            ),
            (
                Fmt {
                    outer: SINGLE,
                    ..COMPACT
                },
                0.0,
            ),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ring {
    pub(super) rx: f64,
    pub(super) ry: f64,
    /// 超楕円の指数（2 = 楕円、大きいほど角の丸い長方形に近づく）。
    pub(super) p: f64,
}

/// 内側の輪：外側の枠と縦横どちらかで必ず離れる大きさ。
fn inner_ring(fmt: Fmt) -> Ring {
    Ring {
        rx: fmt.outer.rx - fmt.w - BOX_MARGIN,
        ry: fmt.outer.ry - fmt.h - BOX_MARGIN,
        p: fmt.outer.p,
    }
}

fn ring_of(inner: bool, fmt: Fmt) -> Ring {
    if inner {
        inner_ring(fmt)
    } else {
        fmt.outer
    }
}

/// 超楕円上で極角 `phi` の方向にある点。
pub(super) fn ring_point(r: Ring, phi: f64) -> (f64, f64) {
    let (s, c) = phi.sin_cos();
    let rad = ((c.abs() / r.rx).powf(r.p) + (s.abs() / r.ry).powf(r.p)).powf(-1.0 / r.p);
    (CX + rad * c, CY + rad * s)
}

#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Placed {
    pub(super) idx: usize,
    pub(super) group: usize,
    pub(super) field: String,
    pub(super) inner: bool,
    pub(super) phi: f64,
    pub(super) x: f64,
    pub(super) y: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Caption {
    pub(super) field: String,
    pub(super) lines: Vec<String>,
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) w: f64,
    pub(super) h: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub(super) fmt: Fmt,
    pub(super) rings: Vec<Ring>,
    pub(super) placed: Vec<Placed>,
    pub(super) captions: Vec<Caption>,
}

#[derive(Debug, Clone)]
struct Slot {
    idx: usize,
    group: usize,
    inner: bool,
}

/// 各関係先の分野名（空なら「その他」）と並び順の鍵。
/// 既知の分野は FIELD_ORDER の位置、未知の分野はその後に初出順。
fn group_fields(nodes: &[Node]) -> (Vec<String>, Vec<usize>) {
    let fields: Vec<String> = nodes
        .iter()
        .map(|n| {
            let f = clean(&n.field);
            if f.is_empty() {
                "その他".to_string()
            } else {
                f
            }
        })
        .collect();
    let mut unknown: Vec<&str> = Vec::new();
    for f in &fields {
        if !FIELD_ORDER.contains(&f.as_str()) && !unknown.contains(&f.as_str()) {
            unknown.push(f);
        }
    }
    let keys: Vec<usize> = fields
        .iter()
        .map(|f| {
            FIELD_ORDER.iter().position(|k| k == f).unwrap_or_else(|| {
                FIELD_ORDER.len() + unknown.iter().position(|u| u == f).unwrap_or(0)
            })
        })
        .collect();
    (fields, keys)
}

/// 角度の刻み：一周を STEPS 等分（0.2°）。配置の角度はすべてこの整数倍で扱う。
const STEPS: i64 = 1800;
pub(super) const TAU: f64 = std::f64::consts::TAU;
/// 枠どうしのすき間。
const BOX_MARGIN: f64 = 10.0;
/// 外側の枠への線と内側の枠とのすき間。
const LINE_MARGIN: f64 = 6.0;
/// 見出し文字の範囲（関係先の枠を置かない）。
pub(super) const TITLE_RECT: Rect = Rect {
    l: 16.0,
    t: 12.0,
    r: 24.0 + TITLE_MAX_EM * 20.0,
    b: 48.0,
};

pub(super) fn layout(nodes: &[Node]) -> Layout {
    let (fields, keys) = group_fields(nodes);
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| (keys[i], i));

    // 分野の並び順に一列に並べ、二重の輪では外・内・外・内…と交互に割り当てる
    let two_rings = nodes.len() > SINGLE_RING_MAX;
    let mut slots: Vec<Slot> = Vec::with_capacity(order.len());
    let mut group = 0usize;
    for (k, &i) in order.iter().enumerate() {
        if k > 0 && keys[i] != keys[order[k - 1]] {
            group += 1;
        }
        slots.push(Slot {
            idx: i,
            group,
            inner: two_rings && k % 2 == 1,
        });
    }

    let tries = candidates(two_rings);
    let mut chosen: Option<(Fmt, Vec<i64>)> = None;
    for &(fmt, gap_deg) in &tries {
        let geo = Geo::new(fmt);
        let gap = (gap_deg * STEPS as f64 / 360.0).round() as i64;
        if let Some(idx) = fit(&slots, &geo, gap) {
            chosen = Some((fmt, idx));
            break;
        }
    }
    let (fmt, idx) = chosen.unwrap_or_else(|| {
        // 収まらない場合（41 件以上など）：最小の設定で一周に均等に並べる
        let fmt = tries[tries.len() - 1].0;
        let n = slots.len().max(1) as i64;
        (
            fmt,
            (0..slots.len() as i64)
                .map(|k| -STEPS / 4 + STEPS * k / n)
                .collect(),
        )
    });

    let mut rings = vec![fmt.outer];
    if two_rings {
        rings.push(inner_ring(fmt));
    }
    let placed: Vec<Placed> = slots
        .iter()
        .zip(idx.iter())
        .map(|(sl, &i)| {
            let phi = i as f64 * TAU / STEPS as f64;
            let (x, y) = ring_point(ring_of(sl.inner, fmt), phi);
            Placed {
                idx: sl.idx,
                group: sl.group,
                field: fields[sl.idx].clone(),
                inner: sl.inner,
                phi,
                x,
                y,
            }
        })
        .collect();
    let captions = place_captions(&placed, fmt);
    Layout {
        fmt,
        rings,
        placed,
        captions,
    }
}

/// 一つの設定での輪の上の点（刻みごとに前もって計算）と、置けない位置の印。
struct Geo {
    fmt: Fmt,
    outer: Vec<(f64, f64)>,
    inner: Vec<(f64, f64)>,
    outer_blocked: Vec<bool>,
    inner_blocked: Vec<bool>,
}

impl Geo {
    fn new(fmt: Fmt) -> Geo {
        let pts = |r: Ring| -> Vec<(f64, f64)> {
            (0..STEPS)
                .map(|i| ring_point(r, i as f64 * TAU / STEPS as f64))
                .collect()
        };
        let outer = pts(fmt.outer);
        let inner = pts(inner_ring(fmt));
        // 枠が描画範囲の外・見出し・凡例にかかる位置
        let blocked = |pts: &[(f64, f64)]| -> Vec<bool> {
            pts.iter()
                .map(|&(x, y)| {
                    let r = Rect::centered(x, y, fmt.w, fmt.h);
                    r.l < 8.0
                        || r.r > W - 8.0
                        || r.t < 8.0
                        || r.b > LEGEND_TOP - 6.0
                        || r.overlaps(&TITLE_RECT, 4.0)
                })
                .collect()
        };
        let outer_blocked = blocked(&outer);
        let inner_blocked = blocked(&inner);
        Geo {
            fmt,
            outer,
            inner,
            outer_blocked,
            inner_blocked,
        }
    }

    fn point(&self, inner: bool, i: i64) -> (f64, f64) {
        let k = i.rem_euclid(STEPS) as usize;
        if inner {
            self.inner[k]
        } else {
            self.outer[k]
        }
    }

    fn blocked(&self, slot: &Slot, i: i64) -> bool {
        let k = i.rem_euclid(STEPS) as usize;
        if slot.inner {
            self.inner_blocked[k]
        } else {
            self.outer_blocked[k]
        }
    }

    /// 二つの枠が重なるか、外側の枠への線が内側の枠を横切るなら true。
    fn conflict(&self, a: &Slot, ia: i64, b: &Slot, ib: i64) -> bool {
        let fmt = self.fmt;
        let (ax, ay) = self.point(a.inner, ia);
        let (bx, by) = self.point(b.inner, ib);
        if (ax - bx).abs() < fmt.w + BOX_MARGIN && (ay - by).abs() < fmt.h + BOX_MARGIN {
            return true;
        }
        if a.inner != b.inner {
            let ((ox, oy), (ix, iy)) = if a.inner {
                ((bx, by), (ax, ay))
            } else {
                ((ax, ay), (bx, by))
            };
            let hw = fmt.w / 2.0 + LINE_MARGIN;
            let hh = fmt.h / 2.0 + LINE_MARGIN;
            if segment_hits_rect(CX, CY, ox, oy, ix - hw, iy - hh, ix + hw, iy + hh) {
                return true;
            }
        }
        false
    }
}

/// 線分 (x0,y0)-(x1,y1) が矩形に触れるか（Liang–Barsky）。
#[allow(clippy::too_many_arguments)]
pub(super) fn segment_hits_rect(
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    l: f64,
    t: f64,
    r: f64,
    b: f64,
) -> bool {
    let dx = x1 - x0;
    let dy = y1 - y0;
    let mut u0: f64 = 0.0;
    let mut u1: f64 = 1.0;
    for (p, q) in [(-dx, x0 - l), (dx, r - x0), (-dy, y0 - t), (dy, b - y0)] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let u = q / p;
            if p < 0.0 {
                u0 = u0.max(u);
            } else {
                u1 = u1.min(u);
            }
            if u0 > u1 {
                return false;
            }
        }
    }
    true
}

/// 必要な角度のずれ（刻み）：同じ分野なら `extra`、分野の境目なら `gap + 2 * extra`。
fn shift_between(a: &Slot, b: &Slot, extra: i64, gap: i64) -> i64 {
    if a.group != b.group {
        gap + 2 * extra
    } else {
        extra
    }
}

/// 始点 `start` から順に、直前の数件と衝突しない最小の角度へ置いていく。
/// 各件は衝突しない最小の角度からさらに `shift_between` だけ進める。一周に収まらなければ None。
fn place_from(slots: &[Slot], geo: &Geo, start: i64, extra: i64, gap: i64) -> Option<Vec<i64>> {
    let n = slots.len();
    let mut out: Vec<i64> = Vec::with_capacity(n);
    let limit = start + STEPS;
    for k in 0..n {
        let mut i = if k == 0 { start } else { out[k - 1] };
        loop {
            let clash = geo.blocked(&slots[k], i)
                || (k.saturating_sub(4)..k).any(|j| {
                    let shift = shift_between(&slots[k], &slots[j], extra, gap);
                    i - shift < out[j] || geo.conflict(&slots[k], i - shift, &slots[j], out[j])
                });
            if !clash {
                break;
            }
            i += 1;
            if i > limit {
                return None;
            }
        }
        out.push(i);
    }
    // 一周して先頭に戻れるか（先頭の数件を一周先に置いて確かめる）
    for a in 0..n.min(4) {
        for b in n.saturating_sub(4)..n {
            if b <= a {
                continue;
            }
            let ia = out[a] + STEPS - shift_between(&slots[a], &slots[b], extra, gap);
            if ia < out[b] || geo.conflict(&slots[a], ia, &slots[b], out[b]) {
                return None;
            }
        }
    }
    Some(out)
}

/// ゆとり（extra）を二分探索で最大にして一周に均し、最初の分野が真上に来るように始点を回す。
fn fit(slots: &[Slot], geo: &Geo, gap: i64) -> Option<Vec<i64>> {
    let n = slots.len();
    if n == 0 {
        return Some(Vec::new());
    }
    let top = -STEPS / 4;
    let mut start = top;
    let mut best: Option<Vec<i64>> = None;
    for _ in 0..4 {
        let Some(mut idx) = place_from(slots, geo, start, 0, gap) else {
            break;
        };
        // place_from(extra) が成功する最大の extra
        let (mut lo, mut hi) = (0i64, STEPS / n as i64 + 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            match place_from(slots, geo, start, mid, gap) {
                Some(p) => {
                    lo = mid;
                    idx = p;
                }
                None => hi = mid,
            }
        }
        let first_end = slots
            .iter()
            .zip(idx.iter())
            .take_while(|(s, _)| s.group == slots[0].group)
            .last()
            .map(|(_, p)| *p)
            .unwrap_or(start);
        let first_mid = (idx[0] + first_end) / 2;
        best = Some(idx);
        let shift = top - first_mid;
        if shift.abs() <= 1 {
            break;
        }
        start += shift;
    }
    let mut idx = best?;
    // 内側の枠は前後の外側の枠のちょうど間へ寄せる（どこにも衝突しない場合だけ）
    for k in 1..n.saturating_sub(1) {
        if !slots[k].inner || slots[k - 1].inner || slots[k + 1].inner {
            continue;
        }
        let mid = (idx[k - 1] + idx[k + 1]) / 2;
        let ok = !geo.blocked(&slots[k], mid)
            && (k.saturating_sub(4)..(k + 5).min(n))
                .filter(|&j| j != k)
                .all(|j| !geo.conflict(&slots[k], mid, &slots[j], idx[j]));
        if ok {
            idx[k] = mid;
        }
    }
    Some(idx)
}
