//! Field checks shared by the store modules: each adds Japanese messages to the list of
//! field errors, so that one submission reports every problem at once.
//!
//! `unsafe_text` is the one check every stored text passes: characters that cannot be
//! seen or that change how the text around them is shown (NUL and other control
//! characters, bidi overrides, zero-width characters), markup and formulas. Markup is
//! also looked for in the NFKC form, so that full-width `＜script＞` or
//! `ｊａｖａｓｃｒｉｐｔ：` is caught like the half-width text it becomes when any later
//! step normalises it.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::error::FieldError;
use crate::{text, time};

/// What is wrong with `s` as stored text, in Japanese, or None. Tab and newlines (LF, CR,
/// U+2028/U+2029) are allowed here, for multi-line fields; `check_line` refuses them for
/// single-line ones.
pub fn unsafe_text(s: &str) -> Option<Cow<'static, str>> {
    if let Some(m) = bad_char(s) {
        return Some(Cow::Owned(m));
    }
    if let Some(m) = markup(s) {
        return Some(Cow::Borrowed(m));
    }
    if !s.is_ascii() {
        // NFKC: ＜ → <, ｊａｖａｓｃｒｉｐｔ： → javascript:, ＝ → =.
        if let Some(m) = markup(&text::nfkc(s)) {
            return Some(Cow::Borrowed(m));
        }
    }
    None
}

/// Markup, `javascript:` and formulas in `s` as it is (the caller also passes its NFKC form).
fn markup(s: &str) -> Option<&'static str> {
    let lower = s.to_lowercase();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            if let Some(n) = chars.peek() {
                if n.is_ascii_alphabetic() || *n == '/' || *n == '!' || *n == '?' {
                    return Some("HTMLのタグ（< や ＜ で始まる記述）は入力できません。");
                }
            }
        }
    }
    // Browsers drop tabs and newlines inside a URL's scheme: "java\nscript:" runs too.
    if lower.contains("script:") || lower.contains(['\t', '\n', '\r']) {
        let joined: String = lower
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        if joined.contains("javascript:") {
            return Some(
                "「javascript:」を含む文字列は入力できません（全角で書いた場合も同じです）。",
            );
        }
    }
    if s.starts_with('=') {
        return Some("「=」で始まる値（数式）は入力できません。");
    }
    None
}

/// The first character of `s` that must not be stored, described in Japanese.
fn bad_char(s: &str) -> Option<String> {
    // Fast path: printable ASCII, tab and newlines only.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut rtl: Option<bool> = None;
    for (i, &c) in chars.iter().enumerate() {
        let at = i + 1;
        let code = c as u32;
        if c == '\0' {
            return Some(format!(
                "使えない文字（NUL 文字 U+0000、{at}文字目）が含まれています。"
            ));
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            return Some(format!(
                "改行・タブ以外の制御文字（U+{code:04X}、{at}文字目）は入力できません。"
            ));
        }
        if matches!(code, 0x202A..=0x202E | 0x2066..=0x2069) {
            return Some(format!(
                "文字の向きを変える制御文字（U+{code:04X}、{at}文字目）は入力できません。"
            ));
        }
        if matches!(code, 0x200E | 0x200F | 0x061C)
            && !*rtl.get_or_insert_with(|| chars.iter().any(|&c| is_rtl_letter(c)))
        {
            // Direction marks have a use only beside right-to-left letters.
            return Some(format!(
                "文字の向きを指定する見えない文字（U+{code:04X}、{at}文字目）は入力できません。"
            ));
        }
        if is_invisible(c) && !(c == '\u{200D}' && joins_emoji(&chars, i)) {
            let name = invisible_name(c);
            return Some(format!(
                "目に見えない文字（{name}U+{code:04X}、{at}文字目）が含まれています。その部分を消して入力し直してください。"
            ));
        }
    }
    None
}

/// Characters that show nothing and are used to hide or disguise text (zero-width
/// characters, fillers, tags). Variation selectors are kept: 異体字 (IVS) in names need them.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180E
        | 0x200B..=0x200D | 0x2060..=0x2064 | 0x206A..=0x206F
        | 0x3164 | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB | 0xE0000..=0xE007F)
}

