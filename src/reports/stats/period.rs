//! The period of a report: a month, a fiscal year (年度, April–March, shown as 令和N年度)
//! or any range of days, always whole days in Japan time, and the period before it of
//! the same kind for comparison.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::time;

/// The longest period a report covers.
pub const MAX_YEARS: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Month,
    FiscalYear,
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: Kind,
    /// First day (JST).
    pub from: NaiveDate,
    /// Last day (JST), inclusive.
    pub to: NaiveDate,
}

/// How a period is asked for, on a page or in the API (all optional, as typed).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct PeriodQuery {
    /// 2026-11
    pub month: String,
    /// 2026 (for 令和8年度); 令和8年度 and R8 are read too.
    pub fiscal_year: String,
    pub from: String,
    pub to: String,
}

impl Period {
    pub fn month(y: i32, m: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(y, m, 1)?;
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)?
        };
        Some(Period {
            kind: Kind::Month,
            from,
            to: next - Duration::days(1),
        })
    }

    pub fn fiscal_year(fy: i32) -> Option<Period> {
        Some(Period {
            kind: Kind::FiscalYear,
            from: NaiveDate::from_ymd_opt(fy, 4, 1)?,
            to: NaiveDate::from_ymd_opt(fy + 1, 3, 31)?,
        })
    }

    /// The fiscal year of today (JST).
    pub fn this_fiscal_year() -> Period {
        Period::fiscal_year(time::fiscal_year(time::today_jst())).expect("valid year")
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period before: the previous month, the previous fiscal year, or the same
    /// number of days just before.
    pub fn previous(&self) -> Period {
        match self.kind {
            Kind::Month => {
                let p = self.from - Duration::days(1);
                Period::month(p.year(), p.month()).expect("valid month")
            }
            Kind::FiscalYear => Period::fiscal_year(self.from.year() - 1).expect("valid year"),
            Kind::Custom => Period {
                kind: Kind::Custom,
                from: self.from - Duration::days(self.days()),
                to: self.from - Duration::days(1),
            },
        }
    }

    /// Stored (UTC) bounds: [00:00 JST of the first day, 00:00 JST after the last day).
    pub fn utc_bounds(&self) -> (String, String) {
        (
            time::jst_midnight_db(self.from),
            time::jst_midnight_db(self.to + Duration::days(1)),
        )
    }

    /// Bounds for columns kept as dates or JST local times (`2026-11-20`,
    /// `2026-11-20T14:00`): [first day, the day after the last).
    pub fn local_bounds(&self) -> (String, String) {
        (
            self.from.format("%Y-%m-%d").to_string(),
            (self.to + Duration::days(1)).format("%Y-%m-%d").to_string(),
        )
    }

    /// 令和8年度 / 令和8年11月 / 令和8年4月1日〜令和8年6月30日
    pub fn label(&self) -> String {
        match self.kind {
            Kind::FiscalYear => time::format_fiscal_year(self.from.year()),
            Kind::Month => {
                let w = time::format_wareki(self.from);
                match w.find('月') {
                    Some(i) => w[..i + '月'.len_utf8()].to_string(),
                    None => w,
                }
            }
            Kind::Custom => format!(
                "{}〜{}",
                time::format_wareki(self.from),
                time::format_wareki(self.to)
            ),
        }
    }

    /// The query that asks for this period again (for links).
    pub fn query(&self) -> PeriodQuery {
        match self.kind {
            Kind::Month => PeriodQuery {
                month: self.from.format("%Y-%m").to_string(),
                ..Default::default()
            },
            Kind::FiscalYear => PeriodQuery {
                fiscal_year: self.from.year().to_string(),
                ..Default::default()
            },
            Kind::Custom => PeriodQuery {
                from: self.from.to_string(),
                to: self.to.to_string(),
                ..Default::default()
            },
        }
    }

    pub fn query_string(&self) -> String {
        serde_html_form::to_string(self.query()).unwrap_or_default()
    }
}

impl PeriodQuery {
    pub fn is_empty(&self) -> bool {
        *self == PeriodQuery::default()
    }

