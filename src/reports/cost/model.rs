//! The outsourcing cost comparison (委託の費用比較, the guide's 3-3): what the
//! consultations of a year cost when the municipality's own staff do them, against the
//! contract price net of the national subsidy.
//!
//! Rounding rule (stated on the page and tested): minutes are whole numbers and are
//! added exactly; every yen amount is rounded **once**, half up, to a whole yen, at the
//! end of its own calculation — 人件費 = 合計分 × 時給 ÷ 60, 委託の実質負担 = 委託料 ×
//! (1 − 補助率) — and the difference is taken between the two rounded amounts, so that
//! the figures on the page always add up. 合計時間 is shown to two decimals (it is an
//! exact number of minutes).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A contact method's line: how many contacts a year and how long each takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodLine {
    pub label: String,
    pub count: i64,
    pub minutes: i64,
}

impl MethodLine {
    pub fn total_minutes(&self) -> i64 {
        self.count * self.minutes
    }
}

/// A subsidy rate held exactly as a fraction (1/2, 0.5, 50% are the same rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub num: i64,
    pub den: i64,
}

impl Rate {
    pub const HALF: Rate = Rate { num: 1, den: 2 };

    /// 0.5, 1/2, 50%, ０．５ — anything else (or a rate outside 0–1) is None.
    pub fn parse(s: &str) -> Option<Rate> {
        let s: String = crate::text::nfkc(s).split_whitespace().collect();
        let r = if let Some(p) = s.strip_suffix('%') {
            let r = decimal(p)?;
            Rate {
                num: r.num,
                den: r.den.checked_mul(100)?,
            }
        } else if let Some((a, b)) = s.split_once('/') {
            let (a, b): (i64, i64) = (a.parse().ok()?, b.parse().ok()?);
            if b <= 0 {
                return None;
            }
            Rate { num: a, den: b }
        } else {
            decimal(&s)?
        };
        (r.num >= 0 && r.num <= r.den).then(|| r.reduced())
    }

    /// A rate from a JSON number: exact to one millionth.
    pub fn from_f64(x: f64) -> Option<Rate> {
        if !x.is_finite() || !(0.0..=1.0).contains(&x) {
            return None;
        }
        Some(
            Rate {
                num: (x * 1_000_000.0).round() as i64,
                den: 1_000_000,
            }
            .reduced(),
        )
    }

    fn reduced(self) -> Rate {
        let g = gcd(self.num, self.den).max(1);
        Rate {
            num: self.num / g,
            den: self.den / g,
        }
    }

    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// 1/2 → "1/2（50%）"
    pub fn label(self) -> String {
        let pct = self.num as f64 * 100.0 / self.den as f64;
        let pct = if (pct - pct.round()).abs() < 1e-9 {
            format!("{}", pct.round() as i64)
        } else {
            format!("{pct:.1}")
        };
        format!("{}/{}（{pct}%）", self.num, self.den)
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// "0.5" → 5/10; at most six decimals.
fn decimal(s: &str) -> Option<Rate> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 6
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let den = 10i64.pow(frac.len() as u32);
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    Some(Rate {
        num: int.checked_mul(den)?.checked_add(frac)?,
        den,
    })
}

/// Rounds `num / den` (den > 0, num ≥ 0) half up to an integer.
pub fn round_half_up(num: i128, den: i128) -> i64 {
    ((2 * num + den) / (2 * den)) as i64
}

/// The inputs of one comparison, valid by construction (see `CostForm::parse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostInput {
    pub lines: Vec<MethodLine>,
    /// 時給 (円/時間)
    pub wage: i64,
    /// その他の直営経費 (円/年): travel, phone, supplies
    pub other_costs: i64,
    /// 委託料 (円/年)
    pub contract: i64,
    pub subsidy: Rate,
}

/// What the comparison gives back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostResult {
    pub total_minutes: i64,
    pub total_hours: f64,
    pub labour_cost_yen: i64,
    pub in_house_cost_yen: i64,
    pub subsidy_yen: i64,
    pub contract_cost_net_yen: i64,
    /// in-house − contract net: positive when outsourcing costs the municipality less.
    pub difference_yen: i64,
}

impl CostInput {
    /// The guide's example (3-3): 訪問 200 × 1 h + 面接 1,700 × 45 分 + 電話 1,300 × 30 分 =
    /// 2,125 h; 約1,600 円/h → 3,400,000 円; 5,496,000 円 × 1/2 = 2,748,000 円.
    pub fn guide_example() -> CostInput {
        CostInput {
            lines: vec![
                line("訪問", 200, 60),
                line("面接", 1700, 45),
                line("電話", 1300, 30),
            ],
            wage: 1600,
            other_costs: 0,
            contract: 5_496_000,
            subsidy: Rate::HALF,
        }
    }

