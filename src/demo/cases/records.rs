//! The record of one demo child's year: consultations (3 to 10), support plan
//! revisions, follow-ups (one pending, some overdue; one done), indicators per term
//! and, for some, a handover note.

use chrono::Duration;

use super::names::NOTES;
use super::{ts, ymd, Child, Load, Rng, Rows};
use crate::cases::model;
use crate::db::Val;

/// A year of consultations.
pub(super) fn consultations(r: &mut Rng, rows: &mut Rows, l: &Load<'_>, c: &Child<'_>) {
    let tenant_id = l.tenant;
    let today = l.today;
    let now = &l.now;
    let id = &c.id;
    let primary = c.primary;
    let primary_name = c.primary_name;
    // A year of consultations: 3..10.
    let count = 3 + r.below(8) as i64;
    for k in 0..count {
        let day = today - Duration::days(365 - (k * 365 / count) - r.below(20) as i64);
        let method = *r.pick(&model::METHODS);
        let kind = if method == "巡回" {
            "巡回相談指導"
        } else {
            *r.pick(&model::KINDS[..4])
        };
        let note = *r.pick(&NOTES);
        rows.consultations.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            ts(
                day.min(today),
                9 + r.below(8) as u32,
                15 * r.below(4) as u32,
            )
            .into(),
            method.into(),
            kind.into(),
            (if r.below(2) == 0 {
                "本人,保護者"
            } else {
                "保護者"
            })
            .into(),
            (*r.pick(&[
                "学校",
                "医療",
                "家族",
                "進学",
                "レスパイト",
                "就労,移行期",
                "きょうだい",
            ]))
            .into(),
            model::default_minutes(method).into(),
            (if method == "同行" { "学校" } else { "" }).into(),
            note.into(),
            (if k == count - 1 {
                "次回、受給者証の更新時に面談"
            } else {
                ""
            })
            .into(),
            primary.as_str().into(),
            primary_name.as_str().into(),
            now.as_str().into(),
        ]);
    }
}

/// Plans: most children have one, some two revisions.
pub(super) fn plans(r: &mut Rng, rows: &mut Rows, l: &Load<'_>, c: &Child<'_>) {
    let tenant_id = l.tenant;
    let today = l.today;
    let d = ymd;
    let id = &c.id;
    let primary_name = c.primary_name;
    let hospital = &c.hospital;
    let school_agency = &c.school_agency;
    let age = c.age;
    // Plans: most children have one, some two revisions.
    if r.below(5) != 0 {
        let revs = 1 + r.below(2) as i64;
        for rev in 1..=revs {
            let created = today - Duration::days(300 - (rev - 1) * 150);
            let actions = serde_json::json!([
                {"description": "学校と緊急時の対応を確認する", "owner": school_agency.1, "due_date": d(created + Duration::days(60)), "status": if rev == revs { "実施中" } else { "完了" }},
                {"description": "主治医に学校生活管理指導表を依頼する", "owner": hospital.1, "due_date": d(created + Duration::days(30)), "status": "完了"},
                {"description": "家族会の交流会に参加してみる", "owner": "保護者", "due_date": d(created + Duration::days(120)), "status": "未着手"},
            ]);
            rows.plans.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                rev.into(),
                (if age >= 12 {
                    "友だちと同じように修学旅行に行きたい。"
                } else {
                    "学校でみんなと給食を食べたい。"
                })
                .into(),
                "体調を崩さずに学校生活を続けてほしい。困ったときに相談できる先がほしい。".into(),
                (if age >= 15 {
                    "自分の病気を説明でき、進学・就労に向けて自分で体調管理ができる。"
                } else {
                    "学校で安心して過ごせる体制をつくる。"
                })
                .into(),
                "・学校と緊急時の対応を共有する\n・欠席日数を前年より減らす\n・母の相談先を増やす"
                    .into(),
                Val::OptText(Some(d(
                    created + Duration::days(if rev == revs { 330 } else { 150 })
                ))),
                actions.to_string().into(),
                (if rev == 1 {
                    "初回作成"
                } else {
                    "半年の見直し。学校との調整が進んだため目標を更新"
                })
                .into(),
                primary_name.as_str().into(),
                ts(created, 14, 0).into(),
            ]);
        }
    }
}

/// Follow-ups: one pending re-contact, one done.
pub(super) fn follow_ups(r: &mut Rng, rows: &mut Rows, l: &Load<'_>, c: &Child<'_>) {
    let tenant_id = l.tenant;
    let today = l.today;
    let now = &l.now;
    let d = ymd;
    let id = &c.id;
    let primary = c.primary;
    let primary_name = c.primary_name;
    // Follow-ups: one pending re-contact (some overdue), one done.
    let due = today + Duration::days(r.below(40) as i64 - 10);
    rows.follow_ups.push(vec![
        uuid::Uuid::now_v7().to_string().into(),
        tenant_id.into(),
        id.as_str().into(),
        "recontact".into(),
        d(due).into(),
        "体調と学校生活の様子を電話で確認".into(),
        Val::OptText(Some(primary.clone())),
        Val::OptText(None),
        Val::OptText(None),
        now.as_str().into(),
    ]);
    rows.follow_ups.push(vec![
        uuid::Uuid::now_v7().to_string().into(),
        tenant_id.into(),
        id.as_str().into(),
        "recontact".into(),
        d(today - Duration::days(90)).into(),
        "受診後の様子を確認".into(),
        Val::OptText(Some(primary.clone())),
        // Done on its due date (10:00 JST), or a few days late for one child in four.
        Val::OptText(Some(format!(
            "{}T01:00:00.000000Z",
            d(today - Duration::days(90 - if c.i.is_multiple_of(4) { 3 } else { 0 }))
        ))),
        Val::OptText(Some(primary_name.clone())),
        now.as_str().into(),
    ]);
}

/// Indicators: absence days per term, family burden.
pub(super) fn indicators(r: &mut Rng, rows: &mut Rows, l: &Load<'_>, c: &Child<'_>) {
    let tenant_id = l.tenant;
    let now = &l.now;
    let id = &c.id;
    let primary_name = c.primary_name;
    // Indicators: absence days per term, family burden.
    for (k, term) in ["R6 3学期", "R7 1学期", "R7 2学期"].iter().enumerate() {
        let absent = (12i64 - 4 * k as i64 + r.below(4) as i64).max(0);
        rows.indicators.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "absence_days".into(),
            (*term).into(),
            absent.into(),
            "".into(),
            primary_name.as_str().into(),
            now.as_str().into(),
        ]);
        rows.indicators.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "family_burden".into(),
            (*term).into(),
            (4 - k as i64).max(1).into(),
            "".into(),
            primary_name.as_str().into(),
            now.as_str().into(),
        ]);
    }
}

/// A handover note for every tenth child.
pub(super) fn handover(rows: &mut Rows, l: &Load<'_>, c: &Child<'_>) {
    let tenant_id = l.tenant;
    let today = l.today;
    let i = c.i;
    let id = &c.id;
    let primary_name = c.primary_name;
    if i % 10 == 4 {
        rows.handovers.push(vec![uuid::Uuid::now_v7().to_string().into(), tenant_id.into(), id.as_str().into(), "前任 保健師（異動）".into(), primary_name.as_str().into(),
                "母は電話よりメールを好む。受給者証の更新時期に必ず面談すること。学校の養護教諭とは関係良好。".into(), ts(today - Duration::days(200), 16, 0).into()]);
    }
}
