//! Demo case conferences (ケース会議) for デモ市: for one school-age child of the
//! 自立支援員, a held conference with the hospital and the school (both with the
//! family's consent), minutes, decisions and outcomes reflected into the child's
//! 自立支援計画; and the next one, planned. Loaded after the network demo (which
//! resets the tenant's meetings).

use chrono::Duration;

use crate::auth::TenantId;
use crate::conferences::model;
use crate::db::Tx;
use crate::error::AppResult;
use crate::time;

/// (kind, user, agency, name, affiliation) of a participant.
type Person = (&'static str, Option<String>, Option<String>, String, String);

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub async fn load(tx: &mut Tx, tenant_id: &TenantId, code: &str) -> AppResult<()> {
    if code != "demo-city" {
        return Ok(());
    }
    let worker_login = format!("support_worker@{code}");
    let child: Option<(String, String)> = sqlx::query_as(
        "SELECT c.id, c.school FROM children c JOIN child_workers w ON w.child_id = c.id AND w.is_primary = 1 \
         JOIN users u ON u.id = w.user_id \
         WHERE c.tenant_id = $1 AND u.login = $2 AND c.grade <> '' \
         AND EXISTS (SELECT 1 FROM support_plans p WHERE p.child_id = c.id) \
         ORDER BY c.reading, c.id LIMIT 1",
    )
    .bind(tenant_id)
    .bind(&worker_login)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((child_id, school_name)) = child else {
        return Ok(());
    };
    let consented: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT DISTINCT c.agency_id, a.name, a.field FROM consents c JOIN agencies a ON a.id = c.agency_id \
         WHERE c.child_id = $1 AND c.tenant_id = $2 AND c.revoked_at IS NULL ORDER BY a.field, a.name",
    )
    .bind(&child_id)
    .bind(tenant_id)
    .fetch_all(&mut **tx)
    .await?;
    let hospital = consented.iter().find(|a| a.2 == "医療").cloned();
    let school = consented.iter().find(|a| a.2 == "教育").cloned();
    let (Some(hospital), Some(school)) = (hospital, school) else {
        return Ok(());
    };
    let staff: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, display_name, role FROM users WHERE tenant_id = $1 AND login IN ($2, $3) ORDER BY role DESC",
    )
    .bind(tenant_id)
    .bind(&worker_login)
    .bind(format!("nurse@{code}"))
    .fetch_all(&mut **tx)
    .await?;
    let Some(worker) = staff.iter().find(|s| s.2 == "support_worker").cloned() else {
        return Ok(());
    };
    let label = |role: &str| {
        crate::auth::Role::parse(role)
            .map(|r| r.label())
            .unwrap_or("")
            .to_string()
    };
    let today = time::today_jst();
    let now = time::now_db();
    let held_day = today - Duration::days(20);
    let next_day = today + Duration::days(10);
    let mut agenda = model::default_agenda();
    for (seg, who) in agenda.iter_mut().zip([
        worker.1.as_str(),
        "母・学校・病院",
        "全員",
        "全員",
        worker.1.as_str(),
    ]) {
        seg.presenter = who.to_string();
    }
    let agenda = serde_json::to_string(&agenda).unwrap_or_default();
    let place = if school_name.is_empty() {
        "デモ市保健所 相談室".to_string()
    } else {
        format!("{school_name} 会議室")
    };
    let held = id();
    let next = id();
    for (mid, day, title, purpose, minutes, decisions) in [
        (
            &held,
            held_day,
            "ケース会議（第1回）",
            "体調を崩したときの学校での対応と連絡の流れを、学校・病院・家族で確認し、役割を分担する。",
            "母より、最近は朝の体調が不安定で、遅刻や早退が月に数回あるとの報告。\n主治医より、学校で注意してほしい症状と、受診が必要な目安の説明があった。\n担任・養護教諭より、体調不良時に誰がどこへ連絡するかが決まっておらず、対応に迷う場面があったとの共有。\n本人は「保健室で少し休めば戻れることが多い」と話した。",
            "・体調不良時の連絡の流れ（学校→保護者→病院）を連絡票にまとめる\n・学校生活管理指導表を更新し、学校に渡す\n・1か月後に様子を確認し、次回のケース会議で振り返る",
        ),
        (
            &next,
            next_day,
            "ケース会議（第2回）",
            "連絡票の運用を振り返り、進級に向けた準備と配慮事項を確認する。",
            "",
            "",
        ),
    ] {
        let local = format!("{}T16:00", day.format("%Y-%m-%d"));
        sqlx::query(
            "INSERT INTO meetings (id, tenant_id, council_id, child_id, kind, title, starts_at, starts_utc, duration_minutes, place, online, agenda, attendance, minutes, decisions, purpose, created_by, created_at, updated_at) \
             VALUES ($1, $2, NULL, $3, 'case_conference', $4, $5, $6, 60, $7, 0, $8, '[]', $9, $10, $11, $12, $13, $13)",
        )
        .bind(mid.as_str())
        .bind(tenant_id)
        .bind(&child_id)
        .bind(title)
        .bind(&local)
        .bind(time::jst_local_to_db(&local))
        .bind(&place)
        .bind(&agenda)
        .bind(minutes)
        .bind(decisions)
        .bind(purpose)
        .bind(&worker.1)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let attended = i64::from(*mid == held);
        let mut people: Vec<Person> = staff
            .iter()
            .map(|s| ("staff", Some(s.0.clone()), None, s.1.clone(), label(&s.2)))
            .collect();
        people.push(("family", None, None, "母".into(), String::new()));
        people.push(("family", None, None, "本人".into(), String::new()));
        people.push((
            "agency",
            None,
            Some(hospital.0.clone()),
            "小児科 主治医".into(),
            hospital.1.clone(),
        ));
        people.push((
            "agency",
            None,
            Some(school.0.clone()),
            "担任・養護教諭".into(),
            school.1.clone(),
        ));
        for (pos, (kind, user, agency, name, affiliation)) in people.into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO conference_participants (id, tenant_id, meeting_id, kind, user_id, agency_id, name, affiliation, attended, position, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id())
            .bind(tenant_id)
            .bind(mid.as_str())
            .bind(kind)
            .bind(user)
            .bind(agency)
            .bind(name)
            .bind(affiliation)
            .bind(attended)
            .bind(pos as i64)
            .bind(&worker.1)
            .bind(&now)
            .execute(&mut **tx)
            .await?;
        }
    }
    let d = |x: chrono::NaiveDate| x.format("%Y-%m-%d").to_string();
    for (description, owner, due) in [
        (
            "学校生活管理指導表を更新し、学校に渡す",
            hospital.1.clone(),
            held_day + Duration::days(14),
        ),
        (
            "体調不良時の連絡票（学校→保護者→病院）を作り、教職員に周知する",
            school.1.clone(),
            held_day + Duration::days(21),
        ),
        (
            "1か月後に家族へ電話で様子を確認し、次回のケース会議を調整する",
            worker.1.clone(),
            held_day + Duration::days(30),
        ),
    ] {
        sqlx::query("INSERT INTO action_items (id, tenant_id, meeting_id, description, owner, due_date, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)")
            .bind(id())
            .bind(tenant_id)
            .bind(&held)
            .bind(description)
            .bind(owner)
            .bind(d(due))
            .bind(&now)
            .execute(&mut **tx)
            .await?;
    }
    crate::conferences::store::reflect_on(tx, tenant_id, &held, &worker.1).await?;
    Ok(())
}