fn invisible_name(c: char) -> &'static str {
    match c {
        '\u{200B}' => "ゼロ幅スペース ",
        '\u{200C}' => "ゼロ幅非接合子 ",
        '\u{200D}' => "ゼロ幅接合子 ",
        '\u{2060}' => "単語結合子 ",
        '\u{FEFF}' => "BOM ",
        '\u{00AD}' => "ソフトハイフン ",
        '\u{3164}' | '\u{FFA0}' | '\u{115F}' | '\u{1160}' => "ハングルの埋め草文字 ",
        _ => "",
    }
}

/// Hebrew, Arabic and the other right-to-left scripts.
fn is_rtl_letter(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFC | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// U+200D between two pictographs (👨‍👩‍👧, 🏳️‍🌈) is part of one emoji, not hidden text.
fn joins_emoji(chars: &[char], i: usize) -> bool {
    let before = i
        .checked_sub(1)
        .and_then(|j| chars.get(j))
        .is_some_and(|&c| {
            is_pictograph(c) || c == '\u{FE0F}' || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
        });
    let after = chars.get(i + 1).is_some_and(|&c| is_pictograph(c));
    before && after
}

fn is_pictograph(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF)
}

/// Refuses hidden or control characters, HTML tags, `javascript:` and formula-like text,
/// and text longer than `max_chars`, for each (field, value).
pub fn check_texts(errs: &mut Vec<FieldError>, items: &[(&str, &str)], max_chars: usize) {
    for (k, v) in items {
        check_text(errs, k, v, max_chars);
    }
}

/// `check_texts` with a limit per field: (field, value, longest allowed).
pub fn check_texts_each(errs: &mut Vec<FieldError>, items: &[(&str, &str, usize)]) {
    for (k, v, max) in items {
        check_text(errs, k, v, *max);
    }
}

/// `check_texts` for one field (multi-line: tab and newlines allowed).
pub fn check_text(errs: &mut Vec<FieldError>, field: &str, value: &str, max_chars: usize) {
    if let Some(m) = unsafe_text(value) {
        errs.push(FieldError::new(field, m));
    }
    if value.chars().count() > max_chars {
        errs.push(FieldError::new(
            field,
            format!("長すぎます（{max_chars}文字まで）。"),
        ));
    }
}

/// `check_text` for a single-line field (a name, a phone number, a title): tab and
/// newlines are refused too.
pub fn check_line(errs: &mut Vec<FieldError>, field: &str, value: &str, max_chars: usize) {
    check_text(errs, field, value, max_chars);
    if value.contains(['\t', '\n', '\r', '\u{2028}', '\u{2029}']) {
        errs.push(FieldError::new(
            field,
            "改行やタブは入力できません（1行で入力してください）。",
        ));
    }
}

/// An optional date typed as 西暦 or 和暦: None when blank, or (with a message) when
/// it cannot be read.
pub fn opt_date(
    field: &str,
    label: &str,
    s: &str,
    errs: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    if s.trim().is_empty() {
        return None;
    }
    let d = time::parse_date(s);
    if d.is_none() {
        errs.push(FieldError::new(
            field,
            format!("{label}は 2026-04-01 や 令和8年4月1日 の形で入力してください。"),
        ));
    }
    d
}

/// `opt_date` as stored: YYYY-MM-DD.
pub fn opt_date_db(
    field: &str,
    label: &str,
    s: &str,
    errs: &mut Vec<FieldError>,
) -> Option<String> {
    opt_date(field, label, s, errs).map(|d| d.format("%Y-%m-%d").to_string())
}

// ---------------------------------------------------------------- passwords

/// The shortest password accepted.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// The longest (argon2 hashes any length; this keeps a sign-in request small).
pub const PASSWORD_MAX_CHARS: usize = 256;

