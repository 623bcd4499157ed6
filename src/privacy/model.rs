//! The rules of retention, closing a case and erasure on request, without I/O: the
//! retention setting (1–30 years), when a closed case may be deleted, the reasons a
//! case is closed for, the erasure form's checks, and the spellings of a name that are
//! masked in text yorube wrote itself (the contractors' monthly reports).

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Deserialize;

use crate::error::FieldError;
use crate::{text, time, validate};

pub const RETENTION_MIN: i64 = 1;
pub const RETENTION_MAX: i64 = 30;
/// What a tenant keeps until its administrator says otherwise (migration 0016).
pub const RETENTION_DEFAULT: i64 = 5;

/// `children.status` of a case whose support goes on, and of a closed one (終結).
pub const ACTIVE: &str = "active";
pub const CLOSED: &str = "closed";

pub fn status_label(s: &str) -> &'static str {
    match s {
        ACTIVE => "支援中",
        CLOSED => "終結",
        _ => "",
    }
}

/// What the retention form sends: what was typed, so that it comes back with the message.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionForm {
    pub retention_years: String,
}

impl RetentionForm {
    /// The number of years (全角 digits and a trailing 年 are accepted).
    pub fn parse(&self) -> Result<i64, FieldError> {
        let field = "retention_years";
        let s = text::nfkc(&self.retention_years);
        let s = s.trim();
        let s = s.strip_suffix('年').unwrap_or(s).trim();
        if s.is_empty() {
            return Err(FieldError::new(
                field,
                "保存期間を年数で入力してください（1〜30）。",
            ));
        }
        let Some(n) = s
            .chars()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse::<i64>().ok())
            .flatten()
        else {
            return Err(FieldError::new(
                field,
                format!("保存期間は数字で入力してください（例: 5）。入力された値: {s}"),
            ));
        };
        if !(RETENTION_MIN..=RETENTION_MAX).contains(&n) {
            return Err(FieldError::new(
                field,
                format!(
                    "保存期間は {RETENTION_MIN} 年から {RETENTION_MAX} 年の間で入力してください（入力された値: {n} 年）。"
                ),
            ));
        }
        Ok(n)
    }
}

/// `t` moved back by `years` years (29 February becomes 28 February).
pub fn years_before(t: DateTime<Utc>, years: i64) -> DateTime<Utc> {
    let months = u32::try_from(years.clamp(0, 1000) * 12).unwrap_or(0);
    t.checked_sub_months(Months::new(months)).unwrap_or(t)
}

/// The stored form of the moment before which a closed case has been kept `years`
/// years: cases closed (and last changed) before it may be deleted.
pub fn cutoff(now: DateTime<Utc>, years: i64) -> String {
    time::to_db(years_before(now, years))
}

/// Since when a closed case counts as closed: the later of its closing and its last
/// change (an edit after closing starts the period again). None while it is open.
pub fn closed_since(status: &str, closed_at: Option<&str>, updated_at: &str) -> Option<String> {
    if status != CLOSED {
        return None;
    }
    let closed = closed_at?;
    Some(if updated_at > closed {
        updated_at.to_string()
    } else {
        closed.to_string()
    })
}

/// The first day (in Japan) on which `yorube purge` deletes a case closed since `since`.
pub fn deletable_from(since: &str, years: i64) -> Option<NaiveDate> {
    let t = time::from_db(since)?;
    let months = u32::try_from(years.clamp(0, 1000) * 12).ok()?;
    let end = t.checked_add_months(Months::new(months))?;
    Some(end.with_timezone(&time::jst()).date_naive() + chrono::Duration::days(1))
}

/// Why a case was closed (終結の理由). A fixed list: the reason goes into the audit
/// log, which must never hold anything personal.
pub const CLOSE_REASONS: [(&str, &str); 6] = [
    ("age", "年齢到達（20歳）"),
    ("moved", "転出"),
    ("improved", "治癒・軽快"),
    ("wish", "本人・家族の希望"),
    ("deceased", "死亡"),
    ("other", "その他"),
];

pub fn close_reason_label(k: &str) -> &'static str {
    CLOSE_REASONS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    pub reason: String,
}

impl CloseForm {
    pub fn parse(&self) -> Result<&'static str, FieldError> {
        CLOSE_REASONS
            .iter()
            .find(|(k, _)| *k == self.reason.trim())
            .map(|(k, _)| *k)
            .ok_or_else(|| FieldError::new("reason", "終結の理由を選んでください。"))
    }
}

/// The erasure request: why (typed) and the child's name typed again.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    pub reason: String,
    pub confirm_name: String,
}

pub const REASON_MAX: usize = 200;

impl EraseForm {
    /// The reason as it goes into the audit log, once the name typed matches the
    /// record's (`name`, spaces and 全角/半角 aside) and the reason names nobody of
    /// the record (`names`: the child's name and reading, the family's names).
    pub fn check(&self, name: &str, names: &[String]) -> Result<String, Vec<FieldError>> {
        let mut errs = vec![];
        // As typed (全角 kept), on one line with single spaces.
        let reason = self.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        if reason.is_empty() {
            errs.push(FieldError::new(
                "reason",
                "削除の理由を入力してください（例: 本人・家族からの削除の請求（令和8年1月20日受付））。",
            ));
        } else {
            validate::check_line(&mut errs, "reason", &reason, REASON_MAX);
            if mentions(&reason, names) {
                errs.push(FieldError::new(
                    "reason",
                    "理由に氏名を書かないでください（監査ログに残るため）。受付番号や受付日で記録してください。",
                ));
            }
        }
        if text::clean(&self.confirm_name).is_empty() {
            errs.push(FieldError::new(
                "confirm_name",
                "確認のため、子どもの氏名を入力してください。",
            ));
        } else if !same_name(&self.confirm_name, name) {
            errs.push(FieldError::new(
                "confirm_name",
                "入力された氏名が記録の氏名と一致しません。記録の氏名をそのまま入力してください。",
            ));
        }
        if errs.is_empty() {
            Ok(reason)
        } else {
            Err(errs)
        }
    }
}

