//! Time and calendar helpers: timestamps are stored in UTC as fixed-width RFC 3339
//! text (sortable in both engines) and shown in Asia/Tokyo (UTC+9, no DST);
//! dates are shown in 西暦 or 和暦; the fiscal year runs April to March.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Stored form of a timestamp: `2026-11-26T01:41:57.123456Z`.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now_db() -> String {
    to_db(now())
}

pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The day in Japan of a stored (UTC) timestamp.
pub fn jst_date_of_db(s: &str) -> Option<NaiveDate> {
    from_db(s).map(|t| t.with_timezone(&jst()).date_naive())
}

pub fn in_db(d: Duration) -> String {
    to_db(now() + d)
}

pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

pub fn today_jst() -> NaiveDate {
    now().with_timezone(&jst()).date_naive()
}

/// A local time in Japan as meetings keep it (2026-01-20T14:00, or a date alone) in
/// 和暦: 令和8年1月20日 14:00.
pub fn format_local_stamp(s: &str) -> String {
    match (
        s.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        s.get(11..16),
    ) {
        (Some(d), Some(t)) => format!("{} {t}", format_wareki(d)),
        (Some(d), None) => format_wareki(d),
        _ => s.to_string(),
    }
}

/// The stored (UTC) form of 00:00 in Japan on `d` (the start of that day in JST).
pub fn jst_midnight_db(d: NaiveDate) -> String {
    to_db((d.and_hms_opt(0, 0, 0).expect("midnight") - Duration::hours(9)).and_utc())
}

/// The stored (UTC) form of a local time in Japan written `2026-01-20T14:00`, as
/// meetings keep their start: `2026-01-20T05:00:00.000000Z`.
pub fn jst_local_to_db(local: &str) -> Option<String> {
    let t = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").ok()?;
    Some(to_db((t - Duration::hours(9)).and_utc()))
}

/// 2026年11月26日 10:41 (JST) from a stored timestamp.
pub fn format_datetime(s: &str) -> String {
    match from_db(s) {
        Some(t) => {
            let l = t.with_timezone(&jst());
            format!(
                "{}年{}月{}日 {}",
                l.year(),
                l.month(),
                l.day(),
                l.format("%H:%M")
            )
        }
        None => s.to_string(),
    }
}