    pub fn compute(&self) -> CostResult {
        let total_minutes: i64 = self.lines.iter().map(MethodLine::total_minutes).sum();
        let labour = round_half_up(i128::from(total_minutes) * i128::from(self.wage), 60);
        let in_house = labour + self.other_costs;
        let net = round_half_up(
            i128::from(self.contract) * i128::from(self.subsidy.den - self.subsidy.num),
            i128::from(self.subsidy.den),
        );
        CostResult {
            total_minutes,
            total_hours: (total_minutes as f64 / 60.0 * 100.0).round() / 100.0,
            labour_cost_yen: labour,
            in_house_cost_yen: in_house,
            subsidy_yen: self.contract - net,
            contract_cost_net_yen: net,
            difference_yen: in_house - net,
        }
    }
}

fn line(label: &str, count: i64, minutes: i64) -> MethodLine {
    MethodLine {
        label: label.into(),
        count,
        minutes,
    }
}

/// Upper bounds that keep every product far inside i64 and catch typing slips.
pub const MAX_COUNT: i64 = 1_000_000;
pub const MAX_MINUTES: i64 = 24 * 60;
pub const MAX_YEN: i64 = 100_000_000_000;

/// The comparison as typed on the page, in the API and on the command line: every
/// value as text, so that what the user typed comes back with its error.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct CostForm {
    pub visits: String,
    pub visit_minutes: String,
    pub interviews: String,
    pub interview_minutes: String,
    pub calls: String,
    pub call_minutes: String,
    pub other_label: String,
    pub others: String,
    pub other_minutes: String,
    pub wage: String,
    pub other_costs: String,
    pub contract: String,
    pub subsidy: String,
}

impl CostForm {
    pub fn from_input(i: &CostInput) -> CostForm {
        let get = |label: &str| i.lines.iter().find(|l| l.label == label);
        let n = |l: Option<&MethodLine>, f: fn(&MethodLine) -> i64| {
            l.map(|l| f(l).to_string()).unwrap_or_default()
        };
        let other = i
            .lines
            .iter()
            .find(|l| !matches!(l.label.as_str(), "訪問" | "面接" | "電話"));
        CostForm {
            visits: n(get("訪問"), |l| l.count),
            visit_minutes: n(get("訪問"), |l| l.minutes),
            interviews: n(get("面接"), |l| l.count),
            interview_minutes: n(get("面接"), |l| l.minutes),
            calls: n(get("電話"), |l| l.count),
            call_minutes: n(get("電話"), |l| l.minutes),
            other_label: other.map(|l| l.label.clone()).unwrap_or_default(),
            others: n(other, |l| l.count),
            other_minutes: n(other, |l| l.minutes),
            wage: i.wage.to_string(),
            other_costs: if i.other_costs == 0 {
                String::new()
            } else {
                i.other_costs.to_string()
            },
            contract: i.contract.to_string(),
            subsidy: format!("{}/{}", i.subsidy.num, i.subsidy.den),
        }
    }