/// Whether a name typed matches the stored one (NFKC, spaces, case and カナ aside).
pub fn same_name(typed: &str, stored: &str) -> bool {
    let k = text::search_key(typed);
    !k.is_empty() && k == text::search_key(stored)
}

/// Whether `s` contains any of `names` (of two characters or more), compared as
/// `same_name` compares.
pub fn mentions(s: &str, names: &[String]) -> bool {
    let hay = text::search_key(s);
    names
        .iter()
        .map(|n| text::search_key(n))
        .any(|n| n.chars().count() >= 2 && hay.contains(&n))
}

/// What a masked name reads as: 「・○○さん（相談 3 件）」.
pub const MASK: &str = "○○";

/// The spellings of names to mask in other records' text: each name as stored and
/// without its spaces, when it has at least `min_chars` characters (so that a short
/// family name alone never masks part of someone else's name).
pub fn spellings(names: &[String], min_chars: usize) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for n in names {
        let n = n.trim();
        let joined: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        if joined.chars().count() < min_chars {
            continue;
        }
        for s in [n.to_string(), joined] {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    // Longer first, so that 山田 太郎 is masked before a shorter spelling inside it.
    out.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn years(s: &str) -> Result<i64, String> {
        RetentionForm {
            retention_years: s.into(),
        }
        .parse()
        .map_err(|e| e.message)
    }

    #[test]
    fn retention_is_one_to_thirty_years() {
        assert_eq!(years("5"), Ok(5));
        assert_eq!(years(" １０ "), Ok(10));
        assert_eq!(years("30年"), Ok(30));
        assert!(years("").unwrap_err().contains("年数で入力"));
        assert!(years("0").unwrap_err().contains("1 年から 30 年"));
        assert!(years("31").unwrap_err().contains("入力された値: 31 年"));
        assert!(years("五").unwrap_err().contains("数字で入力"));
        assert!(years("-3").unwrap_err().contains("数字で入力"));
        assert!(years("99999999999999999999").is_err());
    }

    #[test]
    fn a_closed_case_counts_from_its_last_change() {
        let closed = "2020-04-01T00:00:00.000000Z";
        assert_eq!(closed_since("active", Some(closed), closed), None);
        assert_eq!(closed_since("closed", None, closed), None);
        assert_eq!(
            closed_since("closed", Some(closed), "2019-01-01T00:00:00.000000Z").as_deref(),
            Some(closed)
        );
        let later = "2021-06-01T00:00:00.000000Z";
        assert_eq!(
            closed_since("closed", Some(closed), later).as_deref(),
            Some(later)
        );
        // Closed 2020-04-01 09:00 JST, kept 5 years: deletable from 2025-04-02.
        assert_eq!(
            deletable_from(closed, 5),
            NaiveDate::from_ymd_opt(2025, 4, 2)
        );
        let now = time::from_db("2026-02-28T12:00:00.000000Z").unwrap();
        assert_eq!(cutoff(now, 5), "2021-02-28T12:00:00.000000Z");
        let leap = time::from_db("2028-02-29T00:00:00.000000Z").unwrap();
        assert_eq!(cutoff(leap, 1), "2027-02-28T00:00:00.000000Z");
    }

    #[test]
    fn erasure_needs_the_name_again_and_a_reason_without_it() {
        let names = vec!["山田 太郎".to_string(), "やまだ たろう".to_string()];
        let f = |reason: &str, confirm: &str| {
            EraseForm {
                reason: reason.into(),
                confirm_name: confirm.into(),
            }
            .check("山田 太郎", &names)
        };
        assert_eq!(
            f("削除の請求（受付番号 12）", "山田太郎").unwrap(),
            "削除の請求（受付番号 12）"
        );
        assert!(f("請求", "山田　太郎").is_ok());
        let e = f("", "山田 次郎").unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[1].message.contains("一致しません"));
        let e = f("山田太郎さんの母から請求", "山田 太郎").unwrap_err();
        assert!(e[0].message.contains("氏名を書かないで"), "{e:?}");
        let e = f("ヤマダタロウ本人の請求", "山田 太郎").unwrap_err();
        assert!(e[0].message.contains("氏名を書かないで"), "{e:?}");
        assert_eq!(f("請求\n 2行目", "山田 太郎").unwrap(), "請求 2行目");
        assert!(f("請求\u{200b}", "山田 太郎").is_err());
        assert!(f("請求", "").unwrap_err()[0].message.contains("氏名を入力"));
    }

    #[test]
    fn names_are_masked_in_full_only() {
        let s = spellings(&["山田 太郎".into(), "山田".into(), "  ".into()], 3);
        assert_eq!(s, vec!["山田 太郎".to_string(), "山田太郎".to_string()]);
        assert_eq!(spellings(&["林 光".into()], 2), vec!["林 光", "林光"]);
    }

    #[test]
    fn closing_takes_a_listed_reason() {
        let f = |r: &str| CloseForm { reason: r.into() }.parse();
        assert_eq!(f("moved").ok(), Some("moved"));
        assert!(f("山田さんが転居").is_err());
        assert_eq!(close_reason_label("age"), "年齢到達（20歳）");
    }
}
