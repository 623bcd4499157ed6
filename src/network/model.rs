//! Collaboration network rules (no I/O): council kinds, the agenda timeline that must
//! fit the meeting, the guide's 構成員選定のポイント (composition check), the training
//! case scenarios, months inside a contract, yen.

use serde::{Deserialize, Serialize};

pub const COUNCIL_KINDS: [&str; 6] = [
    "地域支援協議会",
    "運営協議会",
    "就労ネットワーク会議",
    "ワーキング会議",
    "委員会",
    "その他",
];

/// The figures yorube computes that a purpose's indicator can be tied to, so that it
/// is measured (実績・統計 › 指標): (key, label, unit).
pub const MEASURES: [(&str, &str, &str); 6] = [
    ("referrals_done_30", "30日以内に完了した紹介の割合", "%"),
    (
        "absence_school",
        "学校へ紹介した子どもの欠席日数（1人平均）",
        "日",
    ),
    ("family_burden", "家族の負担感（平均、1〜5）", ""),
    (
        "follow_ups_on_time",
        "期日までに済んだフォローアップの割合",
        "%",
    ),
    ("children_served", "相談した子ども（実人数）", "人"),
    ("consultations", "相談件数（延べ）", "件"),
];

pub fn measure(key: &str) -> Option<(&'static str, &'static str, &'static str)> {
    MEASURES.iter().find(|(k, _, _)| *k == key).copied()
}

/// Fields a council should cover (構成員選定のポイント).
pub const COVER_FIELDS: [&str; 6] = [
    "医療",
    "家族会・患者会",
    "教育",
    "福祉",
    "医療的ケア",
    "就労",
];

/// One segment of an agenda: starts `offset` minutes after the start, lasts `minutes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub minutes: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub presenter: String,
}

/// The guide's model council timeline (モデル協議会).
pub fn guide_agenda() -> Vec<Segment> {
    [
        (0, 5, "開会挨拶"),
        (5, 10, "概要説明"),
        (15, 10, "参加者のご紹介"),
        (25, 35, "連携目的の共有・連携場面の共有"),
    ]
    .into_iter()
    .map(|(o, m, t)| Segment {
        offset: o,
        minutes: m,
        title: t.into(),
        presenter: String::new(),
    })
    .collect()
}

/// 0:05 for 5 minutes.
pub fn hm(minutes: i64) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Parses 0:05 / 1:00 / 65 into minutes.
pub fn parse_hm(s: &str) -> Option<i64> {
    let s = crate::text::nfkc(s.trim());
    if let Some((h, m)) = s.split_once(':') {
        let h: i64 = h.trim().parse().ok()?;
        let m: i64 = m.trim().parse().ok()?;
        (m < 60 && h >= 0).then_some(h * 60 + m)
    } else {
        s.parse().ok()
    }
}

