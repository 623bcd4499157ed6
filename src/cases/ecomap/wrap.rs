//! Text (文字列): telling scripts apart, characters that may not start a line, and wrapping
//! labels into lines.

use crate::render::svg::clean;
use crate::render::svg::{char_em, text_em, truncate_em};

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
pub(super) fn wrap_label(s: &str, max_em: f64) -> Vec<String> {
    wrap_scored(s, max_em).0
}

/// 枠に収まるよう折り返し、文字の大きさを決める。通常は幅 `width`（em 換算で約 8 文字）で
/// 折り返すが、語の途中で折り返すか「…」で切ることになる場合は、文字を少し（最大 16%）
/// 小さくして枠の内幅 `max_width` に良い切れ目で収まるならそちらを選ぶ
/// （例：「スクールカウンセラー」を 1 行で）。
pub(super) fn fit_label(s: &str, width: f64, max_width: f64, font: f64) -> (Vec<String>, f64) {
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
