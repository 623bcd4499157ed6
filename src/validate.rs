//! Field checks shared by the store modules: each adds Japanese messages to the list of
//! field errors, so that one submission reports every problem at once.

use chrono::NaiveDate;

use crate::error::FieldError;
use crate::time;

/// Whether text looks like markup or a formula; such text is refused, never stored.
pub fn unsafe_text(s: &str) -> Option<&'static str> {
    let lower = s.to_lowercase();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            if let Some(n) = chars.peek() {
                if n.is_ascii_alphabetic() || *n == '/' || *n == '!' || *n == '?' {
                    return Some("HTMLのタグ（< で始まる記述）は入力できません。");
                }
            }
        }
    }
    if lower.contains("javascript:") {
        return Some("「javascript:」を含む文字列は入力できません。");
    }
    if s.starts_with('=') {
        return Some("「=」で始まる値（数式）は入力できません。");
    }
    None
}

/// Refuses HTML tags, `javascript:` and formula-like text, and text longer than
/// `max_chars`, for each (field, value).
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

/// `check_texts` for one field.
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
}
