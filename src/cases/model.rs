//! Casework types and rules (no I/O): eligibility, consent items, consultation
//! vocabularies, referral status lifecycle, follow-up kinds.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Age in full years on `on` (Japanese law counts the day before the birthday, but
/// for eligibility and display the calendar age is what workers use).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Eligibility {
    /// Under 18.
    Eligible,
    /// 18 or 19 and certified at 18 (継続).
    Continued,
    /// 18 or 19 without certification at 18, or 20 and over.
    NotEligible(String),
}

/// Under 18; or under 20 when certified at 18 and still treated.
pub fn eligibility(birth: NaiveDate, on: NaiveDate, certified_at_18: bool) -> Eligibility {
    let age = age_on(birth, on);
    if age < 18 {
        Eligibility::Eligible
    } else if age < 20 && certified_at_18 {
        Eligibility::Continued
    } else if age < 20 {
        Eligibility::NotEligible(
            "18歳以上で、18歳到達時点の小児慢性特定疾病の認定が確認できません。".into(),
        )
    } else {
        Eligibility::NotEligible(
            "20歳以上のため、この事業の対象外です（指定難病の相談窓口などにつないでください）。"
                .into(),
        )
    }
}

/// Items of a child's record that a family can consent to share with an agency.
pub const CONSENT_ITEMS: [(&str, &str); 8] = [
    ("basic", "氏名・生年月日・連絡先"),
    ("disease", "疾患群・疾患名"),
    ("certificate", "医療受給者証"),
    ("school", "学校・職場"),
    ("medical_care", "医療的ケア"),
    ("family", "家族の状況"),
    ("plan", "自立支援計画"),
    ("consultations", "相談の記録"),
];

pub fn consent_item_label(key: &str) -> &'static str {
    CONSENT_ITEMS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub fn parse_items(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| CONSENT_ITEMS.iter().any(|(k, _)| k == x))
        .map(str::to_string)
        .collect()
}

pub const METHODS: [&str; 7] = [
    "来所面接",
    "訪問",
    "電話",
    "メール",
    "オンライン",
    "同行",
    "巡回",
];
pub const KINDS: [&str; 5] = [
    "療育相談指導",
    "巡回相談指導",
    "ピアカウンセリング",
    "自立心の育成相談",
    "地域関係者への情報提供",
];
pub const PARTICIPANTS: [&str; 5] = ["本人", "保護者", "きょうだい", "関係機関", "その他"];
pub const TOPICS: [&str; 12] = [
    "学校",
    "進学",
    "就労",
    "医療",
    "移行期",
    "家族",
    "きょうだい",
    "経済",
    "レスパイト",
    "日常生活",
    "災害・緊急時",
    "その他",
];
/// Minutes a contact usually takes (the guide's cost example: 訪問 1h, 面接 45 min, 電話 30 min).
pub fn default_minutes(method: &str) -> i64 {
    match method {
        "訪問" | "同行" | "巡回" => 60,
        "来所面接" | "オンライン" => 45,
        "電話" => 30,
        _ => 15,
    }
}

pub const SEXES: [(&str, &str); 3] = [
    ("female", "女"),
    ("male", "男"),
    ("other", "その他・回答しない"),
];
pub fn sex_label(s: &str) -> &'static str {
    SEXES
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub const RELATIONS: [&str; 8] = ["母", "父", "祖母", "祖父", "姉", "兄", "妹", "弟"];

/// Referral statuses (つなぐ支援) and their Japanese labels.
pub const REFERRAL_STATUSES: [(&str, &str); 7] = [
    ("sent", "送付済"),
    ("accepted", "受付"),
    ("in_progress", "対応中"),
    ("completed", "完了"),
    ("declined", "辞退"),
    ("unreachable", "連絡不可"),
    ("withdrawn", "本人取り下げ"),
];

pub fn referral_status_label(s: &str) -> &'static str {
    REFERRAL_STATUSES
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub fn is_open(status: &str) -> bool {
    matches!(status, "sent" | "accepted" | "in_progress")
}

/// Who is moving the referral: the referring worker's side or the receiving agency.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Worker,
    Agency,
}

/// Whether `from → to` is allowed for `side`, and what must accompany it.
pub fn check_transition(
    from: &str,
    to: &str,
    side: Side,
    reason: &str,
    outcome: &str,
) -> Result<(), String> {
    let allowed = match (from, to) {
        ("sent", "accepted") | ("sent", "declined") => side == Side::Agency || side == Side::Worker,
        ("accepted", "in_progress") | ("accepted", "completed") | ("in_progress", "completed") => {
            true
        }
        ("accepted", "declined") => true,
        (f, "unreachable") | (f, "withdrawn") if is_open(f) => {
            side == Side::Worker || to == "unreachable"
        }
        _ => false,
    };
    if !allowed {
        return Err(format!(
            "「{}」から「{}」には変更できません。",
            referral_status_label(from),
            referral_status_label(to)
        ));
    }
    if to == "declined" && reason.trim().is_empty() {
        return Err("辞退するときは理由を入力してください。".into());
    }
    if matches!(to, "unreachable" | "withdrawn") && reason.trim().is_empty() {
        return Err("理由を入力してください。".into());
    }
    if to == "completed" && outcome.trim().is_empty() {
        return Err("完了にするときは、対応の結果を入力してください。".into());
    }
    Ok(())
}

