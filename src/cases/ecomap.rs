//! 頼れる人マップ（エコマップ）を SVG 文字列として描画する。
//!
//! * 本人（こども）を中央の円に置き、関係先を周囲の輪（楕円）に配置する。
//!   関係先は分野ごとにまとまった扇形の範囲に並び、扇形の並び順は
//!   [`FIELD_ORDER`] に従う（家族が真上、以降時計回り。未知の分野は最後）。
//! * 17 件以上は内側・外側の二重の輪（角の丸い長方形に近い形）に交互に配置する。
//!   外側の関係先へ引く線が内側の枠に重ならないよう、角度は一つずつ衝突を確かめながら
//!   決める。件数が多いほど枠と文字を小さくし、40 件までは枠・線・見出しが重ならない
//!   ことをテストで確かめている（41 件以上も描画はするが、重なりうる）。
//! * 長い名前は約 8 文字 × 2 行に折り返し、収まらなければ少し小さい文字にするか「…」で切る。
//! * 線の種類：強い＝太い実線、ふつう＝実線、弱い＝細い破線、関係に課題＝赤いジグザグ線。
//! * 利用者が入力した文字列はすべて XML エスケープする。外部参照・スクリプト・
//!   `style` 属性は使わない（CSP で unsafe-inline を許可していないため、
//!   見た目は fill / stroke / font-size などの表示属性だけで指定する）。
//! * 出力は入力だけで決まる（乱数・時刻・ハッシュ順序に依存しない）。

use crate::render::svg::{char_em, num as f, text_em, truncate_em};
pub use crate::render::svg::{clean, esc, field_colors, FIELD_ORDER};
use std::fmt::Write as _;

/// 頼れる人マップの関係先一件。
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// 関係機関名または人の名前。
    pub label: String,
    /// 所属または続柄（空でもよい）。
    pub sub: String,
    /// 分野（医療, 医療的ケア, 福祉, 障害, 教育, 就労, 家族会・患者会, 行政, 総合支援, その他, 家族, 友人・地域）。
    pub field: String,
    /// 1 = 弱い, 2 = ふつう, 3 = 強い, 0 = 関係に課題（ストレス・対立）。4 以上は 3 とみなす。
    pub strength: u8,
    /// どんな時に連絡するか（空でもよい）。
    pub when: String,
}

/// これを超える件数では二重の輪にする。
pub const SINGLE_RING_MAX: usize = 16;

const W: f64 = 1000.0;
const H: f64 = 760.0;
const CX: f64 = 500.0;
const CY: f64 = 368.0;
const FONT_FAMILY: &str = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif";
const INK: &str = "#1F2328";
const INK_SUB: &str = "#4A5058";
const LINE: &str = "#44505C";
const STRAIN: &str = "#C0392B";
const LEGEND_TOP: f64 = 728.0;

// ---------------------------------------------------------------------------
// 公開関数
// ---------------------------------------------------------------------------

/// 一人のこどもの頼れる人マップを SVG 文字列で返す。
///
/// `child_label` は中央の円に書く表示名（例：「たろう（8歳）」）。
pub fn render(child_label: &str, nodes: &[Node]) -> String {
    let child = clean(child_label);
    let child = if child.is_empty() {
        "本人".to_string()
    } else {
        child
    };
    let n = nodes.len();
    let heading = format!("{child}の頼れる人マップ");
    let summary = format!("{heading}：{n}件");

    let layout = layout(nodes);
    let fmt = layout.fmt;

    let mut s = String::with_capacity(16_384 + n * 1_200);
    open_svg(&mut s, &summary, "ecomap");
    let _ = write!(s, "<title>{}</title>", esc(&summary));
    s.push_str("<desc>");
    if n == 0 {
        s.push_str(&esc(&format!(
            "{child}：登録された関係先はまだありません。"
        )));
    } else {
        let mut items = Vec::with_capacity(n);
        for p in &layout.placed {
            items.push(node_description(&nodes[p.idx]));
        }
        s.push_str(&esc(&format!(
            "中央：{child}。関係先：{}。",
            items.join("、")
        )));
    }
    s.push_str("</desc>");
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>",
        f(W),
        f(H)
    );

    // 見出し
    let _ = write!(
        s,
        "<text x=\"24\" y=\"40\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        esc(&truncate_em(&heading, TITLE_MAX_EM))
    );

    // 輪のガイド
    s.push_str("<g fill=\"none\" stroke=\"#D5DAE0\" stroke-width=\"1\" stroke-dasharray=\"2 6\">");
    for r in &layout.rings {
        ring_guide(&mut s, *r);
    }
    s.push_str("</g>");

    // 線（枠より下に描く）
    s.push_str("<g fill=\"none\" stroke-linecap=\"round\" stroke-linejoin=\"round\">");
    for p in &layout.placed {
        let node = &nodes[p.idx];
        link(&mut s, p, node.strength, fmt);
    }
    s.push_str("</g>");

    // 本人
    child_circle(&mut s, &child, fmt.child_r);

    // 関係先
    s.push_str("<g text-anchor=\"middle\">");
    for p in &layout.placed {
        node_box(&mut s, p, &nodes[p.idx], fmt);
    }
    s.push_str("</g>");

    // 分野の見出し
    let cf = caption_font(fmt);
    let _ = write!(
        s,
        "<g text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\">",
        f(cf)
    );
    for c in &layout.captions {
        let (stroke, fill) = field_colors(&c.field);
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"9\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1\"/>",
            f(c.x - c.w / 2.0),
            f(c.y - c.h / 2.0),
            f(c.w),
            f(c.h)
        );
        let line_h = cf + 2.0;
        let top = c.y - line_h * c.lines.len() as f64 / 2.0;
        for (i, line) in c.lines.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" fill=\"{INK}\">{}</text>",
                f(c.x),
                f(top + line_h * i as f64 + line_h / 2.0 + cf * 0.36),
                esc(line)
            );
        }
    }
    s.push_str("</g>");

    if n == 0 {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15\" fill=\"{INK_SUB}\">登録された関係先はまだありません</text>",
            f(CX),
            f(CY + fmt.child_r + 44.0)
        );
    }

    legend(&mut s, n);
    s.push_str("</svg>");
    s
}