    /// Every value checked at once; each bad one named in Japanese.
    pub fn parse(&self) -> Result<CostInput, Vec<FieldError>> {
        let mut errors = vec![];
        let mut num = |field: &'static str, label: &str, s: &str, max: i64, blank: Option<i64>| {
            match whole(s) {
                Whole::Blank => match blank {
                    Some(v) => v,
                    None => {
                        errors.push(FieldError::new(
                            field,
                            format!("{label}を入力してください。"),
                        ));
                        0
                    }
                },
                Whole::Bad => {
                    errors.push(FieldError::new(
                        field,
                        format!("{label}は0以上の整数で入力してください（例: 1200）。"),
                    ));
                    0
                }
                Whole::Num(v) if v > max => {
                    errors.push(FieldError::new(
                        field,
                        format!("{label}が大きすぎます（{}まで）。", group(max)),
                    ));
                    0
                }
                Whole::Num(v) => v,
            }
        };
        let mut lines = vec![];
        for (label, c, cf, cl, m, mf, ml) in [
            (
                "訪問",
                &self.visits,
                "visits",
                "訪問の件数",
                &self.visit_minutes,
                "visit_minutes",
                "訪問1件の時間（分）",
            ),
            (
                "面接",
                &self.interviews,
                "interviews",
                "面接の件数",
                &self.interview_minutes,
                "interview_minutes",
                "面接1件の時間（分）",
            ),
            (
                "電話",
                &self.calls,
                "calls",
                "電話の件数",
                &self.call_minutes,
                "call_minutes",
                "電話1件の時間（分）",
            ),
        ] {
            let count = num(cf, cl, c, MAX_COUNT, Some(0));
            let minutes = num(mf, ml, m, MAX_MINUTES, Some(0));
            lines.push(line(label, count, minutes));
        }
        let other_count = num("others", "その他の件数", &self.others, MAX_COUNT, Some(0));
        let other_minutes = num(
            "other_minutes",
            "その他1件の時間（分）",
            &self.other_minutes,
            MAX_MINUTES,
            Some(0),
        );
        let wage = num("wage", "時給", &self.wage, 1_000_000, None);
        let other_costs = num(
            "other_costs",
            "その他の直営経費",
            &self.other_costs,
            MAX_YEN,
            Some(0),
        );
        let contract = num("contract", "委託料", &self.contract, MAX_YEN, None);
        let label = self.other_label.trim();
        if other_count > 0 || other_minutes > 0 || !label.is_empty() {
            crate::validate::check_line(&mut errors, "other_label", label, 40);
            lines.push(line(
                if label.is_empty() { "その他" } else { label },
                other_count,
                other_minutes,
            ));
        }
        if !self.wage.trim().is_empty() && wage == 0 && errors.iter().all(|e| e.field != "wage") {
            errors.push(FieldError::new("wage", "時給は1円以上で入力してください。"));
        }
        let subsidy = if self.subsidy.trim().is_empty() {
            errors.push(FieldError::new(
                "subsidy",
                "補助率を入力してください（例: 1/2、0.5、50%）。",
            ));
            Rate::HALF
        } else {
            Rate::parse(&self.subsidy).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "subsidy",
                    "補助率は0から1の間で入力してください（例: 1/2、0.5、50%）。",
                ));
                Rate::HALF
            })
        };
        if errors.is_empty() && lines.iter().all(|l| l.total_minutes() == 0) {
            errors.push(FieldError::new(
                "visits",
                "件数と時間を、少なくとも一つの方法について入力してください。",
            ));
        }
        if errors.is_empty() {
            Ok(CostInput {
                lines,
                wage,
                other_costs,
                contract,
                subsidy,
            })
        } else {
            Err(errors)
        }
    }
}

enum Whole {
    Blank,
    Bad,
    Num(i64),
}

/// "1,200", "１２００", "1200円" are 1200; "-3", "1.5", "abc" are Bad.
fn whole(s: &str) -> Whole {
    let s: String = crate::text::nfkc(s)
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '、'))
        .collect();
    let s = s.trim_end_matches(['円', '件', '分']);
    if s.is_empty() {
        return Whole::Blank;
    }
    if !s.chars().all(|c| c.is_ascii_digit()) || s.len() > 15 {
        return Whole::Bad;
    }
    s.parse().map(Whole::Num).unwrap_or(Whole::Bad)
}

/// 3400000 → "3,400,000"
pub use crate::text::group_digits as group;

/// 2125.0 → "2,125"; 2125.5 → "2,125.50"
pub fn hours_label(h: f64) -> String {
    if (h - h.trunc()).abs() < 1e-9 {
        group(h as i64)
    } else {
        format!(
            "{}.{:02}",
            group(h.trunc() as i64),
            ((h - h.trunc()) * 100.0).round() as i64
        )
    }
}