/// Checks that segments are in order, do not overlap and end within the meeting.
pub fn check_agenda(segments: &[Segment], duration: i64) -> Result<(), String> {
    let mut end = 0;
    for (i, s) in segments.iter().enumerate() {
        if s.title.trim().is_empty() {
            return Err(format!("議題 {} の内容を入力してください。", i + 1));
        }
        if s.minutes <= 0 {
            return Err(format!(
                "議題「{}」の時間を 1 分以上にしてください。",
                s.title
            ));
        }
        if s.offset < end {
            return Err(format!(
                "議題「{}」（{}〜）が前の議題（{}まで）と重なっています。",
                s.title,
                hm(s.offset),
                hm(end)
            ));
        }
        end = s.offset + s.minutes;
        if end > duration {
            return Err(format!(
                "議題「{}」が {}〜{} で、会議の時間（{}分、{}まで）を超えています。会議の時間を延ばすか、議題の時間を短くしてください。",
                s.title,
                hm(s.offset),
                hm(end),
                duration,
                hm(duration)
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberForCheck {
    pub name: String,
    pub affiliation: String,
    pub field: String,
    pub specialty: String,
    pub other_councils: i64,
    pub observer: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Composition {
    pub covered: Vec<String>,
    pub missing: Vec<String>,
    /// Members sitting on many other councils (3 or more).
    pub busy_members: Vec<String>,
    /// Affiliations with more than a third of the voting members (and at least 3).
    pub concentrated: Vec<String>,
    pub ok: bool,
}

/// The guide's 構成員選定のポイント: fields covered and missing, members with much
/// overlap with other councils, and too many members from one hospital or specialty.
pub fn composition(members: &[MemberForCheck]) -> Composition {
    let voting: Vec<&MemberForCheck> = members.iter().filter(|m| !m.observer).collect();
    let covered: Vec<String> = COVER_FIELDS
        .iter()
        .filter(|f| voting.iter().any(|m| m.field == **f))
        .map(|f| f.to_string())
        .collect();
    let missing: Vec<String> = COVER_FIELDS
        .iter()
        .filter(|f| !covered.iter().any(|c| c == *f))
        .map(|f| f.to_string())
        .collect();
    let busy_members = voting
        .iter()
        .filter(|m| m.other_councils >= 3)
        .map(|m| format!("{}（他の協議会 {} 件）", m.name, m.other_councils))
        .collect();
    let mut concentrated = vec![];
    let limit = (voting.len() as f64 / 3.0).max(2.0);
    let mut count = |key: &dyn Fn(&MemberForCheck) -> String, what: &str| {
        let mut seen: Vec<(String, usize)> = vec![];
        for m in &voting {
            let k = key(m);
            if k.is_empty() {
                continue;
            }
            match seen.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => seen.push((k, 1)),
            }
        }
        for (k, n) in seen {
            if n >= 3 && n as f64 > limit {
                concentrated.push(format!("{what}「{k}」から {n} 人"));
            }
        }
    };
    count(&|m: &MemberForCheck| m.affiliation.clone(), "所属");
    count(&|m: &MemberForCheck| m.specialty.clone(), "専門領域");
    let ok = missing.is_empty() && concentrated.is_empty();
    Composition {
        covered,
        missing,
        busy_members,
        concentrated,
        ok,
    }
}

/// The guide's four group-work cases (熊本県の研修会).
pub const SCENARIOS: [(&str, &str, &str, &str); 4] = [
    ("school", "就学・進学", "1型糖尿病", "小学校入学を控えた6歳。インスリン注射と血糖測定が学校で必要。保護者は付き添いを求められるのではと不安。"),
    ("home", "在宅・レスパイト", "重症心身障害児", "人工呼吸器と経管栄養の5歳。母が24時間ケアを担い、睡眠不足が続いている。きょうだいもいる。"),
    ("transition", "移行期医療", "先天性心疾患", "16歳。小児科に通い続けているが、成人診療科への移行と進路・就労を考える時期。本人は病気の説明が苦手。"),
    ("return", "復学", "急性リンパ性白血病", "中学1年。入院中は院内学級に在籍。退院後、原籍校への復学を控え、感染予防と体力低下が心配。"),
];

pub fn scenario(key: &str) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    SCENARIOS.iter().copied().find(|(k, _, _, _)| *k == key)
}

/// Contracted services.
pub const SERVICES: [&str; 6] = [
    "相談支援",
    "療養生活支援",
    "相互交流支援",
    "就職支援",
    "介護者支援",
    "その他の支援",
];

/// Whether `month` (YYYY-MM) falls inside a contract period.
pub fn month_in(month: &str, from: &str, to: &str) -> bool {
    month.len() == 7 && month >= &from[..7.min(from.len())] && month <= &to[..7.min(to.len())]
}

/// Yen with thousands separators: 5,496,000円.
pub fn yen(v: i64) -> String {
    format!("{}円", crate::text::group_digits(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_agenda_fits_an_hour_but_not_fifty_minutes() {
        assert!(check_agenda(&guide_agenda(), 60).is_ok());
        let e = check_agenda(&guide_agenda(), 50).unwrap_err();
        assert!(
            e.contains("連携目的の共有・連携場面の共有") && e.contains("超えています"),
            "{e}"
        );
    }

    #[test]
    fn overlapping_segments_are_refused() {
        let mut a = guide_agenda();
        a[2].offset = 10;
        assert!(check_agenda(&a, 60).unwrap_err().contains("重なっています"));
        assert_eq!(parse_hm("0:25"), Some(25));
        assert_eq!(parse_hm("１:００"), Some(60));
        assert_eq!(hm(65), "1:05");
    }

    fn m(name: &str, aff: &str, field: &str, spec: &str, other: i64) -> MemberForCheck {
        MemberForCheck {
            name: name.into(),
            affiliation: aff.into(),
            field: field.into(),
            specialty: spec.into(),
            other_councils: other,
            observer: false,
        }
    }

    #[test]
    fn composition_check_follows_the_guide() {
        let members = vec![
            m("A", "デモ大学病院", "医療", "小児科", 4),
            m("B", "デモ大学病院", "医療", "小児科", 0),
            m("C", "デモ大学病院", "医療", "小児外科", 0),
            m("D", "家族会", "家族会・患者会", "", 0),
            m("E", "教育委員会", "教育", "", 1),
        ];
        let c = composition(&members);
        assert_eq!(c.missing, vec!["福祉", "医療的ケア", "就労"]);
        assert_eq!(c.busy_members.len(), 1);
        assert!(
            c.concentrated.iter().any(|x| x.contains("デモ大学病院")),
            "{:?}",
            c.concentrated
        );
        assert!(!c.ok);
    }

    #[test]
    fn months_and_money() {
        assert!(month_in("2025-04", "2025-04-01", "2026-03-31"));
        assert!(!month_in("2026-04", "2025-04-01", "2026-03-31"));
        assert_eq!(yen(5_496_000), "5,496,000円");
        assert_eq!(yen(0), "0円");
    }
}
