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

mod captions;
mod draw;
mod layout;
mod wrap;

pub use crate::render::svg::{clean, esc, field_colors, FIELD_ORDER};

use std::fmt::Write as _;

use self::captions::{caption_font, TITLE_MAX_EM};
use self::draw::{
    child_circle, legend, line_sample, link, node_box, node_description, open_svg, ring_guide,
    strength_name, CHILD_FILL, CHILD_STROKE,
};
use self::layout::layout;
use crate::render::svg::{num as f, truncate_em};

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

#[cfg(test)]
mod tests {
    use super::*;
    use super::{captions::*, draw::*, layout::*, wrap::*};
    use crate::cases::svg_check::check_xml;
    use crate::render::svg::text_em;

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