/// 研修用の白紙ワークシート（中央に「本人」、周囲に空欄の枠 8 つ、下に記入表）。
pub fn render_blank_worksheet() -> String {
    const TITLE: &str = "頼れる人マップ（ワークシート）";
    let summary = format!("{TITLE}：中央に本人、周囲に記入枠8つ、下に関係先の記入表6行");
    let mut s = String::with_capacity(12_000);
    open_svg(&mut s, &summary, "ecomap ecomap-worksheet");
    let _ = write!(s, "<title>{}</title>", esc(TITLE));
    let _ = write!(
        s,
        "<desc>{}</desc>",
        esc("本人とつながりのある人・機関を周囲の枠に書き込み、関係の強さに応じた線で本人と結びます。\
             下の表に関係機関名、名前、所属、連絡先、どんな時に連絡、強み、実施できることを記入します。")
    );
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#FFFFFF\"/>",
        f(W),
        f(H)
    );
    let _ = write!(
        s,
        "<text x=\"24\" y=\"40\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        esc(TITLE)
    );

    // 記入日・記入者
    s.push_str("<g font-size=\"12\" fill=\"#4A5058\">");
    s.push_str("<text x=\"636\" y=\"30\">記入日</text><text x=\"776\" y=\"30\">年</text><text x=\"826\" y=\"30\">月</text><text x=\"876\" y=\"30\">日</text>");
    s.push_str("<text x=\"636\" y=\"56\">記入者</text>");
    s.push_str("</g><g stroke=\"#9AA2AB\" stroke-width=\"1\">");
    s.push_str("<line x1=\"680\" y1=\"34\" x2=\"976\" y2=\"34\"/><line x1=\"680\" y1=\"60\" x2=\"976\" y2=\"60\"/>");
    s.push_str("</g>");

    // 地図部分
    let (cx, cy) = (500.0, 232.0);
    let (rx, ry) = (300.0, 122.0);
    let (bw, bh) = (150.0, 58.0);
    let _ = write!(
        s,
        "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" fill=\"none\" stroke=\"#D5DAE0\" stroke-width=\"1\" stroke-dasharray=\"2 6\"/>",
        f(cx),
        f(cy),
        f(rx),
        f(ry)
    );
    s.push_str("<g fill=\"#FFFFFF\" stroke=\"#7A838D\" stroke-width=\"1.5\">");
    for k in 0..8 {
        let t = (-90.0 + 45.0 * k as f64).to_radians();
        let (x, y) = (cx + rx * t.cos(), cy + ry * t.sin());
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\"/>",
            f(x - bw / 2.0),
            f(y - bh / 2.0),
            f(bw),
            f(bh)
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        "<circle cx=\"{}\" cy=\"{}\" r=\"46\" fill=\"{CHILD_FILL}\" stroke=\"{CHILD_STROKE}\" stroke-width=\"2.5\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"20\" font-weight=\"bold\" fill=\"{INK}\">本人</text>",
        f(cx),
        f(cy),
        f(cx),
        f(cy + 7.0)
    );

    // 線の引き方（左下の余白）
    s.push_str("<g font-size=\"12\" fill=\"#4A5058\">");
    s.push_str("<text x=\"24\" y=\"300\" font-weight=\"bold\">線の引き方</text>");
    s.push_str("</g>");
    for (i, strength) in [3u8, 2, 1, 0].iter().enumerate() {
        let y = 322.0 + 22.0 * i as f64;
        line_sample(&mut s, 24.0, y, 44.0, *strength);
        let _ = write!(
            s,
            "<text x=\"78\" y=\"{}\" font-size=\"12\" fill=\"{INK}\">{}</text>",
            f(y + 4.0),
            strength_name(*strength)
        );
    }

    // 記入表
    let cols: [(&str, f64); 7] = [
        ("関係機関名", 150.0),
        ("名前", 112.0),
        ("所属", 120.0),
        ("連絡先", 130.0),
        ("どんな時に連絡", 168.0),
        ("強み", 136.0),
        ("実施できること", 136.0),
    ];
    let x0 = 24.0;
    let total: f64 = cols.iter().map(|c| c.1).sum();
    let y0 = 418.0;
    let head = 32.0;
    let rows = 6;
    let row_h = 48.0;
    let y_end = y0 + head + row_h * rows as f64;
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#EEF1F4\"/>",
        f(x0),
        f(y0),
        f(total),
        f(head)
    );
    s.push_str("<g text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">");
    let mut x = x0;
    for (name, w) in cols.iter() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" fill=\"{INK}\">{}</text>",
            f(x + w / 2.0),
            f(y0 + 21.0),
            esc(name)
        );
        x += w;
    }
    s.push_str("</g>");
    s.push_str("<g stroke=\"#7A838D\" stroke-width=\"1\">");
    for r in 1..=rows {
        let y = y0 + head + row_h * r as f64;
        if r < rows {
            let _ = write!(
                s,
                "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                f(x0),
                f(y),
                f(x0 + total),
                f(y)
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        f(x0),
        f(y0 + head),
        f(x0 + total),
        f(y0 + head)
    );
    let mut x = x0;
    for (_, w) in cols.iter().take(cols.len() - 1) {
        x += w;
        let _ = write!(
            s,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            f(x),
            f(y0),
            f(x),
            f(y_end)
        );
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#4A5058\" stroke-width=\"1.5\"/>",
        f(x0),
        f(y0),
        f(total),
        f(y_end - y0)
    );
    s.push_str("</svg>");
    s
}

// ---------------------------------------------------------------------------
// 色
// ---------------------------------------------------------------------------

const CHILD_FILL: &str = "#FFF3C4";
const CHILD_STROKE: &str = "#B7791F";
fn strength_name(strength: u8) -> &'static str {
    match strength {
        0 => "関係に課題",
        1 => "弱いつながり",
        2 => "ふつうのつながり",
        _ => "強いつながり",
    }
}

