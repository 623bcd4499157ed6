//! Rules of the optional services (努力義務事業), no I/O: the five kinds of the guide,
//! who a participant is (本人・きょうだい・保護者・家族), participation statuses, times
//! of an event, and the capacity check.

use chrono::{NaiveDate, NaiveTime};

/// (key, label, the contracted service of the same name in network::model::SERVICES).
pub const KINDS: [(&str, &str, &str); 5] = [
    ("respite", "療養生活支援（レスパイト）", "療養生活支援"),
    ("exchange", "相互交流支援", "相互交流支援"),
    ("employment", "就職支援", "就職支援"),
    ("caregiver", "介護者支援", "介護者支援"),
    ("other", "その他（学習支援など）", "その他の支援"),
];

pub fn kind_label(key: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, l, _)| *l)
        .unwrap_or("")
}

/// The contracted service a contract must include to run a service of this kind.
pub fn contract_service(key: &str) -> Option<&'static str> {
    KINDS.iter().find(|(k, _, _)| *k == key).map(|(_, _, s)| *s)
}

/// Participation: booked (予約), used (利用 = attended), absent (欠席).
pub const STATUSES: [(&str, &str); 3] =
    [("booked", "予約"), ("attended", "利用"), ("absent", "欠席")];

pub fn status_label(key: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// Who a participant is, from the family relation (the child itself has none).
pub const PERSON_KINDS: [(&str, &str); 4] = [
    ("child", "本人"),
    ("sibling", "きょうだい"),
    ("guardian", "保護者"),
    ("family", "家族"),
];

pub fn person_kind_label(key: &str) -> &'static str {
    PERSON_KINDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// 姉・兄・妹・弟 (and きょうだい) are siblings; a guardian is who the record marks as
/// 保護者; anyone else is family.
pub fn person_kind(relation: &str, is_guardian: bool) -> &'static str {
    let r = relation.trim();
    if ["姉", "兄", "妹", "弟", "きょうだい", "兄弟", "姉妹"].contains(&r) {
        "sibling"
    } else if is_guardian {
        "guardian"
    } else {
        "family"
    }
}

/// The key that makes a person unique in one event for one child. Family members are
/// keyed by relation and name (their ids change whenever the child's record is edited).
pub fn person_key(relation: &str, name: &str) -> String {
    format!(
        "family:{}:{}",
        crate::text::search_key(relation),
        crate::text::search_key(name)
    )
}

/// Parses 10:00 / １０：００ / 9:30 into a time.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = crate::text::nfkc(s.trim()).replace('：', ":");
    NaiveTime::parse_from_str(&s, "%H:%M").ok()
}

/// The seats still free, or a Japanese message when the new people do not fit.
pub fn check_capacity(capacity: i64, taken: i64, adding: i64) -> Result<i64, String> {
    let free = (capacity - taken).max(0);
    if adding <= free {
        return Ok(free - adding);
    }
    if free == 0 {
        Err(format!(
            "定員（{capacity}人）に達しているため、登録できません。別の回を選ぶか、定員を見直してください。"
        ))
    } else {
        Err(format!(
            "定員（{capacity}人）まで残り {free} 人のため、{adding} 人は登録できません。人数を減らすか、別の回を選んでください。"
        ))
    }
}

/// 2026年2月14日（土） from a date.
pub fn date_label(d: NaiveDate) -> String {
    use chrono::Datelike;
    const W: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    format!(
        "{}（{}）",
        crate::time::format_wareki(d),
        W[d.weekday().num_days_from_monday() as usize]
    )
}

/// The child's timeline shows a service use as 「本人（利用）」 or 「きょうだい 妹 はな（予約）」,
/// from `person_kind relation name status` (record::timeline).
pub fn timeline_body(raw: &str) -> String {
    let Some((kind, rest)) = raw.split_once(' ') else {
        return raw.to_string();
    };
    let (who, status) = rest.rsplit_once(' ').unwrap_or((rest, ""));
    let label = person_kind_label(kind);
    if kind == "child" {
        format!("{label}（{}）", status_label(status))
    } else {
        format!("{label} {}（{}）", who.trim(), status_label(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_contracted_services() {
        for (k, _, s) in KINDS {
            assert!(
                crate::network::model::SERVICES.contains(&s),
                "{k} maps to a contracted service"
            );
        }
        assert_eq!(kind_label("respite"), "療養生活支援（レスパイト）");
        assert_eq!(contract_service("employment"), Some("就職支援"));
        assert_eq!(contract_service("bogus"), None);
    }

    #[test]
    fn capacity_messages() {
        assert_eq!(check_capacity(10, 8, 2), Ok(0));
        let full = check_capacity(10, 10, 1).unwrap_err();
        assert!(full.contains("定員（10人）に達している"), "{full}");
        let short = check_capacity(10, 9, 3).unwrap_err();
        assert!(
            short.contains("残り 1 人") && short.contains("3 人は登録できません"),
            "{short}"
        );
        assert!(check_capacity(2, 5, 1).is_err(), "over-full stays full");
    }

    #[test]
    fn people_and_times() {
        assert_eq!(person_kind("妹", false), "sibling");
        assert_eq!(person_kind("母", true), "guardian");
        assert_eq!(person_kind("祖母", false), "family");
        assert_eq!(
            person_key("妹", "デモ はな"),
            person_key("妹", "デモ　はな")
        );
        assert_eq!(
            parse_time("１０：３０").map(|t| t.to_string()),
            Some("10:30:00".into())
        );
        assert!(parse_time("25:00").is_none());
        let d = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
        assert_eq!(date_label(d), "令和8年2月14日（土）");
        assert_eq!(timeline_body("child  デモ 太郎 attended"), "本人（利用）");
        assert_eq!(
            timeline_body("sibling 妹 デモ はな booked"),
            "きょうだい 妹 デモ はな（予約）"
        );
    }
}
