//! Demo optional services (努力義務事業): a レスパイト run by the tenant with past and
//! upcoming stays, a きょうだい交流会 for the demo children's siblings, and a 就職支援
//! seminar run by the NPO under its contract, each with participants from the demo
//! children. Called from demo_network (after the contract exists).

use chrono::{Duration, NaiveDate};

use crate::auth::TenantId;
use crate::db::Tx;
use crate::error::AppResult;
use crate::services::model;
use crate::time;

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub async fn clear(tx: &mut Tx, tenant_id: &TenantId) -> AppResult<()> {
    for table in [
        "service_participants",
        "service_events",
        "optional_services",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

struct DemoChild {
    id: String,
    name: String,
    age: i32,
    medical_care: bool,
    contractor: bool,
    /// (relation, name, is_guardian)
    family: Vec<(String, String, bool)>,
}

struct Ctx<'a> {
    tenant_id: &'a TenantId,
    now: String,
}

async fn service(
    tx: &mut Tx,
    c: &Ctx<'_>,
    kind: &str,
    name: &str,
    target: &str,
    description: &str,
    contract_id: Option<&str>,
) -> AppResult<String> {
    let sid = id();
    sqlx::query(
        "INSERT INTO optional_services (id, tenant_id, kind, name, description, target, contract_id, active, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, '佐藤 由美', $8, $8)",
    )
    .bind(&sid)
    .bind(c.tenant_id)
    .bind(kind)
    .bind(name)
    .bind(description)
    .bind(target)
    .bind(contract_id)
    .bind(&c.now)
    .execute(&mut **tx)
    .await?;
    Ok(sid)
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    c: &Ctx<'_>,
    service_id: &str,
    title: &str,
    date: NaiveDate,
    (start, end): (&str, &str),
    place: &str,
    capacity: i64,
    notes: &str,
) -> AppResult<String> {
    let eid = id();
    let t = model::parse_time(start).expect("demo time");
    let starts_at = time::to_db((date.and_time(t) - Duration::hours(9)).and_utc());
    sqlx::query(
        "INSERT INTO service_events (id, tenant_id, service_id, title, date, start_time, end_time, starts_at, place, capacity, notes, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '佐藤 由美', $12, $12)",
    )
    .bind(&eid)
    .bind(c.tenant_id)
    .bind(service_id)
    .bind(title)
    .bind(date.format("%Y-%m-%d").to_string())
    .bind(start)
    .bind(end)
    .bind(starts_at)
    .bind(place)
    .bind(capacity)
    .bind(notes)
    .bind(&c.now)
    .execute(&mut **tx)
    .await?;
    Ok(eid)
}

/// Registers the child (when `child`) and the family members whose relation is in
/// `relations`, with one status.
#[allow(clippy::too_many_arguments)]
async fn join(
    tx: &mut Tx,
    c: &Ctx<'_>,
    event_id: &str,
    ch: &DemoChild,
    child: bool,
    relations: &[&str],
    status: &str,
    by: &str,
) -> AppResult<()> {
    let mut people: Vec<(String, &str, String, String)> = vec![];
    if child {
        people.push(("child".into(), "child", String::new(), ch.name.clone()));
    }
    for (rel, name, guardian) in &ch.family {
        if relations.contains(&rel.as_str()) {
            people.push((
                model::person_key(rel, name),
                model::person_kind(rel, *guardian),
                rel.clone(),
                name.clone(),
            ));
        }
    }
    for (key, kind, rel, name) in people {
        sqlx::query(
            "INSERT INTO service_participants (id, tenant_id, event_id, child_id, person_key, person_kind, relation, person_name, status, note, registered_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $11)",
        )
        .bind(id())
        .bind(c.tenant_id)
        .bind(event_id)
        .bind(&ch.id)
        .bind(key)
        .bind(kind)
        .bind(rel)
        .bind(name)
        .bind(status)
        .bind(by)
        .bind(&c.now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn load(
    tx: &mut Tx,
    tenant_id: &TenantId,
    code: &str,
    contract_id: &str,
) -> AppResult<()> {
    clear(tx, tenant_id).await?;
    let today = time::today_jst();
    let contractor_login = format!("contractor@{code}");
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.name, c.birth_date, c.medical_care, \
         (SELECT COUNT(*) FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = c.id AND u.login = $2) AS by_contractor \
         FROM children c WHERE c.tenant_id = $1 ORDER BY c.reading, c.id",
    )
    .bind(tenant_id)
    .bind(&contractor_login)
    .fetch_all(&mut **tx)
    .await?;
    let mut children = vec![];
    for (cid, name, birth, medical_care, by_contractor) in rows {
        let family: Vec<(String, String, i64)> = sqlx::query_as("SELECT relation, name, is_guardian FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position")
            .bind(&cid)
            .bind(tenant_id)
            .fetch_all(&mut **tx)
            .await?;
        children.push(DemoChild {
            id: cid,
            name,
            age: NaiveDate::parse_from_str(&birth, "%Y-%m-%d")
                .map(|b| crate::cases::model::age_on(b, today))
                .unwrap_or(0),
            medical_care: !medical_care.trim().is_empty(),
            contractor: by_contractor > 0,
            family: family
                .into_iter()
                .map(|(relation, name, guardian)| (relation, name, guardian != 0))
                .collect(),
        });
    }
    let c = Ctx {
        tenant_id,
        now: time::now_db(),
    };
    let (office, center) = if code == "demo-city" {
        ("デモ市保健所", "デモ市こども発達支援センター")
    } else {
        ("デモ県中央保健所", "デモ県立こども療育センター")
    };
    let day = |d: i64| today + Duration::days(d);

    // 1. レスパイト (直営): short stays, a small capacity, past and upcoming.
    let respite = service(
        tx,
        &c,
        "respite",
        "医療的ケア児の日中一時預かり（レスパイト）",
        "医療的ケアが必要な子どもと、その家族",
        "看護師が常駐する部屋で日中お子さんをお預かりし、ご家族が休息や用事の時間をとれるようにします。送迎はありません。",
        None,
    )
    .await?;
    let mut care: Vec<&DemoChild> = children.iter().filter(|x| x.medical_care).collect();
    if care.len() < 4 {
        care = children.iter().take(6).collect();
    }
    let place = format!("{center} 2階 ほっとルーム");
    for (k, d) in [-40i64, -12, 10, 38].into_iter().enumerate() {
        let e = event(
            tx,
            &c,
            &respite,
            &format!("日中一時預かり（{}月）", day(d).format("%-m")),
            day(d),
            ("09:30", "15:30"),
            &place,
            3,
            "吸引器・注入セットはご家庭のものをお持ちください。",
        )
        .await?;
        let past = d < 0;
        for (j, ch) in care
            .iter()
            .skip(k)
            .take(if past { 3 } else { 2 })
            .enumerate()
        {
            let status = if !past {
                "booked"
            } else if j == 2 {
                "absent"
            } else {
                "attended"
            };
            join(tx, &c, &e, ch, true, &[], status, "高橋 美穂").await?;
        }
    }

    // 2. きょうだい交流会 (直営): siblings with a guardian.
    let exchange = service(
        tx,
        &c,
        "exchange",
        "きょうだい交流会",
        "小慢児童等のきょうだい（小学生〜中学生）と保護者",
        "きょうだい児同士で遊び、気持ちを話せる場です。保護者は別室で座談会を行います。",
        None,
    )
    .await?;
    let with_sibling: Vec<&DemoChild> = children
        .iter()
        .filter(|x| {
            x.family
                .iter()
                .any(|f| model::person_kind(&f.0, f.2) == "sibling")
        })
        .collect();
    for (k, d) in [-25i64, 20].into_iter().enumerate() {
        let e = event(
            tx,
            &c,
            &exchange,
            if k == 0 {
                "きょうだい交流会（秋）"
            } else {
                "きょうだい交流会（冬）"
            },
            day(d),
            ("13:30", "15:30"),
            &format!("{office} 多目的室"),
            12,
            "おやつを用意します。アレルギーがあれば事前にお知らせください。",
        )
        .await?;
        for ch in with_sibling.iter().skip(k).take(4) {
            join(
                tx,
                &c,
                &e,
                ch,
                false,
                &["姉", "兄", "妹", "弟", "母"],
                if d < 0 { "attended" } else { "booked" },
                "伊藤 さくら",
            )
            .await?;
        }
    }

    // 3. 就職支援セミナー, run by the NPO under its contract: its own children, 15 and over.
    let seminar = service(
        tx,
        &c,
        "employment",
        "就職支援セミナー「病気とはたらく」",
        "15歳以上の小慢児童等（高校生・大学生・若年者）",
        "先輩の体験談、病気の伝え方の練習、ハローワークの専門援助部門の紹介。",
        Some(contract_id),
    )
    .await?;
    let mut older: Vec<&DemoChild> = children
        .iter()
        .filter(|x| x.contractor && x.age >= 15)
        .collect();
    if older.len() < 3 {
        older = children.iter().filter(|x| x.contractor).collect();
    }
    for (k, d) in [-18i64, 45].into_iter().enumerate() {
        let e = event(
            tx,
            &c,
            &seminar,
            if k == 0 {
                "第1回 病気の伝え方を練習しよう"
            } else {
                "第2回 先輩の体験談"
            },
            day(d),
            ("14:00", "16:00"),
            "NPO法人 デモこどもサポートネット 研修室",
            8,
            "オンライン参加の希望は事前にご連絡ください。",
        )
        .await?;
        for ch in older.iter().skip(k).take(4) {
            join(
                tx,
                &c,
                &e,
                ch,
                true,
                &[],
                if d < 0 { "attended" } else { "booked" },
                "伊藤 さくら",
            )
            .await?;
        }
    }
    Ok(())
}