/// The guide's merit/demerit table for 直営 and 委託 (3-3), printed with the scenarios.
pub const MERITS: [(&str, &str, &str); 7] = [
    (
        "費用",
        "職員の人件費と事務費がかかる。補助の対象は事業費。",
        "委託料がかかるが、国庫補助（1/2）で実質負担が下がる。",
    ),
    (
        "業務負担",
        "相談・同行・記録がすべて職員の業務になる。",
        "直接支援は委託先が担い、職員は企画・調整に集中できる。",
    ),
    (
        "業務管理",
        "日々の状況を直接把握できる。",
        "月次報告・協議会で進み具合を確認する仕組みが要る。",
    ),
    (
        "外部連携",
        "行政の立場で関係機関に働きかけやすい。",
        "委託先の持つネットワーク（患者会・医療機関など）を活かせる。",
    ),
    (
        "支援の質",
        "異動で経験が途切れやすい。",
        "専門職や当事者の経験が蓄積し、継続した支援ができる。",
    ),
    (
        "相談手法",
        "窓口・電話・訪問が中心になりやすい。",
        "ピアカウンセリングや交流会など多様な方法をとりやすい。",
    ),
    (
        "信頼度",
        "行政の窓口としての安心感がある。",
        "同じ立場の支援者として、本人・家族が相談しやすいことがある。",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_guides_example() {
        let r = CostInput::guide_example().compute();
        assert_eq!(r.total_minutes, 2125 * 60);
        assert_eq!(r.total_hours, 2125.0);
        assert_eq!(r.in_house_cost_yen, 3_400_000);
        assert_eq!(r.contract_cost_net_yen, 2_748_000);
        assert_eq!(r.subsidy_yen, 2_748_000);
        assert_eq!(r.difference_yen, 652_000);
    }

    #[test]
    fn each_amount_is_rounded_once_half_up() {
        // 1 call of 1 minute at 30 円/h: 0.5 円 → 1 円; at 29 円/h: 0.4833… → 0 円.
        let mut i = CostInput::guide_example();
        i.lines = vec![line("電話", 1, 1)];
        i.wage = 30;
        assert_eq!(i.compute().labour_cost_yen, 1);
        i.wage = 29;
        assert_eq!(i.compute().labour_cost_yen, 0);
        // 7 contacts of 7 minutes at 1,001 円/h: 49 × 1001 / 60 = 817.48… → 817 (not
        // 7 × round(116.78…) = 819, which rounding per line would give).
        i.lines = vec![line("訪問", 7, 7)];
        i.wage = 1001;
        assert_eq!(i.compute().labour_cost_yen, 817);
        // 1,000,001 円 × (1 − 1/3) = 666,667.33… → 666,667; 1 円 × 1/2 → 0.5 → 1.
        i.contract = 1_000_001;
        i.subsidy = Rate { num: 1, den: 3 };
        assert_eq!(i.compute().contract_cost_net_yen, 666_667);
        i.contract = 1;
        i.subsidy = Rate::HALF;
        assert_eq!(i.compute().contract_cost_net_yen, 1);
        // The difference is between the rounded amounts.
        let r = i.compute();
        assert_eq!(
            r.difference_yen,
            r.in_house_cost_yen - r.contract_cost_net_yen
        );
    }

    #[test]
    fn rates_are_read_as_people_write_them() {
        for s in ["1/2", "0.5", "50%", "０．５", " 1 / 2 ", ".5", "50.0%"] {
            assert_eq!(Rate::parse(s), Some(Rate::HALF), "{s}");
        }
        assert_eq!(Rate::parse("0"), Some(Rate { num: 0, den: 1 }));
        assert_eq!(Rate::parse("1"), Some(Rate { num: 1, den: 1 }));
        assert_eq!(Rate::parse("2/3"), Some(Rate { num: 2, den: 3 }));
        for s in ["1.5", "-0.5", "150%", "1/0", "abc", "", "0.1234567", "3/2"] {
            assert_eq!(Rate::parse(s), None, "{s}");
        }
        assert_eq!(Rate::from_f64(0.5), Some(Rate::HALF));
        assert_eq!(Rate::from_f64(1.01), None);
        assert_eq!(Rate::from_f64(f64::NAN), None);
        assert_eq!(Rate::HALF.label(), "1/2（50%）");
    }

    #[test]
    fn the_form_round_trips_and_names_every_bad_value() {
        let f = CostForm::from_input(&CostInput::guide_example());
        assert_eq!(f.parse().unwrap(), CostInput::guide_example());
        let bad = CostForm {
            visits: "-3".into(),
            calls: "1.5".into(),
            wage: "0".into(),
            contract: "".into(),
            subsidy: "1.2".into(),
            ..f.clone()
        };
        let e = bad.parse().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["visits", "calls", "contract", "wage", "subsidy"]);
        assert!(e[0].message.contains("0以上の整数"));
        // Full-width digits and thousands separators are numbers as typed.
        let typed = CostForm {
            visits: "２００".into(),
            contract: "5,496,000円".into(),
            ..f
        };
        assert_eq!(typed.parse().unwrap(), CostInput::guide_example());
        // Nothing to compare.
        let empty = CostForm {
            wage: "1600".into(),
            contract: "1".into(),
            subsidy: "1/2".into(),
            ..CostForm::default()
        };
        assert!(empty.parse().unwrap_err()[0]
            .message
            .contains("少なくとも一つ"));
    }

    #[test]
    fn labels() {
        assert_eq!(group(3_400_000), "3,400,000");
        assert_eq!(group(-652_000), "-652,000");
        assert_eq!(group(0), "0");
        assert_eq!(hours_label(2125.0), "2,125");
        assert_eq!(hours_label(2125.5), "2,125.50");
    }
}
