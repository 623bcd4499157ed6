//! Referrals of the demo children, in every state (sent, accepted, in progress,
//! completed, declined) with their history, and the consent each referral needs.

use chrono::Duration;

use super::{ts, ymd, Agencies, Child, Load, Rng, Rows};
use crate::db::Val;

/// A referral for two children in three, to a family group, work, welfare or the hospital.
pub(super) fn referral(r: &mut Rng, rows: &mut Rows, l: &Load<'_>, c: &Child<'_>, ag: &Agencies) {
    let tenant_id = l.tenant;
    let today = l.today;
    let now = &l.now;
    let d = ymd;
    let i = c.i;
    let id = &c.id;
    let primary_name = c.primary_name;
    let hospital = &c.hospital;
    let age = c.age;
    // Referrals in every state.
    if r.below(3) != 0 {
        let target = match i % 4 {
            0 => r.pick(&ag.family_groups).clone(),
            1 if !ag.work.is_empty() && age >= 15 => r.pick(&ag.work).clone(),
            2 if !ag.welfare.is_empty() => r.pick(&ag.welfare).clone(),
            // Half of the rest, for school-age children: their school (学校への紹介).
            3 if i % 8 == 3 && (6..=17).contains(&age) && !ag.education.is_empty() => {
                r.pick(&ag.education).clone()
            }
            _ => hospital.clone(),
        };
        let status = [
            "sent",
            "accepted",
            "in_progress",
            "completed",
            "declined",
            "completed",
            "in_progress",
        ][i % 7];
        let created = today - Duration::days(5 + r.below(120) as i64);
        let rid = uuid::Uuid::now_v7().to_string();
        let (reason, outcome) = match status {
            "declined" => ("定員に空きがないため、来年度に改めて相談してください", ""),
            "completed" => (
                "",
                "面談を行い、サービスの利用を開始した。本人も前向きに参加している。",
            ),
            _ => ("", ""),
        };
        if target.0 == hospital.0 {
            // The hospital has consent for basic, disease, medical_care, school.
        } else {
            rows.consents.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                target.0.as_str().into(),
                "紹介先での支援のための情報共有".into(),
                "basic,disease".into(),
                d(created - Duration::days(1)).into(),
                Val::OptText(None),
                "口頭".into(),
                "母".into(),
                primary_name.as_str().into(),
                now.as_str().into(),
                "".into(),
            ]);
        }
        rows.referrals.push(vec![
            rid.as_str().into(),
            tenant_id.into(),
            id.as_str().into(),
            target.0.as_str().into(),
            "相談先の紹介と、家族の負担軽減".into(),
            "basic,disease".into(),
            "母の了承を得ています。平日の午後に母の携帯へ連絡をお願いします。".into(),
            status.into(),
            reason.into(),
            outcome.into(),
            primary_name.as_str().into(),
            ts(created, 10, 0).into(),
            ts(created + Duration::days(3), 10, 0).into(),
            Val::OptText(
                (status != "sent" && status != "declined")
                    .then(|| ts(created + Duration::days(2), 11, 0)),
            ),
            Val::OptText(
                matches!(status, "completed" | "declined")
                    .then(|| ts(created + Duration::days(3), 10, 0)),
            ),
        ]);
        let path: &[&str] = match status {
            "sent" => &["sent"],
            "accepted" => &["sent", "accepted"],
            "in_progress" => &["sent", "accepted", "in_progress"],
            "completed" => &["sent", "accepted", "in_progress", "completed"],
            _ => &["sent", "declined"],
        };
        for (k, st) in path.iter().enumerate() {
            let from = if k == 0 { "" } else { path[k - 1] };
            let actor = if k == 0 {
                format!("{primary_name}（依頼）")
            } else {
                format!("{}（窓口）", target.1)
            };
            let note = if *st == "declined" {
                reason
            } else if *st == "completed" {
                outcome
            } else {
                ""
            };
            rows.events.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                rid.as_str().into(),
                ts(created + Duration::days(k as i64), 10 + k as u32, 0).into(),
                actor.into(),
                from.into(),
                (*st).into(),
                note.into(),
            ]);
        }
    }
}