    /// The period asked for; `default` when nothing was; each bad value named.
    pub fn parse(&self, default: Period) -> Result<Period, Vec<FieldError>> {
        let (m, fy, f, t) = (
            self.month.trim(),
            self.fiscal_year.trim(),
            self.from.trim(),
            self.to.trim(),
        );
        let given = [
            !m.is_empty(),
            !fy.is_empty(),
            !f.is_empty() || !t.is_empty(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(vec![FieldError::new(
                "period",
                "期間は「月」「年度」「開始日と終了日」のどれか一つで指定してください。",
            )]);
        }
        if !m.is_empty() {
            let s = crate::text::nfkc(m);
            let p = s
                .split_once(['-', '/'])
                .and_then(|(y, mm)| Some((y.parse::<i32>().ok()?, mm.parse::<u32>().ok()?)))
                .filter(|(y, _)| (1900..=2200).contains(y))
                .and_then(|(y, mm)| Period::month(y, mm));
            return p.ok_or_else(|| {
                vec![FieldError::new(
                    "month",
                    "月は 2026-11 の形で入力してください。",
                )]
            });
        }
        if !fy.is_empty() {
            return parse_fiscal_year(fy)
                .and_then(Period::fiscal_year)
                .ok_or_else(|| {
                    vec![FieldError::new(
                        "fiscal_year",
                        "年度は 2026 や 令和8年度 の形で入力してください。",
                    )]
                });
        }
        if f.is_empty() && t.is_empty() {
            return Ok(default);
        }
        let mut errs = vec![];
        let from = if f.is_empty() {
            errs.push(FieldError::new(
                "from",
                "開始日を入力してください（終わりのない期間は集計できません）。",
            ));
            None
        } else {
            crate::validate::opt_date("from", "開始日", f, &mut errs)
        };
        let to = if t.is_empty() {
            errs.push(FieldError::new(
                "to",
                "終了日を入力してください（終わりのない期間は集計できません）。",
            ));
            None
        } else {
            crate::validate::opt_date("to", "終了日", t, &mut errs)
        };
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errs.push(FieldError::new(
                    "to",
                    "終了日が開始日より前になっています。",
                ));
            } else if (to - from).num_days() + 1 > MAX_YEARS * 366 {
                errs.push(FieldError::new(
                    "to",
                    format!("期間は{MAX_YEARS}年以内で指定してください。"),
                ));
            } else if errs.is_empty() {
                return Ok(Period {
                    kind: Kind::Custom,
                    from,
                    to,
                });
            }
        }
        Err(errs)
    }
}

/// 2026, ２０２６, 令和8年度, R8, 令和元年度 → 2026 / 2019.
pub fn parse_fiscal_year(s: &str) -> Option<i32> {
    let s: String = crate::text::nfkc(s).split_whitespace().collect();
    let s = s.trim_end_matches("年度").trim_end_matches('年');
    let (base, rest) = if let Some(r) = s
        .strip_prefix("令和")
        .or_else(|| s.strip_prefix(['R', 'r']))
    {
        (Some(2018), r)
    } else if let Some(r) = s
        .strip_prefix("平成")
        .or_else(|| s.strip_prefix(['H', 'h']))
    {
        (Some(1988), r)
    } else {
        (None, s)
    };
    let n: i32 = if rest == "元" { 1 } else { rest.parse().ok()? };
    match base {
        Some(b) if (1..=99).contains(&n) => Some(b + n),
        None if (1900..=2200).contains(&n) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(month: &str, fy: &str, from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            month: month.into(),
            fiscal_year: fy.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn periods_and_the_one_before() {
        let d = Period::fiscal_year(2026).unwrap();
        let p = q("2026-11", "", "", "").parse(d.clone()).unwrap();
        assert_eq!(
            (p.from.to_string(), p.to.to_string()),
            ("2026-11-01".into(), "2026-11-30".into())
        );
        assert_eq!(p.previous().from.to_string(), "2026-10-01");
        assert_eq!(
            Period::month(2027, 1).unwrap().previous().from.to_string(),
            "2026-12-01"
        );
        assert_eq!(p.label(), "令和8年11月");
        let f = q("", "令和8年度", "", "").parse(d.clone()).unwrap();
        assert_eq!(f, d);
        assert_eq!(f.label(), "令和8年度");
        assert_eq!(f.previous(), Period::fiscal_year(2025).unwrap());
        assert_eq!(parse_fiscal_year("R1"), Some(2019));
        assert_eq!(parse_fiscal_year("令和元年度"), Some(2019));
        let c = q("", "", "2026-04-01", "令和8年6月30日")
            .parse(d.clone())
            .unwrap();
        assert_eq!(c.days(), 91);
        let pc = c.previous();
        assert_eq!(
            (pc.from.to_string(), pc.to.to_string()),
            ("2025-12-31".into(), "2026-03-31".into())
        );
        assert_eq!(q("", "", "", "").parse(d.clone()).unwrap(), d);
        // 00:00 JST is 15:00 UTC the day before.
        assert_eq!(p.utc_bounds().0, "2026-10-31T15:00:00.000000Z");
        assert_eq!(p.utc_bounds().1, "2026-11-30T15:00:00.000000Z");
    }

    #[test]
    fn bad_periods_are_named() {
        let d = Period::fiscal_year(2026).unwrap();
        let e = q("", "", "2026-05-01", "2026-04-01")
            .parse(d.clone())
            .unwrap_err();
        assert!(e[0].message.contains("開始日より前"));
        let e = q("", "", "2026-04-01", "").parse(d.clone()).unwrap_err();
        assert_eq!(e[0].field, "to");
        let e = q("", "", "2010-04-01", "2026-03-31")
            .parse(d.clone())
            .unwrap_err();
        assert!(e[0].message.contains("10年以内"));
        assert!(q("", "", "2016-04-01", "2026-03-31")
            .parse(d.clone())
            .is_ok());
        assert!(q("2026-13", "", "", "").parse(d.clone()).is_err());
        assert!(q("abc", "", "", "").parse(d.clone()).is_err());
        assert!(q("", "令和100年度", "", "").parse(d.clone()).is_err());
        assert_eq!(
            q("2026-11", "2026", "", "").parse(d).unwrap_err()[0].field,
            "period"
        );
    }
}