/// 2026年11月26日
pub fn format_seireki(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

struct Era {
    name: &'static str,
    start: (i32, u32, u32),
}

const ERAS: [Era; 4] = [
    Era {
        name: "令和",
        start: (2019, 5, 1),
    },
    Era {
        name: "平成",
        start: (1989, 1, 8),
    },
    Era {
        name: "昭和",
        start: (1926, 12, 25),
    },
    Era {
        name: "大正",
        start: (1912, 7, 30),
    },
];

/// The era name and year of a date: (令和, 7) for 2025-11-26. None before 大正.
pub fn wareki_year(d: NaiveDate) -> Option<(&'static str, i32)> {
    ERAS.iter().find_map(|e| {
        let start = NaiveDate::from_ymd_opt(e.start.0, e.start.1, e.start.2)?;
        (d >= start).then(|| (e.name, d.year() - e.start.0 + 1))
    })
}

fn era_year_label(name: &str, y: i32) -> String {
    if y == 1 {
        format!("{name}元年")
    } else {
        format!("{name}{y}年")
    }
}

/// 令和7年11月26日 (令和元年5月1日 for the first year).
pub fn format_wareki(d: NaiveDate) -> String {
    match wareki_year(d) {
        Some((name, y)) => format!("{}{}月{}日", era_year_label(name, y), d.month(), d.day()),
        None => format_seireki(d),
    }
}

/// The fiscal year (年度) a date belongs to: April 2025 – March 2026 is 2025.
pub fn fiscal_year(d: NaiveDate) -> i32 {
    if d.month() >= 4 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// 令和7年度 for fiscal year 2025. A fiscal year takes the era in force at its end
/// when that era began within it (FY2019 is 令和元年度, not 平成31年度).
pub fn format_fiscal_year(fy: i32) -> String {
    let end = NaiveDate::from_ymd_opt(fy + 1, 3, 31).expect("valid date");
    let start = NaiveDate::from_ymd_opt(fy, 4, 1).expect("valid date");
    let era = ERAS.iter().find(|e| {
        NaiveDate::from_ymd_opt(e.start.0, e.start.1, e.start.2)
            .is_some_and(|s| s <= end && e.start.0 <= fy)
    });
    match era {
        Some(e) if fy - e.start.0 + 1 == 1 => format!("{}元年度", e.name),
        Some(e) => format!("{}{}年度", e.name, fy - e.start.0 + 1),
        None => match wareki_year(start) {
            Some((name, y)) => format!("{name}{y}年度"),
            None => format!("{fy}年度"),
        },
    }
}

/// Parses a date as people type it: 2025-11-26, 2025/11/26, ２０２５年１１月２６日,
/// 令和7年11月26日, R7.11.26, H31.4.30.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s: String = crate::text::nfkc(input).split_whitespace().collect();
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (offset, rest) = if let Some(r) = s
        .strip_prefix("令和")
        .or_else(|| s.strip_prefix('R'))
        .or_else(|| s.strip_prefix('r'))
    {
        (Some(2018), r)
    } else if let Some(r) = s
        .strip_prefix("平成")
        .or_else(|| s.strip_prefix('H'))
        .or_else(|| s.strip_prefix('h'))
    {
        (Some(1988), r)
    } else if let Some(r) = s
        .strip_prefix("昭和")
        .or_else(|| s.strip_prefix('S'))
        .or_else(|| s.strip_prefix('s'))
    {
        (Some(1925), r)
    } else {
        (None, s)
    };
    let rest = rest.replacen("元", "1", 1);
    let parts: Vec<&str> = rest
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let d: u32 = parts[2].parse().ok()?;
    let year = match offset {
        Some(o) if (1..=99).contains(&y) => o + y,
        Some(_) => return None,
        None if (1900..=2200).contains(&y) => y,
        None => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, m, d)?;
    // An era date must fall inside its era (平成31年4月30日 is valid, 平成32年 is not).
    if offset.is_some() {
        let (name, _) = wareki_year(date)?;
        let expected = match offset {
            Some(2018) => "令和",
            Some(1988) => "平成",
            _ => "昭和",
        };
        if name != expected {
            return None;
        }
    }
    Some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_meeting_times_in_utc() {
        assert_eq!(
            jst_local_to_db("2026-01-20T05:00").as_deref(),
            Some("2026-01-19T20:00:00.000000Z")
        );
        assert_eq!(jst_local_to_db("2026-01-20"), None);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn wareki_formats_reiwa_and_gannen() {
        assert_eq!(format_wareki(d(2025, 11, 26)), "令和7年11月26日");
        assert_eq!(format_wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(format_wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(format_wareki(d(1989, 1, 7)), "昭和64年1月7日");
    }

    #[test]
    fn fiscal_year_runs_april_to_march() {
        assert_eq!(fiscal_year(d(2026, 3, 31)), 2025);
        assert_eq!(fiscal_year(d(2026, 4, 1)), 2026);
        assert_eq!(format_fiscal_year(2025), "令和7年度");
        assert_eq!(format_fiscal_year(2019), "令和元年度");
        assert_eq!(format_fiscal_year(2018), "平成30年度");
        assert_eq!(format_fiscal_year(1988), "昭和63年度");
        assert_eq!(format_fiscal_year(1989), "平成元年度");
    }

    #[test]
    fn parses_dates_as_typed() {
        assert_eq!(parse_date("2025-11-26"), Some(d(2025, 11, 26)));
        assert_eq!(parse_date("２０２５／１１／２６"), Some(d(2025, 11, 26)));
        assert_eq!(parse_date("令和7年11月26日"), Some(d(2025, 11, 26)));
        assert_eq!(parse_date("R7.11.26"), Some(d(2025, 11, 26)));
        assert_eq!(parse_date("令和元年5月1日"), Some(d(2019, 5, 1)));
        assert_eq!(parse_date("H31.4.30"), Some(d(2019, 4, 30)));
        assert_eq!(parse_date("平成32年1月1日"), None);
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date("あした"), None);
    }

    #[test]
    fn timestamps_round_trip() {
        let t = now();
        let s = to_db(t);
        assert!(s.ends_with('Z'));
        assert_eq!(
            from_db(&s).unwrap().timestamp_micros(),
            t.timestamp_micros()
        );
    }
}
