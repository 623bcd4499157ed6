//! Demo collaboration network for デモ市: goals modelled on the guide's examples, a
//! 地域支援協議会 with members and a held meeting (guide timeline, minutes, actions),
//! a training day with the four group-work cases, and the NPO contract with its
//! committee and monthly reports.

use chrono::{Datelike, Duration};

use crate::auth::TenantId;
use crate::db::{insert_many, Tx, Val};
use crate::error::AppResult;
use crate::network::model;
use crate::time;

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub async fn clear(tx: &mut Tx, tenant_id: &TenantId) -> AppResult<()> {
    crate::demo::services::clear(tx, tenant_id).await?;
    sqlx::query("UPDATE users SET contract_id = NULL WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    for table in [
        "monthly_report_meetings",
        "monthly_reports",
        "contracts",
        "conference_participants",
        "action_items",
        "meetings",
        "council_members",
        "councils",
        "training_survey_answers",
        "training_survey_links",
        "training_surveys",
        "trainings",
        "collaboration_goals",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn load(tx: &mut Tx, tenant_id: &TenantId, code: &str) -> AppResult<()> {
    clear(tx, tenant_id).await?;
    let agencies: Vec<(String, String, String)> = sqlx::query_as("SELECT id, name, field FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_key")
        .bind(tenant_id)
        .fetch_all(&mut **tx)
        .await?;
    let find = |needle: &str| agencies.iter().find(|a| a.1.contains(needle)).cloned();
    let first_of = |field: &str| agencies.iter().find(|a| a.2 == field).cloned();
    let now = time::now_db();
    let today = time::today_jst();
    let d = |x: chrono::NaiveDate| x.format("%Y-%m-%d").to_string();
    let place = if code == "demo-city" {
        "デモ市保健所 大会議室"
    } else {
        "デモ県庁 第3会議室"
    };
    // Goals (two versions).
    let hub = find("サポートネット").or_else(|| first_of("総合支援"));
    let to_be = serde_json::json!([
        "子どもが成長や生活の変化を迎えても、医療・福祉・教育・就労支援が切れ目なく連携し、安心して学び・暮らし・将来を選択できること。",
        "家族だけで病気や治療に伴う負担を抱えるのではなく、平時・緊急時ともに子どもと家族を地域全体で支えられること。"
    ]);
    let as_is = serde_json::json!([
        {"text": "退院や長期欠席のあと、学校側の準備や理解が追いつかず、無理な登校・学習が求められてしまう。", "source": "令和6年度 実態把握調査（自由記述）"},
        {"text": "病状や治療の見通しが学校に伝わらず、進級・進学の場面で本人・家族と学校の考えにギャップが生じる。", "source": "相談記録（就学・進学）"},
        {"text": "きょうだい児の不安やしんどさが見逃されやすく、相談先が分からない。", "source": "家族会からの声"},
        {"text": "緊急時に「誰に連絡し、どう動けばよいか」が現場で分からず、対応が遅れがち。", "source": "ケース会議の振り返り"}
    ]);
    let purposes = serde_json::json!([
        {"text": "退院・転校・進学など生活が変わっても、子どもが安心して学校生活を続けられるようにする。", "indicator": "欠席日数の変化", "target": "5日以下（学期あたり。長期欠席から復学した子どもの欠席日数を学期ごとに減らす）", "measure": "absence_school", "baseline": "12日（令和6年度3学期）"},
        {"text": "通院や手続きなど家族の負担を関係機関で分担し、保護者が一人で抱え込まないようにする。", "indicator": "家族の負担感（1〜5）", "target": "2.5以下（負担感4以上の家族を半減）", "measure": "family_burden", "baseline": "4（令和6年度3学期）"},
        {"text": "病状や配慮事項が医療から学校・福祉へ適切に共有されるようにする。", "indicator": "学校生活管理指導表の共有件数", "target": "対象児の全員分を共有"},
        {"text": "小児期から成人期への移行で、医療・教育・就労支援が途切れないようにする。", "indicator": "移行期支援の計画がある15歳以上の割合", "target": "80%"},
        {"text": "緊急時に誰に連絡しどう動くかを関係機関で共有しておく。", "indicator": "緊急時連絡票の整備率", "target": "医療的ケア児は100%"}
    ]);
    for (v, note) in [
        (1i64, "初版（地域支援協議会の準備として作成）"),
        (2, "協議会の意見を受けて、指標と目標を具体化"),
    ] {
        sqlx::query("INSERT INTO collaboration_goals (id, tenant_id, version, to_be, as_is, purposes, hub_agency_id, hub_people, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id())
            .bind(tenant_id)
            .bind(v)
            .bind(to_be.to_string())
            .bind(as_is.to_string())
            .bind(if v == 1 { serde_json::json!([{"text": "子どもが安心して学校生活を続けられるようにする。", "indicator": "欠席日数", "target": ""}]).to_string() } else { purposes.to_string() })
            .bind(hub.as_ref().map(|h| h.0.clone()))
            .bind("自立支援員 田中 健一（保健予防課）")
            .bind(note)
            .bind("佐藤 由美")
            .bind(time::to_db(time::now() - Duration::days(if v == 1 { 200 } else { 40 })))
            .execute(&mut **tx)
            .await?;
    }
    // The 地域支援協議会 and its members.
    let council = id();
    sqlx::query("INSERT INTO councils (id, tenant_id, name, kind, purpose, department, created_at, updated_at) VALUES ($1, $2, $3, '地域支援協議会', $4, $5, $6, $6)")
        .bind(&council)
        .bind(tenant_id)
        .bind(if code == "demo-city" { "デモ市慢性疾病児童等地域支援協議会" } else { "デモ県慢性疾病児童等地域支援協議会" })
        .bind("連携可能な機関を把握し、顔の見える関係をつくる。どのような場面でどのような連携を行うのかを具体的にイメージし、連携目的を共有する。")
        .bind("保健所 保健予防課")
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    let member = |name: &str,
                  agency: Option<(String, String, String)>,
                  aff: &str,
                  field: &str,
                  spec: &str,
                  role: &str,
                  other: i64,
                  pos: i64|
     -> Vec<Val> {
        vec![
            id().into(),
            tenant_id.into(),
            council.as_str().into(),
            name.into(),
            Val::OptText(agency.as_ref().map(|a| a.0.clone())),
            agency
                .as_ref()
                .map(|a| a.1.clone())
                .unwrap_or_else(|| aff.to_string())
                .into(),
            field.into(),
            spec.into(),
            role.into(),
            Val::OptText(Some(format!("{}-04-01", time::fiscal_year(today)))),
            Val::OptText(Some(format!("{}-03-31", time::fiscal_year(today) + 2))),
            other.into(),
            false.into(),
            pos.into(),
        ]
    };
    let rows = vec![
        member(
            "森田 健",
            find("大学").or_else(|| first_of("医療")),
            "大学病院 小児科",
            "医療",
            "小児科",
            "会長",
            2,
            0,
        ),
        member(
            "青木 真理子",
            find("こども病院"),
            "市立こども病院",
            "医療",
            "小児外科",
            "委員",
            1,
            1,
        ),
        member(
            "木下 恵美",
            find("医療的ケア児支援センター").or_else(|| first_of("医療的ケア")),
            "医療的ケア児支援センター",
            "医療的ケア",
            "看護",
            "委員",
            3,
            2,
        ),
        member(
            "村上 由紀",
            first_of("家族会・患者会"),
            "家族会",
            "家族会・患者会",
            "",
            "委員",
            0,
            3,
        ),
        member(
            "長谷川 聡",
            find("特別支援教育").or_else(|| first_of("教育")),
            "教育委員会",
            "教育",
            "特別支援教育",
            "委員",
            1,
            4,
        ),
        member(
            "伊藤 さくら",
            hub.clone(),
            "NPO法人",
            "総合支援",
            "相談支援",
            "委員（委託先）",
            0,
            5,
        ),
    ];
    insert_many(
        tx,
        "council_members",
        &[
            "id",
            "tenant_id",
            "council_id",
            "person_name",
            "agency_id",
            "affiliation",
            "field",
            "specialty",
            "role",
            "term_from",
            "term_to",
            "other_councils",
            "observer",
            "position",
        ],
        rows,
    )
    .await?;
    // A held meeting with the guide's timeline, minutes and actions; and the next one.
    let held = id();
    let held_at = today - Duration::days(45);
    let next = id();
    let agenda = serde_json::to_string(&model::guide_agenda()).unwrap_or_default();
    for (mid, date, minutes, decisions, attendance) in [
        (&held, held_at, "連携目的（案）について意見交換。学校との情報共有の手順を具体化すべきとの意見が多かった。家族会から、きょうだい児の相談先を協議会として周知してほしいとの要望。", "・連携目的を第2版に更新する\n・就学・進学の連携場面に教育委員会と家族会を加える", r#"["森田 健","青木 真理子","木下 恵美","村上 由紀","長谷川 聡"]"#),
        (&next, today + Duration::days(30), "", "", "[]"),
    ] {
        let local = format!("{}T14:00", d(date));
        sqlx::query("INSERT INTO meetings (id, tenant_id, council_id, kind, title, starts_at, starts_utc, duration_minutes, place, online, agenda, attendance, minutes, decisions, created_by, created_at, updated_at) VALUES ($1, $2, $3, 'council', $4, $5, $12, 60, $6, 1, $7, $8, $9, $10, '佐藤 由美', $11, $11)")
            .bind(mid.as_str())
            .bind(tenant_id)
            .bind(&council)
            .bind(if *mid == held { "地域支援協議会 第1回" } else { "地域支援協議会 第2回" })
            .bind(&local)
            .bind(place)
            .bind(&agenda)
            .bind(attendance)
            .bind(minutes)
            .bind(decisions)
            .bind(&now)
            .bind(time::jst_local_to_db(&local))
            .execute(&mut **tx)
            .await?;
    }
    let actions = vec![
        vec![
            Val::from(id()),
            tenant_id.into(),
            held.as_str().into(),
            "連携目的を第2版に更新し、委員に送付する".into(),
            "保健予防課 佐藤".into(),
            Val::OptText(Some(d(held_at + Duration::days(14)))),
            "done".into(),
            Val::OptText(Some(now.clone())),
            now.as_str().into(),
        ],
        vec![
            Val::from(id()),
            tenant_id.into(),
            held.as_str().into(),
            "学校への情報提供の手順（案）を作る".into(),
            "教育委員会 長谷川".into(),
            Val::OptText(Some(d(today - Duration::days(5)))),
            "open".into(),
            Val::OptText(None),
            now.as_str().into(),
        ],
        vec![
            Val::from(id()),
            tenant_id.into(),
            held.as_str().into(),
            "きょうだい児の相談先リーフレットの原案".into(),
            "家族会 村上".into(),
            Val::OptText(Some(d(today + Duration::days(20)))),
            "open".into(),
            Val::OptText(None),
            now.as_str().into(),
        ],
    ];
    insert_many(
        tx,
        "action_items",
        &[
            "id",
            "tenant_id",
            "meeting_id",
            "description",
            "owner",
            "due_date",
            "status",
            "done_at",
            "created_at",
        ],
        actions,
    )
    .await?;
    // Training day (熊本県の研修会のように).
    let curriculum = serde_json::json!([
        {"time": "13:00-13:10", "title": "開会・趣旨説明", "speaker": "保健予防課", "content": ""},
        {"time": "13:10-13:50", "title": "講義：小児慢性特定疾病児童等自立支援事業と地域連携", "speaker": "大学病院 小児科 森田", "content": ""},
        {"time": "14:00-15:20", "title": "グループワーク：事例検討と頼れる人マップ", "speaker": "自立支援員", "content": "4グループ、各事例で頼れる人マップを作成"},
        {"time": "15:20-15:50", "title": "発表・意見交換", "speaker": "", "content": ""}
    ]);
    let participants = serde_json::json!([
        {"name": "山口 綾", "affiliation": "デモ市立本町小学校", "field": "教育", "group": 1, "attended": true},
        {"name": "清水 誠", "affiliation": "デモ訪問看護ステーション", "field": "医療", "group": 2, "attended": true},
        {"name": "池田 由香", "affiliation": "デモ市 障害福祉課", "field": "行政", "group": 3, "attended": true},
        {"name": "橋本 剛", "affiliation": "デモ公共職業安定所", "field": "就労", "group": 4, "attended": false},
        {"name": "斎藤 美和", "affiliation": "相談支援事業所", "field": "障害", "group": 1, "attended": true}
    ]);
    let training = id();
    sqlx::query("INSERT INTO trainings (id, tenant_id, title, date, place, curriculum, scenarios, participants, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
        .bind(&training)
        .bind(tenant_id)
        .bind("関係機関向け研修会（小慢児童等の地域連携）")
        .bind(d(today - Duration::days(20)))
        .bind(place)
        .bind(curriculum.to_string())
        .bind(r#"["school","home","transition","return"]"#)
        .bind(participants.to_string())
        .bind("事前アンケート「連携のハードルを感じる」29.1% → 事後 0%。")
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    crate::demo::survey::load(tx, tenant_id, &training, today - Duration::days(20)).await?;
    // The contract with the NPO, its committee (年5回) and monthly reports.
    let committee = id();
    sqlx::query("INSERT INTO councils (id, tenant_id, name, kind, purpose, department, created_at, updated_at) VALUES ($1, $2, '自立支援事業 委員会', '委員会', '委託事業の運営状況を確認し、支援の質を高める（年5回）。', '保健予防課', $3, $3)")
        .bind(&committee)
        .bind(tenant_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    let fy = time::fiscal_year(today);
    let contract = id();
    sqlx::query("INSERT INTO contracts (id, tenant_id, contractor_name, agency_id, period_from, period_to, services, price, subsidy_percent, committee_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '相談支援,相互交流支援,就職支援,介護者支援', 5496000, 50, $7, $8, $8)")
        .bind(&contract)
        .bind(tenant_id)
        .bind(hub.as_ref().map(|h| h.1.clone()).unwrap_or_else(|| "NPO法人 デモこどもサポートネット".into()))
        .bind(hub.as_ref().map(|h| h.0.clone()))
        .bind(format!("{fy}-04-01"))
        .bind(format!("{}-03-31", fy + 1))
        .bind(&committee)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET contract_id = $1 WHERE login = $2")
        .bind(&contract)
        .bind(format!("contractor@{code}"))
        .execute(&mut **tx)
        .await?;
    for (k, month_start) in [
        (0, today - Duration::days(95)),
        (1, today - Duration::days(64)),
        (2, today - Duration::days(33)),
    ] {
        let month = month_start.format("%Y-%m").to_string();
        if !model::month_in(&month, &format!("{fy}-04-01"), &format!("{}-03-31", fy + 1)) {
            continue;
        }
        let status = ["approved", "approved", "submitted"][k];
        // The committee met in each of these months (年5回); the report counts that
        // meeting record, and its figures come from the contract staff's consultations.
        let first = month_start.with_day(1).unwrap_or(month_start);
        let starts_at = format!("{}T14:00", first + Duration::days(9 + k as i64));
        sqlx::query("INSERT INTO meetings (id, tenant_id, council_id, kind, title, starts_at, starts_utc, duration_minutes, place, online, agenda, attendance, minutes, decisions, created_by, created_at, updated_at) VALUES ($1, $2, $3, 'committee', $4, $5, $6, 90, '保健センター 2階 会議室', 0, '[]', '[]', '', '', '佐藤 由美', $7, $7)")
            .bind(id())
            .bind(tenant_id)
            .bind(&committee)
            .bind(format!("自立支援事業 委員会（第{}回）", k + 1))
            .bind(&starts_at)
            .bind(time::jst_local_to_db(&starts_at))
            .bind(&now)
            .execute(&mut **tx)
            .await?;
        let d = crate::reports::store::draft::draft_in(
            tx,
            tenant_id,
            &contract,
            Some(&committee),
            &month,
        )
        .await?;
        let report = id();
        sqlx::query(
            "INSERT INTO monthly_reports (id, tenant_id, contract_id, month, children_count, families_count, consultations, support_summary, changes, meetings_held, status, return_reason, submitted_by, submitted_at, decided_by, decided_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', '伊藤 さくら', $12, $13, $14, $12)",
        )
        .bind(&report)
        .bind(tenant_id)
        .bind(&contract)
        .bind(&month)
        .bind(d.children)
        .bind(d.families)
        .bind(d.consultations)
        .bind("電話・訪問による相談支援、病院での面談、学校への同行。家族交流会を1回開催（8家族）。")
        .bind(if d.changes.is_empty() {
            "この月に記録した相談はありません。".to_string()
        } else {
            d.changes.clone()
        })
        .bind("病院との打合せ 3回（会議の記録なし）")
        .bind(status)
        .bind(&now)
        .bind((status == "approved").then_some("佐藤 由美"))
        .bind((status == "approved").then(|| now.clone()))
        .execute(&mut **tx)
        .await?;
        for m in &d.meetings {
            sqlx::query("INSERT INTO monthly_report_meetings (report_id, tenant_id, meeting_id) VALUES ($1, $2, $3)")
                .bind(&report)
                .bind(tenant_id)
                .bind(&m.id)
                .execute(&mut **tx)
                .await?;
        }
    }
    crate::demo::services::load(tx, tenant_id, code, &contract).await?;
    Ok(())
}