/// The common passwords a new password must not be (data/common-passwords.txt, made by
/// scripts/common-passwords.sh from the `passwords` list of the npm package zxcvbn).
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Runs along a keyboard row or the alphabet ("qwertyuiopas", "abcdefghijkl", "987654321098").
fn is_sequence(lower: &str) -> bool {
    const RUNS: [&str; 3] = [
        "qwertyuiopasdfghjklzxcvbnm",
        "abcdefghijklmnopqrstuvwxyz",
        "123456789012345678901234567890",
    ];
    let rev: String = lower.chars().rev().collect();
    RUNS.iter()
        .any(|r| r.contains(lower) || r.contains(rev.as_str()))
}

/// Checks a new password (on create, reset and change) for the user whose login is
/// `login`; the message is shown to the user. At least 12 characters; not blank, and no
/// control or invisible characters; not the login, nor the login with digits added; not a
/// common password (or one with digits and symbols added before or after); not a run of
/// keys or of the alphabet; at least 5 different characters.
pub fn new_password(password: &str, login: &str) -> Result<(), String> {
    let n = password.chars().count();
    if password
        .chars()
        .all(|c| c.is_whitespace() || is_invisible(c))
    {
        return Err("空白や目に見えない文字だけのパスワードは使えません。".into());
    }
    if let Some(c) = password.chars().find(|&c| {
        c.is_control() || is_invisible(c) || matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069)
    }) {
        return Err(format!(
            "パスワードに制御文字や目に見えない文字（U+{:04X}）は使えません。",
            c as u32
        ));
    }
    if n < PASSWORD_MIN_CHARS {
        return Err(format!(
            "パスワードは{PASSWORD_MIN_CHARS}文字以上にしてください（長い語句がおすすめです）。"
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(format!(
            "パスワードは{PASSWORD_MAX_CHARS}文字以内にしてください。"
        ));
    }
    let lower = text::nfkc(password).to_lowercase();
    // The word inside digits and symbols: "2026Password!!" → "password".
    let base = lower.trim_matches(|c: char| !c.is_alphabetic());
    let login = text::clean_login(login);
    let local = login.split('@').next().unwrap_or("");
    if (login.chars().count() >= 4 && lower.contains(&login))
        || (!local.is_empty() && base == local)
    {
        return Err("ログインIDを含むパスワードは使えません。".into());
    }
    let common = common_passwords();
    if common.contains(lower.as_str()) || (!base.is_empty() && common.contains(base)) {
        return Err(
            "よく使われているパスワード（またはそれに数字や記号を付けただけのもの）は使えません。"
                .into(),
        );
    }
    if is_sequence(&lower) {
        return Err("キーボードの並びや連続した文字だけのパスワードは使えません。".into());
    }
    let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
    if distinct.len() < 5 {
        return Err("同じ文字の繰り返しが多すぎます。5種類以上の文字を使ってください。".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_dates() {
        let mut errs = vec![];
        check_texts(
            &mut errs,
            &[
                ("a", "<script>x</script>"),
                ("b", "ふつうの文"),
                ("c", "長い文章です"),
            ],
            5,
        );
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["a", "a", "c"]);
        let mut errs = vec![];
        assert_eq!(opt_date("d", "日付", "", &mut errs), None);
        assert_eq!(
            opt_date_db("d", "日付", "令和8年4月1日", &mut errs).as_deref(),
            Some("2026-04-01")
        );
        assert!(errs.is_empty());
        assert_eq!(opt_date("d", "日付", "きのう", &mut errs), None);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("日付は"));
    }

    fn refused(s: &str) -> String {
        unsafe_text(s)
            .unwrap_or_else(|| panic!("{s:?} should be refused"))
            .into_owned()
    }

    #[test]
    fn hidden_and_control_characters_are_named() {
        assert!(refused("山田\0太郎").contains("NUL"));
        assert!(refused("山田\0太郎").contains("3文字目"));
        assert!(refused("ベル\u{7}").contains("U+0007"));
        assert!(refused("削除\u{7f}").contains("制御文字"));
        assert!(refused("C1\u{85}").contains("U+0085"));
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}',
        ] {
            assert!(
                refused(&format!("abc{c}def")).contains("文字の向き"),
                "{c:?}"
            );
        }
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{3164}',
            '\u{E0041}',
        ] {
            let m = refused(&format!("見え{c}ない"));
            assert!(
                m.contains("目に見えない文字") && m.contains("3文字目"),
                "{c:?}: {m}"
            );
        }
        assert!(refused("\u{200B}").contains("ゼロ幅スペース"));
        // Direction marks only beside right-to-left letters.
        assert!(refused("abc\u{200F}123").contains("U+200F"));
        assert_eq!(unsafe_text("שלום\u{200F} 1"), None);
        // Multi-line text, emoji and 異体字 are fine.
        assert_eq!(unsafe_text("一行目\r\n二行目\n\t字下げ"), None);
        assert_eq!(
            unsafe_text("家族 👨\u{200D}👩\u{200D}👧 と 🏳\u{FE0F}\u{200D}🌈"),
            None
        );
        assert_eq!(unsafe_text("葛\u{E0100}飾"), None);
        assert_eq!(unsafe_text("ﾊﾝｶｸ ＡＢＣ １２３ 〒100-0001"), None);
        assert_eq!(unsafe_text("1 < 2 のとき、3<4"), None);
        assert!(refused("👨\u{200D}").contains("ゼロ幅接合子"));
    }

    #[test]
    fn full_width_markup_is_caught_like_half_width() {
        for s in [
            "<script>",
            "＜script＞",
            "＜ａ href=x＞",
            "﹤img src=x﹥",
            "＜／ｄｉｖ＞",
            "＜！-- x --＞",
        ] {
            assert!(refused(s).contains("HTMLのタグ"), "{s}");
        }
        for s in [
            "javascript:alert(1)",
            "ｊａｖａｓｃｒｉｐｔ：alert(1)",
            "JavaScript:x",
            "java\tscript:x",
            "java\nscript:x",
        ] {
            assert!(refused(s).contains("javascript:"), "{s}");
        }
        assert!(refused("=1+2").contains("数式"));
        assert!(refused("＝SUM(A1)").contains("数式"));
        assert_eq!(unsafe_text("a = b"), None);
    }

    #[test]
    fn single_line_fields_refuse_tab_and_newline() {
        let mut errs = vec![];
        check_line(&mut errs, "name", "山田 太郎", 50);
        assert!(errs.is_empty());
        for v in ["山田\n太郎", "山田\t太郎", "山田\r太郎", "山田\u{2028}太郎"] {
            let mut errs = vec![];
            check_line(&mut errs, "name", v, 50);
            assert_eq!(errs.len(), 1, "{v:?}");
            assert!(errs[0].message.contains("1行で"));
        }
        let mut errs = vec![];
        check_text(&mut errs, "note", "一行目\n二行目", 50);
        assert!(errs.is_empty(), "multi-line fields keep newlines");
    }

    #[test]
    fn password_rules_refuse_what_the_review_found() {
        let refused = |p: &str, login: &str| new_password(p, login).unwrap_err();
        // The examples, and their 12-character versions.
        for p in ["password12", "qwertyuiop", "          ", "short"] {
            assert!(new_password(p, "nurse@demo-city").is_err(), "{p}");
        }
        assert!(refused("password1234", "x").contains("よく使われている"));
        assert!(refused("2026Password!!", "x").contains("よく使われている"));
        assert!(refused("qwertyuiopas", "x").contains("キーボード"));
        assert!(refused("            ", "x").contains("空白"));
        assert!(refused(&"\u{200B}".repeat(12), "x").contains("空白や目に見えない"));
        assert!(refused("kodomo\u{200B}-2026-x", "x").contains("U+200B"));
        assert!(refused("nurse@demo-city", "nurse@demo-city").contains("ログインID"));
        assert!(refused("nurse@demo-city2026", "nurse@demo-city").contains("ログインID"));
        assert!(refused("longusername99", "longusername@demo-city").contains("ログインID"));
        assert!(refused("abababababab", "x").contains("5種類"));
        assert!(refused("kodomo-2026", "x").contains("12文字"));
        // Good ones.
        for p in [
            "kodomo-2026-x",
            "test-Passw0rd-2026",
            "e2e-Passw0rd-1",
            "みんなで支える寄る辺の会",
        ] {
            assert_eq!(new_password(p, "nurse@demo-city"), Ok(()), "{p}");
        }
        assert!(common_passwords().len() > 5000);
    }
}
