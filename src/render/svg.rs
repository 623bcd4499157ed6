//! What every SVG drawing shares (the 頼れる人マップ, the network map, the charts):
//! escaping and cleaning text for XML, the width of Japanese text in em (there is no
//! font at hand on the server, so widths are estimated per character class), numbers
//! for coordinates, and the colours and order of the agencies' 分野.

/// XML エスケープ（& < > " '）。
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// XML に書けない制御文字を空白にし、空白の連続を一つにまとめて前後を削る。
pub fn clean(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            let bad = c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}');
            if bad || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 一文字の幅の目安（em）。全角 = 1、半角 = 約 0.6。
pub fn char_em(c: char) -> f64 {
    let u = c as u32;
    if c == ' ' {
        0.3
    } else if u < 0x2E80 {
        // ASCII・ラテン・記号類（… や ・ は全角扱いにしない）
        match c {
            '…' | '―' | '→' | '※' | '○' | '●' | '◎' | '△' | '□' | '■' => 1.0,
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '!' | '|' | '\'' => 0.32,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.9,
            'A'..='Z' => 0.68,
            _ => 0.6,
        }
    } else if (0xFF61..=0xFF9F).contains(&u) {
        0.5 // 半角カナ
    } else {
        1.0
    }
}

pub fn text_em(s: &str) -> f64 {
    s.chars().map(char_em).sum()
}

/// 幅 `max_em` に収まるよう末尾を「…」で切る。
pub fn truncate_em(s: &str, max_em: f64) -> String {
    if text_em(s) <= max_em {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0.0;
    for c in s.chars() {
        let cw = char_em(c);
        if w + cw + 1.0 > max_em {
            break;
        }
        out.push(c);
        w += cw;
    }
    let out = out.trim_end().to_string();
    out + "…"
}

/// 座標の書式（小数第 1 位まで、末尾の .0 は省く）。
pub fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".to_string()
    } else if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// 分野の並び順（家族が真上、以降時計回り）。ここにない分野は最後に、初出順で並ぶ。
pub const FIELD_ORDER: [&str; 12] = [
    "家族",
    "医療",
    "医療的ケア",
    "教育",
    "福祉",
    "障害",
    "就労",
    "行政",
    "家族会・患者会",
    "総合支援",
    "友人・地域",
    "その他",
];

/// 分野ごとの（線色, 塗り色）。塗りは淡色で、文字は常に濃色（#1F2328）を使う。
pub fn field_colors(field: &str) -> (&'static str, &'static str) {
    match field {
        "家族" => ("#CC6677", "#FBE4E8"),
        "医療" => ("#3F74B5", "#DFE9F7"),
        "医療的ケア" => ("#2F93B0", "#DCF1F7"),
        "教育" => ("#2E8B57", "#DFF1E6"),
        "福祉" => ("#C49A1E", "#FBF1D3"),
        "障害" => ("#AA4499", "#F4E1F1"),
        "就労" => ("#86862B", "#EFEFD6"),
        "行政" => ("#5B6770", "#E7EBEE"),
        "家族会・患者会" => ("#3E9E8F", "#DDF2EE"),
        "総合支援" => ("#5C4DA8", "#E6E2F6"),
        "友人・地域" => ("#D9722E", "#FCE7D9"),
        _ => ("#858585", "#F1F1F1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cleans() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(clean(" a\u{0}\tb \n c "), "a b c");
    }

    #[test]
    fn measures_japanese_wider_than_latin() {
        assert_eq!(text_em("漢字"), 2.0);
        assert!(text_em("ab") < 1.3);
        assert_eq!(truncate_em("とても長い名前の機関", 5.0), "とても長…");
        assert_eq!(num(1.26), "1.3");
        assert_eq!(num(2.0), "2");
    }
}
