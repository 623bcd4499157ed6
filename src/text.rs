//! Text normalisation for Japanese input: NFKC (全角英数 → 半角, 半角カナ → 全角),
//! and a search key that also folds case, カタカナ → ひらがな and drops spaces.

use unicode_normalization::UnicodeNormalization;

/// NFKC: ＡＢＣ１２３ → ABC123, ｶﾀｶﾅ → カタカナ, 全角スペース → space.
pub fn nfkc(s: &str) -> String {
    s.nfkc().collect()
}

/// Normalises a form field: NFKC, trimmed, runs of whitespace kept as one space.
pub fn clean(s: &str) -> String {
    nfkc(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a login or code: NFKC, trimmed, lower case.
pub fn clean_login(s: &str) -> String {
    nfkc(s).trim().to_lowercase()
}

/// カタカナ → ひらがな (ァ..ヶ map to ぁ..ゖ; ー and others unchanged).
pub fn kata_to_hira(c: char) -> char {
    match c {
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        'ヽ' => 'ゝ',
        'ヾ' => 'ゞ',
        _ => c,
    }
}

/// The form used to match search queries: NFKC, lower case, ひらがな, no whitespace.
pub fn search_key(s: &str) -> String {
    nfkc(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_lowercase())
        .map(kata_to_hira)
        .collect()
}

/// Digits grouped by thousands: 3400000 → "3,400,000", -652000 → "-652,000".
pub fn group_digits(v: i64) -> String {
    let s = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_width() {
        assert_eq!(nfkc("ＡＢＣ１２３"), "ABC123");
        assert_eq!(nfkc("ｶﾀｶﾅ"), "カタカナ");
        assert_eq!(clean("　山田　 太郎 "), "山田 太郎");
    }

    #[test]
    fn search_key_folds_kana_case_and_spaces() {
        assert_eq!(search_key("コドモ 病院"), "こども病院");
        assert_eq!(search_key("ｺﾄﾞﾓ"), "こども");
        assert_eq!(search_key("ＮＰＯ法人"), "npo法人");
        assert_eq!(search_key("ヴ"), "ゔ");
    }

    #[test]
    fn logins_are_case_and_width_insensitive() {
        assert_eq!(clean_login(" Ｎｕｒｓｅ@Demo-City "), "nurse@demo-city");
    }
}
