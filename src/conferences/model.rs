//! Case conference rules (no I/O): the default agenda, participant kinds, and which
//! items of the child's record a conference may show — those that every participating
//! agency is consented to see.

use serde::Serialize;

use crate::cases::model::CONSENT_ITEMS;
use crate::network::model::Segment;

/// `meetings.kind` of a case conference.
pub const KIND: &str = "case_conference";

/// A short case-conference timeline (one hour), offered as the default agenda.
pub fn default_agenda() -> Vec<Segment> {
    [
        (0, 5, "目的の確認"),
        (5, 15, "現状の共有"),
        (20, 20, "支援の検討"),
        (40, 15, "役割分担"),
        (55, 5, "次回の確認"),
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

/// Who takes part: staff of the tenant, the family, agencies.
pub const PARTICIPANT_KINDS: [(&str, &str); 3] = [
    ("staff", "職員"),
    ("family", "本人・家族"),
    ("agency", "関係機関"),
];

pub fn participant_kind_label(k: &str) -> &'static str {
    PARTICIPANT_KINDS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// One participating agency as the consent check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyConsent {
    pub name: String,
    /// Items of its consents in force today (empty: no consent in force).
    pub items: Vec<String>,
}

/// One item of the record's vocabulary and whether the conference shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ItemStatus {
    pub key: String,
    pub label: String,
    pub shown: bool,
    /// Why it is shown or hidden, in Japanese.
    pub reason: String,
}

/// The items every participating agency may see (the intersection of their consented
/// items), and for each item of the vocabulary why it is shown or hidden. An agency
/// without a consent in force sees nothing, so while it takes part nothing is shown.
/// Without any agency (staff and family only) the whole vocabulary is shown.
pub fn shared_items(agencies: &[AgencyConsent]) -> (Vec<String>, Vec<ItemStatus>) {
    let mut shown = vec![];
    let mut status = vec![];
    let without: Vec<&str> = agencies
        .iter()
        .filter(|a| a.items.is_empty())
        .map(|a| a.name.as_str())
        .collect();
    for (key, label) in CONSENT_ITEMS {
        let missing: Vec<&str> = agencies
            .iter()
            .filter(|a| !a.items.is_empty() && !a.items.iter().any(|i| i == key))
            .map(|a| a.name.as_str())
            .collect();
        let (ok, reason) = if agencies.is_empty() {
            (
                true,
                "関係機関の参加者がいないため（職員と本人・家族だけの会議）".to_string(),
            )
        } else if !without.is_empty() {
            (
                false,
                format!(
                    "{} の同意がないため、どの項目も表示しません",
                    without.join("・")
                ),
            )
        } else if missing.is_empty() {
            (true, "参加するすべての関係機関が同意しています".to_string())
        } else {
            (
                false,
                format!("{} の同意に含まれていません", missing.join("・")),
            )
        };
        if ok {
            shown.push(key.to_string());
        }
        status.push(ItemStatus {
            key: key.to_string(),
            label: label.to_string(),
            shown: ok,
            reason,
        });
    }
    (shown, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, items: &[&str]) -> AgencyConsent {
        AgencyConsent {
            name: name.into(),
            items: items.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn default_agenda_fits_an_hour() {
        let ag = default_agenda();
        assert!(crate::network::model::check_agenda(&ag, 60).is_ok());
        assert!(crate::network::model::check_agenda(&ag, 45).is_err());
        assert_eq!(ag.last().map(|s| s.offset + s.minutes), Some(60));
    }

    #[test]
    fn intersection_of_consented_items() {
        let (shown, st) = shared_items(&[
            a("病院", &["basic", "disease", "medical_care", "school"]),
            a("学校", &["basic", "disease", "medical_care"]),
        ]);
        assert_eq!(shown, ["basic", "disease", "medical_care"]);
        let school = st.iter().find(|s| s.key == "school").unwrap();
        assert!(!school.shown);
        assert!(
            school.reason.contains("学校 の同意に含まれていません"),
            "{}",
            school.reason
        );
        let plan = st.iter().find(|s| s.key == "plan").unwrap();
        assert!(plan.reason.contains("病院・学校"), "{}", plan.reason);
    }

    #[test]
    fn an_agency_without_consent_hides_everything() {
        let (shown, st) = shared_items(&[a("病院", &["basic", "disease"]), a("学校", &[])]);
        assert!(shown.is_empty());
        assert!(st
            .iter()
            .all(|s| !s.shown && s.reason.contains("学校 の同意がない")));
    }

    #[test]
    fn staff_and_family_only_see_everything() {
        let (shown, _) = shared_items(&[]);
        assert_eq!(shown.len(), CONSENT_ITEMS.len());
    }
}