pub const FOLLOW_UP_KINDS: [(&str, &str); 5] = [
    ("recontact", "再連絡"),
    ("plan_review", "計画の見直し"),
    ("renewal", "受給者証の更新"),
    ("transition", "移行期・節目"),
    ("other", "その他"),
];

pub fn follow_up_label(k: &str) -> &'static str {
    FOLLOW_UP_KINDS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

pub const INDICATOR_KINDS: [(&str, &str, &str); 2] = [
    ("absence_days", "欠席日数", "日"),
    ("family_burden", "家族の負担感（1〜5）", ""),
];

/// Plan action (goal step) with its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAction {
    #[serde(default)]
    pub description: String,
    /// A person's name or an agency's name.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_date: String,
    /// 未着手 / 実施中 / 完了
    #[serde(default)]
    pub status: String,
}

pub const ACTION_STATUSES: [&str; 3] = ["未着手", "実施中", "完了"];

/// Transitions (turning 18 or 20, entering school, graduating) falling within
/// `days` after `today`: (date, label).
pub fn upcoming_transitions(
    birth: NaiveDate,
    today: NaiveDate,
    days: i64,
) -> Vec<(NaiveDate, String)> {
    let end = today + chrono::Duration::days(days);
    let mut out = vec![];
    let birthday = |years: i32| {
        NaiveDate::from_ymd_opt(birth.year() + years, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(birth.year() + years, 3, 1))
    };
    for (years, label) in [
        (18, "18歳になる（継続認定・移行期の確認）"),
        (20, "20歳になる（事業の対象外へ：成人期の支援へつなぐ）"),
    ] {
        if let Some(d) = birthday(years) {
            if d >= today && d <= end {
                out.push((d, label.to_string()));
            }
        }
    }
    // School year: children born 2 April Y .. 1 April Y+1 enter school in April Y+7.
    let school_year_of_birth = if (birth.month(), birth.day()) >= (4, 2) {
        birth.year()
    } else {
        birth.year() - 1
    };
    for (offset, label) in [
        (7, "小学校に入学"),
        (13, "中学校に入学"),
        (16, "高校などへ進学"),
        (19, "高校などを卒業"),
    ] {
        let date = if offset == 19 {
            NaiveDate::from_ymd_opt(school_year_of_birth + 19, 3, 31)
        } else {
            NaiveDate::from_ymd_opt(school_year_of_birth + offset, 4, 1)
        };
        if let Some(d) = date {
            if d >= today && d <= end {
                out.push((d, label.to_string()));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ages_and_eligibility() {
        assert_eq!(age_on(d(2010, 11, 27), d(2026, 11, 26)), 15);
        assert_eq!(age_on(d(2010, 11, 26), d(2026, 11, 26)), 16);
        assert_eq!(
            eligibility(d(2010, 1, 1), d(2026, 11, 26), false),
            Eligibility::Eligible
        );
        assert_eq!(
            eligibility(d(2007, 1, 1), d(2026, 11, 26), true),
            Eligibility::Continued
        );
        assert!(matches!(
            eligibility(d(2007, 1, 1), d(2026, 11, 26), false),
            Eligibility::NotEligible(_)
        ));
        assert!(matches!(
            eligibility(d(2005, 1, 1), d(2026, 11, 26), true),
            Eligibility::NotEligible(_)
        ));
    }

    #[test]
    fn referral_lifecycle() {
        assert!(check_transition("sent", "accepted", Side::Agency, "", "").is_ok());
        assert!(
            check_transition("sent", "declined", Side::Agency, "", "").is_err(),
            "a reason is required"
        );
        assert!(check_transition("sent", "declined", Side::Agency, "対象年齢外のため", "").is_ok());
        assert!(
            check_transition("accepted", "completed", Side::Agency, "", "").is_err(),
            "an outcome is required"
        );
        assert!(check_transition(
            "in_progress",
            "completed",
            Side::Agency,
            "",
            "学校と面談し配慮事項を共有した"
        )
        .is_ok());
        assert!(
            check_transition("completed", "accepted", Side::Agency, "", "").is_err(),
            "closed stays closed"
        );
        assert!(
            check_transition("sent", "withdrawn", Side::Agency, "x", "").is_err(),
            "only the family (via the worker) withdraws"
        );
        assert!(check_transition("sent", "withdrawn", Side::Worker, "本人の希望", "").is_ok());
    }

    #[test]
    fn transitions_in_window() {
        // Born 2019-05-10: enters school in April 2026.
        let t = upcoming_transitions(d(2019, 5, 10), d(2026, 1, 10), 120);
        assert_eq!(t, vec![(d(2026, 4, 1), "小学校に入学".to_string())]);
        // Born 2008-12-01: turns 18 on 2026-12-01.
        let t = upcoming_transitions(d(2008, 12, 1), d(2026, 11, 26), 30);
        assert_eq!(t[0].0, d(2026, 12, 1));
    }
}