fn node_description(node: &Node) -> String {
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

// ---------------------------------------------------------------------------
// 配置
// ---------------------------------------------------------------------------

/// 枠の大きさ・文字の大きさ・外側の輪の形。
#[derive(Debug, Clone, Copy)]
struct Fmt {
    w: f64,
    h: f64,
    font: f64,
    line: f64,
    sub_font: f64,
    sub_line: f64,
    /// ラベル一行の最大幅（em）。
    label_em: f64,
    child_r: f64,
    outer: Ring,
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
struct Ring {
    rx: f64,
    ry: f64,
    /// 超楕円の指数（2 = 楕円、大きいほど角の丸い長方形に近づく）。
    p: f64,
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
fn ring_point(r: Ring, phi: f64) -> (f64, f64) {
    let (s, c) = phi.sin_cos();
    let rad = ((c.abs() / r.rx).powf(r.p) + (s.abs() / r.ry).powf(r.p)).powf(-1.0 / r.p);
    (CX + rad * c, CY + rad * s)
}

#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))]
struct Placed {
    idx: usize,
    group: usize,
    field: String,
    inner: bool,
    phi: f64,
    x: f64,
    y: f64,
}

#[derive(Debug, Clone)]
struct Caption {
    field: String,
    lines: Vec<String>,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

#[derive(Debug, Clone)]
struct Layout {
    fmt: Fmt,
    rings: Vec<Ring>,
    placed: Vec<Placed>,
    captions: Vec<Caption>,
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
const TAU: f64 = std::f64::consts::TAU;
/// 枠どうしのすき間。
const BOX_MARGIN: f64 = 10.0;
/// 外側の枠への線と内側の枠とのすき間。
const LINE_MARGIN: f64 = 6.0;
/// 見出し文字の範囲（関係先の枠を置かない）。
const TITLE_RECT: Rect = Rect {
    l: 16.0,
    t: 12.0,
    r: 24.0 + TITLE_MAX_EM * 20.0,
    b: 48.0,
};

fn layout(nodes: &[Node]) -> Layout {
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
fn segment_hits_rect(x0: f64, y0: f64, x1: f64, y1: f64, l: f64, t: f64, r: f64, b: f64) -> bool {
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

// ---------------------------------------------------------------------------
// 分野の見出しの配置
// ---------------------------------------------------------------------------

const CAPTION_MAX_EM: f64 = 8.0;

/// 分野の見出しの文字の大きさ（枠の文字に合わせて小さくする）。
fn caption_font(fmt: Fmt) -> f64 {
    (fmt.font - 1.0).clamp(10.5, 12.0)
}
const TITLE_MAX_EM: f64 = 22.0;

#[derive(Debug, Clone, Copy)]
struct Rect {
    l: f64,
    t: f64,
    r: f64,
    b: f64,
}

impl Rect {
    fn centered(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect {
            l: x - w / 2.0,
            t: y - h / 2.0,
            r: x + w / 2.0,
            b: y + h / 2.0,
        }
    }
    fn overlaps(&self, o: &Rect, m: f64) -> bool {
        self.l < o.r + m && o.l < self.r + m && self.t < o.b + m && o.t < self.b + m
    }
    fn inside_canvas(&self) -> bool {
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
fn place_captions(placed: &[Placed], fmt: Fmt) -> Vec<Caption> {
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

// ---------------------------------------------------------------------------
// 部品の描画
// ---------------------------------------------------------------------------

fn open_svg(s: &mut String, label: &str, class: &str) {
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
fn ring_guide(s: &mut String, r: Ring) {
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

fn child_circle(s: &mut String, child: &str, r: f64) {
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
fn link_ends(p: &Placed, fmt: Fmt) -> ((f64, f64), (f64, f64)) {
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

fn link(s: &mut String, p: &Placed, strength: u8, fmt: Fmt) {
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

fn line_sample(s: &mut String, x: f64, y: f64, len: f64, strength: u8) {
    line_between(s, x, y, x + len, y, strength);
}

fn node_box(s: &mut String, p: &Placed, node: &Node, fmt: Fmt) {
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
fn legend(s: &mut String, count: usize) {
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

// ---------------------------------------------------------------------------
// 文字列
// ---------------------------------------------------------------------------

#[derive(PartialEq, Eq, Clone, Copy)]
enum Script {
    Kanji,
    Hira,
    Kata,
    Latin,
    Open,
    Close,
    Space,
    Other,
}

fn script(c: char) -> Script {
    let u = c as u32;
    match c {
        ' ' => Script::Space,
        '（' | '(' | '「' | '『' | '【' | '［' | '[' | '〈' | '《' => Script::Open,
        '）' | ')' | '」' | '』' | '】' | '］' | ']' | '〉' | '》' | '、' | '。' | '・' | '，'
        | '．' | '/' | '／' | ':' | '：' => Script::Close,
        '々' | '〆' | 'ヶ' => Script::Kanji,
        _ if (0x4E00..=0x9FFF).contains(&u)
            || (0x3400..=0x4DBF).contains(&u)
            || (0xF900..=0xFAFF).contains(&u) =>
        {
            Script::Kanji
        }
        _ if (0x3041..=0x309F).contains(&u) => Script::Hira,
        _ if (0x30A0..=0x30FF).contains(&u) || (0xFF66..=0xFF9F).contains(&u) => Script::Kata,
        _ if c.is_ascii_alphanumeric() || (0xFF10..=0xFF5A).contains(&u) => Script::Latin,
        _ => Script::Other,
    }
}

/// 行頭に置きたくない文字（小書きかな・長音・閉じ括弧・句読点）。
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        'ー' | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ヵ'
            | 'ヶ'
            | '）'
            | ')'
            | '」'
            | '』'
            | '】'
            | '］'
            | ']'
            | '、'
            | '。'
            | '・'
            | '，'
            | '．'
            | ','
            | '.'
            | '々'
            | '〉'
            | '》'
            | '：'
            | ':'
    )
}

/// 日本語の表示名を幅 `max_em` の最大 2 行に折り返す。
/// 空白・括弧・文字種の切れ目で、なるべく左右の長さが揃う位置を選ぶ。
/// 2 行に収まらないときは 2 行目の末尾を「…」で切る。
fn wrap_label(s: &str, max_em: f64) -> Vec<String> {
    wrap_scored(s, max_em).0
}

/// 枠に収まるよう折り返し、文字の大きさを決める。通常は幅 `width`（em 換算で約 8 文字）で
/// 折り返すが、語の途中で折り返すか「…」で切ることになる場合は、文字を少し（最大 16%）
/// 小さくして枠の内幅 `max_width` に良い切れ目で収まるならそちらを選ぶ
/// （例：「スクールカウンセラー」を 1 行で）。
fn fit_label(s: &str, width: f64, max_width: f64, font: f64) -> (Vec<String>, f64) {
    let (lines, quality) = wrap_scored(s, width / font);
    if quality >= 0.0 {
        return (lines, font);
    }
    let mut best = (quality + 1.5, lines, font);
    for (scale, bonus) in [(0.92, 0.7), (0.84, 0.0)] {
        let size = font * scale;
        let (small, q) = wrap_scored(s, max_width / size);
        if q + bonus > best.0 {
            best = (q + bonus, small, size);
        }
    }
    (best.1, best.2)
}

/// `wrap_label` の本体。二つ目の値は折り返しの質：1 行に収まれば 10、2 行なら切れ目の点数
/// （空白・括弧 3、文字種の切れ目 2、漢字どうし 0、かなの語の途中 −1、行頭禁則 −6 など）、
/// 「…」で切ったら −3。
fn wrap_scored(s: &str, max_em: f64) -> (Vec<String>, f64) {
    // 表示できるのは高々 2 行分なので、極端に長い入力は先頭だけを見る（計算量を抑える）
    let s: String = clean(s).chars().take(80).collect();
    if text_em(&s) <= max_em {
        return (vec![s], 10.0);
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let score_at = |i: usize| -> f64 {
        let a = chars[i - 1];
        let b = chars[i];
        let (sa, sb) = (script(a), script(b));
        let mut sc = 0.0;
        if sa == Script::Space || sb == Script::Space || sa == Script::Close || sb == Script::Open {
            sc += 3.0;
        } else if sa == Script::Open {
            sc -= 6.0;
        } else if sa != sb {
            sc += 2.0;
        } else if sa == Script::Latin {
            sc -= 5.0; // 英単語・数字の途中
        } else if sa == Script::Kata || sa == Script::Hira {
            sc -= 1.0;
        }
        if no_line_start(b) {
            sc -= 6.0;
        }
        sc
    };
    let part = |a: usize, b: usize| -> String {
        chars[a..b].iter().collect::<String>().trim().to_string()
    };

    let mut best: Option<(f64, usize)> = None;
    for i in 1..n {
        let first = part(0, i);
        let second = part(i, n);
        if first.is_empty() || second.is_empty() {
            continue;
        }
        let (w1, w2) = (text_em(&first), text_em(&second));
        if w1 > max_em || w2 > max_em {
            continue;
        }
        let sc = score_at(i) - (w1 - w2).abs() / max_em * 4.0;
        if best.map(|(b, _)| sc > b + 1e-9).unwrap_or(true) {
            best = Some((sc, i));
        }
    }
    if let Some((_, i)) = best {
        return (vec![part(0, i), part(i, n)], score_at(i));
    }
    // 2 行に収まらない：1 行目をできるだけ長く（後半 4 割に良い切れ目があればそこで）
    let mut fit = 0;
    let mut w = 0.0;
    for (i, c) in chars.iter().enumerate() {
        w += char_em(*c);
        if w > max_em {
            break;
        }
        fit = i + 1;
    }
    let fit = fit.max(1).min(n - 1);
    let mut cut = fit;
    let mut best_sc = f64::NEG_INFINITY;
    for i in ((fit as f64 * 0.6).ceil() as usize).max(1)..=fit {
        let sc = score_at(i) + i as f64 * 0.01;
        if sc >= 2.0 && sc > best_sc {
            best_sc = sc;
            cut = i;
        }
    }
    if best_sc == f64::NEG_INFINITY {
        // 良い切れ目がない：行頭禁則だけ避ける
        while cut > 1 && no_line_start(chars[cut]) {
            cut -= 1;
        }
    }
    (
        vec![
            truncate_em(&part(0, cut), max_em),
            truncate_em(&part(cut, n), max_em),
        ],
        -3.0,
    )
}

// ---------------------------------------------------------------------------
// テスト
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::svg_check::check_xml;

    fn node(label: &str, sub: &str, field: &str, strength: u8, when: &str) -> Node {
        Node {
            label: label.into(),
            sub: sub.into(),
            field: field.into(),
            strength,
            when: when.into(),
        }
    }

    /// 1 型糖尿病のこどもの例（15 件）。
    pub(super) fn sample_nodes() -> Vec<Node> {
        vec![
            node(
                "主治医 佐藤先生",
                "デモ市立こども病院 小児科",
                "医療",
                3,
                "血糖値が不安定な時・受診の相談",
            ),
            node("母", "", "家族", 3, "毎日の見守り"),
            node(
                "担任 田中先生",
                "デモ市立第一小学校",
                "教育",
                2,
                "学校での体調変化",
            ),
            node("父", "", "家族", 2, "送迎・週末"),
            node("妹", "5歳", "家族", 2, ""),
            node("祖母", "市内在住", "家族", 1, "母の仕事が遅い日"),
            node(
                "糖尿病看護認定看護師",
                "デモ市立こども病院",
                "医療",
                2,
                "インスリン手技の相談",
            ),
            node(
                "養護教諭",
                "デモ市立第一小学校",
                "教育",
                3,
                "補食・低血糖時の対応",
            ),
            node(
                "地区担当保健師",
                "デモ市保健センター",
                "行政",
                2,
                "制度や手続きの相談",
            ),
            node(
                "自立支援員",
                "デモ市小児慢性特定疾病児童等自立支援事業",
                "総合支援",
                3,
                "困った時いつでも",
            ),
            node(
                "つぼみの会（1型糖尿病の子と家族の会）",
                "",
                "家族会・患者会",
                2,
                "同じ病気の家族と話したい時",
            ),
            node(
                "放課後等デイサービス ひまわり",
                "週2回",
                "障害",
                1,
                "放課後の過ごし方",
            ),
            node("スクールカウンセラー", "", "教育", 0, "学校に行きづらい時"),
            node(
                "サッカークラブのコーチ",
                "地域クラブ",
                "友人・地域",
                2,
                "運動時の補食",
            ),
            node(
                "調剤薬局",
                "こども薬局 駅前店",
                "医療",
                1,
                "薬・物品の受け取り",
            ),
        ]
    }

    fn assert_safe(svg: &str) {
        check_xml(svg).unwrap_or_else(|e| panic!("invalid XML: {e}"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(!svg.contains("style="), "style attribute found");
        assert!(!svg.contains("<style"), "style element found");
        assert!(!svg.contains("<script"), "script found");
        assert!(!svg.contains("href"), "external reference found");
        assert!(!svg.contains("url("), "url() found");
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "non-finite number"
        );
        assert_eq!(
            svg.matches("http").count(),
            1,
            "only the SVG namespace may be a URL"
        );
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\""));
        assert!(svg.contains("<title>"));
    }

    fn first_pos(svg: &str, needle: &str) -> usize {
        // <desc> は本文より前にあるので、関係先の <g><title> 以降で探す
        let body = svg
            .find("<g text-anchor=\"middle\"><g>")
            .expect("node layer");
        body + svg[body..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not found"))
    }

    fn many(n: usize, fields: &[&str]) -> Vec<Node> {
        (0..n)
            .map(|i| {
                node(
                    &format!("関係機関{}番の長い名前です", i + 1),
                    "所属の名前もそこそこ長い",
                    fields[i % fields.len()],
                    (i % 4) as u8,
                    "",
                )
            })
            .collect()
    }

    #[test]
    fn escapes_user_text() {
        let evil = "<script>alert(\"x\")</script>&'";
        let nodes = vec![node(evil, evil, evil, 2, evil)];
        let svg = render(evil, &nodes);
        assert_safe(&svg);
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("alert(\"x\")"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("&amp;"));
        assert!(svg.contains("&quot;") || svg.contains("&#39;"));
    }

    #[test]
    fn control_characters_are_removed() {
        let nodes = vec![node("母\u{0}\u{1b}です\n", "続\r\n柄", "家族", 3, "\u{7}")];
        let svg = render("たろう\u{0}", &nodes);
        assert_safe(&svg);
        assert!(!svg.contains('\u{0}') && !svg.contains('\u{1b}') && !svg.contains('\u{7}'));
    }

    #[test]
    fn summary_has_count_and_name() {
        let svg = render("たろう（8歳）", &sample_nodes());
        assert_safe(&svg);
        assert!(svg.contains("aria-label=\"たろう（8歳）の頼れる人マップ：15件\""));
        assert!(svg.contains("<title>たろう（8歳）の頼れる人マップ：15件</title>"));
        assert!(svg.contains("<desc>"));
        assert_eq!(
            svg.matches("<rect x=").count() - 1,
            15 + layout(&sample_nodes()).captions.len()
        );
    }

    #[test]
    fn grouped_in_field_order() {
        let svg = render("たろう（8歳）", &sample_nodes());
        let mother = first_pos(&svg, "<title>母");
        let doctor = first_pos(&svg, "<title>主治医");
        let teacher = first_pos(&svg, "<title>担任");
        let nurse = first_pos(&svg, "<title>糖尿病看護");
        let yogo = first_pos(&svg, "<title>養護教諭");
        assert!(mother < doctor && doctor < nurse && nurse < teacher && teacher < yogo);
        // 家族の扇形が真上に来る
        let l = layout(&sample_nodes());
        let fam: Vec<&Placed> = l.placed.iter().filter(|p| p.field == "家族").collect();
        let mid = (fam[0].phi + fam[fam.len() - 1].phi) / 2.0;
        assert!(
            (mid + TAU / 4.0).abs() < 3f64.to_radians(),
            "family centred at top: {mid}"
        );
        // 各分野の角度が連続している（分野ごとの扇形）
        let mut prev = f64::NEG_INFINITY;
        for p in &l.placed {
            assert!(p.phi > prev);
            prev = p.phi;
        }
        assert!(prev - l.placed[0].phi < TAU);
    }

    #[test]
    fn unknown_fields_go_last() {
        let nodes = vec![
            node("謎の機関", "", "宇宙", 2, ""),
            node("友だち", "", "友人・地域", 2, ""),
            node("その他の人", "", "その他", 2, ""),
            node("母", "", "家族", 2, ""),
        ];
        let l = layout(&nodes);
        let order: Vec<&str> = l.placed.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(order, ["家族", "友人・地域", "その他", "宇宙"]);
    }

    #[test]
    fn one_ring_up_to_16_two_rings_above() {
        let fields = ["家族", "医療", "教育", "福祉"];
        let svg16 = render("本人", &many(16, &fields));
        assert_eq!(layout(&many(16, &fields)).rings.len(), 1);
        let guides =
            |svg: &str| svg.matches("<ellipse").count() + svg.matches("<path d=\"M").count();
        assert_eq!(guides(&svg16), 1);
        let l17 = layout(&many(17, &fields));
        assert_eq!(l17.rings.len(), 2);
        assert!(l17.placed.iter().any(|p| p.inner));
        let svg17 = render("本人", &many(17, &fields));
        assert_eq!(guides(&svg17), 2);
        assert_safe(&svg17);
    }

    fn assert_clean_layout(l: &Layout, what: &str) {
        let fmt = l.fmt;
        let boxes: Vec<Rect> = l
            .placed
            .iter()
            .map(|p| Rect::centered(p.x, p.y, fmt.w, fmt.h))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a.l >= 0.0 && a.r <= W && a.t >= 0.0 && a.b <= LEGEND_TOP,
                "{what}: box {i} outside: {a:?}"
            );
            assert!(
                !a.overlaps(&TITLE_RECT, 0.0),
                "{what}: box {i} hits the title"
            );
            // 本人の円と重ならない
            let nx = CX.clamp(a.l, a.r);
            let ny = CY.clamp(a.t, a.b);
            assert!(
                ((nx - CX).powi(2) + (ny - CY).powi(2)).sqrt() > fmt.child_r + 8.0,
                "{what}: box {i} hits child"
            );
            for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                assert!(!a.overlaps(b, 2.0), "{what}: boxes {i} and {j} overlap");
            }
            for c in &l.captions {
                let r = Rect::centered(c.x, c.y, c.w, c.h);
                assert!(
                    !a.overlaps(&r, 1.0),
                    "{what}: caption {} overlaps box {i}",
                    c.field
                );
            }
        }
        for (i, c) in l.captions.iter().enumerate() {
            let r = Rect::centered(c.x, c.y, c.w, c.h);
            assert!(
                r.inside_canvas(),
                "{what}: caption {} outside canvas",
                c.field
            );
            for d in l.captions.iter().skip(i + 1) {
                assert!(
                    !r.overlaps(&Rect::centered(d.x, d.y, d.w, d.h), 1.0),
                    "{what}: captions overlap"
                );
            }
        }
        // 線が他の枠を横切らない
        for (i, p) in l.placed.iter().enumerate() {
            let ((x0, y0), (x1, y1)) = link_ends(p, fmt);
            for (j, b) in boxes.iter().enumerate() {
                if i != j {
                    assert!(
                        !segment_hits_rect(x0, y0, x1, y1, b.l, b.t, b.r, b.b),
                        "{what}: line {i} crosses box {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn layouts_never_overlap() {
        let all: Vec<&str> = FIELD_ORDER.to_vec();
        let sets: Vec<Vec<&str>> = vec![
            vec!["家族"],
            vec!["家族", "医療"],
            vec!["家族", "医療", "教育"],
            all.clone(),
            vec!["医療", "医療", "医療", "家族", "教育", "行政"],
            vec![
                "家族",
                "家族会・患者会",
                "友人・地域",
                "未知の分野名がとても長い場合",
            ],
        ];
        for fields in &sets {
            for n in 1..=40 {
                let nodes = many(n, fields);
                let l = layout(&nodes);
                assert_eq!(l.placed.len(), n);
                assert_clean_layout(&l, &format!("n={n} fields={fields:?}"));
            }
        }
        // 分野ごとに固めた並び（先頭の分野に集中）
        for n in 1..=40 {
            let mut nodes = many(n, &["家族"]);
            for (i, nd) in nodes.iter_mut().enumerate() {
                nd.field = all[(i * 12 / n.max(1)).min(11)].to_string();
            }
            assert_clean_layout(&layout(&nodes), &format!("blocks n={n}"));
        }
    }

    #[test]
    fn more_than_40_still_renders() {
        for n in [41, 60] {
            let svg = render("本人", &many(n, &FIELD_ORDER));
            assert_safe(&svg);
            assert!(svg.contains(&format!("：{n}件")));
        }
        // 極端に長い名前でもすぐ終わり、枠からはみ出さない
        let long = "あ".repeat(5000);
        let svg = render(&long, &[node(&long, &long, "医療", 2, &long)]);
        assert_safe(&svg);
        let l = wrap_label(&long, 8.2);
        assert!(l.len() == 2 && l.iter().all(|x| text_em(x) <= 8.2));
    }

    #[test]
    fn empty_map() {
        let svg = render("はなこ（3歳）", &[]);
        assert_safe(&svg);
        assert!(svg.contains("：0件"));
        assert!(svg.contains("登録された関係先はまだありません"));
    }

    #[test]
    fn deterministic() {
        assert_eq!(
            render("たろう", &sample_nodes()),
            render("たろう", &sample_nodes())
        );
        let m = many(33, &FIELD_ORDER);
        assert_eq!(render("たろう", &m), render("たろう", &m));
    }

    #[test]
    fn worksheet() {
        let svg = render_blank_worksheet();
        assert_safe(&svg);
        assert!(svg.contains("頼れる人マップ（ワークシート）"));
        assert!(svg.contains(">本人<"));
        for col in [
            "関係機関名",
            "名前",
            "所属",
            "連絡先",
            "どんな時に連絡",
            "強み",
            "実施できること",
        ] {
            assert!(svg.contains(&format!(">{col}<")), "{col}");
        }
        // 中央の円 + 8 枠
        assert_eq!(svg.matches("rx=\"10\"/>").count(), 8);
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap_label("母", 8.0), vec!["母"]);
        assert_eq!(
            wrap_label("デモ市立こども病院", 8.0),
            vec!["デモ市立", "こども病院"]
        );
        assert_eq!(wrap_label("たろう（8歳）", 6.0), vec!["たろう", "（8歳）"]);
        let long = wrap_label("国立研究開発法人国立成育医療研究センター", 8.0);
        assert_eq!(long.len(), 2);
        for l in &long {
            assert!(text_em(l) <= 8.0, "{l}");
        }
        assert!(long[1].ends_with('…'));
        for s in [
            "放課後等デイサービス ひまわり",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
            "あ",
            "ー長音から始まる名前です",
            "（括弧）（括弧）（括弧）（括弧）",
        ] {
            let w = wrap_label(s, 7.4);
            assert!(w.len() <= 2);
            assert!(
                w.iter().all(|l| text_em(l) <= 7.4 && !l.is_empty()),
                "{s}: {w:?}"
            );
        }
        assert_eq!(truncate_em("あいうえおかきくけこ", 5.0), "あいうえ…");
        // 語の途中で切るより、少し小さくして 1 行に
        let (lines, font) = fit_label("スクールカウンセラー", 8.2 * 13.0, 114.0, 13.0);
        assert_eq!(lines, vec!["スクールカウンセラー"]);
        assert!(font < 13.0 && font * 10.0 <= 114.0);
        let (lines, _) = fit_label("放課後等デイサービス ひまわり", 7.5 * 12.0, 94.0, 12.0);
        assert!(!lines[1].starts_with('ー'), "{lines:?}");
        for long in [
            "国立研究開発法人国立成育医療研究センター",
            "とても長い名前の関係機関がここに入ります、さらに続きます",
        ] {
            let (lines, font) = fit_label(long, 8.2 * 13.0, 114.0, 13.0);
            assert!(lines.len() == 2 && font >= 13.0 * 0.84, "{lines:?}");
            assert!(
                lines.iter().all(|l| text_em(l) * font <= 114.0 + 1e-9),
                "{lines:?}"
            );
        }
        let (lines, font) = fit_label("母", 8.2 * 13.0, 114.0, 13.0);
        assert_eq!((lines, font), (vec!["母".to_string()], 13.0));
    }

    #[test]
    fn number_format() {
        assert_eq!(f(12.0), "12");
        assert_eq!(f(12.04), "12");
        assert_eq!(f(-0.04), "0");
        assert_eq!(f(3.25), "3.3");
    }
}
