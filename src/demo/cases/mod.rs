//! Demo casework: children with a year of realistic history (consultations, plans,
//! consents, referrals in every state, follow-ups, ecomaps, indicators). Deterministic
//! apart from ids; dates are relative to the day the demo is loaded.
//!
//! Each child's year is made by the files beside this one, called in a fixed order
//! with one seeded generator (the same order gives the same demo): `children` (the
//! child, family, workers, consents), `records` (consultations, plans, follow-ups,
//! indicators, handovers), `referrals`, `ecomap`; `names` holds what they pick from.

mod children;
mod ecomap;
mod names;
mod records;
mod referrals;

use chrono::NaiveDate;

use crate::auth::TenantId;
use crate::cases::store::columns;
use crate::db::{insert_many, Tx, Val};
use crate::error::AppResult;
use crate::time;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

pub struct Staff {
    pub nurse: String,
    pub support_worker: String,
    pub contractor: String,
    pub names: [String; 3],
}

/// Removes a tenant's casework (the demo reset; never used on real tenants).
pub async fn clear(tx: &mut Tx, tenant_id: &TenantId) -> AppResult<()> {
    // Case conferences are meetings of a child (removed with the child, explicitly here).
    for sql in [
        "DELETE FROM conference_participants WHERE tenant_id = $1",
        "DELETE FROM action_items WHERE tenant_id = $1 AND meeting_id IN (SELECT id FROM meetings WHERE child_id IS NOT NULL)",
        "DELETE FROM meetings WHERE tenant_id = $1 AND child_id IS NOT NULL",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut **tx).await?;
    }
    for table in [
        "ecomap_nodes",
        "indicators",
        "handovers",
        "referral_events",
        "referrals",
        "follow_ups",
        "support_plans",
        "consultations",
        "consents",
        "child_workers",
        "family_members",
        "children",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// An agency as the demo picks it: (id, name, field).
type Agency = (String, String, String);

/// The tenant's agencies in the fields the children's histories draw on.
struct Agencies {
    medical: Vec<Agency>,
    education: Vec<Agency>,
    family_groups: Vec<Agency>,
    work: Vec<Agency>,
    welfare: Vec<Agency>,
}

/// The demo's rows, table by table, written at the end with multi-row INSERTs.
#[derive(Default)]
struct Rows {
    children: Vec<Vec<Val>>,
    family: Vec<Vec<Val>>,
    workers: Vec<Vec<Val>>,
    consents: Vec<Vec<Val>>,
    consultations: Vec<Vec<Val>>,
    plans: Vec<Vec<Val>>,
    follow_ups: Vec<Vec<Val>>,
    referrals: Vec<Vec<Val>>,
    events: Vec<Vec<Val>>,
    ecomap: Vec<Vec<Val>>,
    indicators: Vec<Vec<Val>>,
    handovers: Vec<Vec<Val>>,
}

/// What every part of the load shares: the demo tenant, today (JST), the load's time.
struct Load<'a> {
    tenant: &'a TenantId,
    today: NaiveDate,
    now: String,
}

/// One child as the later parts of its history need it (made by `children::child`).
struct Child<'a> {
    i: usize,
    id: String,
    /// The family name (the father's ecomap entry).
    sur: &'static str,
    age: i32,
    mother: String,
    /// The primary worker's user id and name.
    primary: &'a String,
    primary_name: &'a String,
    hospital: Agency,
    school_agency: Agency,
}

/// A stored timestamp for a day and time in JST.
fn ts(d: NaiveDate, h: u32, m: u32) -> String {
    let local = d
        .and_hms_opt(h, m, 0)
        .and_then(|x| x.and_local_timezone(time::jst()).single());
    local
        .map(|l| time::to_db(l.with_timezone(&chrono::Utc)))
        .unwrap_or_else(time::now_db)
}

/// YYYY-MM-DD
fn ymd(x: NaiveDate) -> String {
    x.format("%Y-%m-%d").to_string()
}

/// Loads `n` demo children into a tenant inside the demo transaction.
pub async fn load(
    tx: &mut Tx,
    tenant_id: &TenantId,
    code: &str,
    n: usize,
    staff: &Staff,
) -> AppResult<()> {
    clear(tx, tenant_id).await?;
    let agencies: Vec<Agency> = sqlx::query_as("SELECT id, name, field FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_key")
        .bind(tenant_id)
        .fetch_all(&mut **tx)
        .await?;
    let by_field =
        |f: &str| -> Vec<Agency> { agencies.iter().filter(|a| a.2 == f).cloned().collect() };
    let ag = Agencies {
        medical: by_field("医療"),
        education: by_field("教育"),
        family_groups: by_field("家族会・患者会"),
        work: by_field("就労"),
        welfare: agencies
            .iter()
            .filter(|a| a.2 == "福祉" || a.2 == "障害" || a.2 == "医療的ケア")
            .cloned()
            .collect(),
    };
    let l = Load {
        tenant: tenant_id,
        today: time::today_jst(),
        now: time::now_db(),
    };
    let mut r = Rng(if code == "demo-city" {
        20251126
    } else {
        20251127
    });
    let mut rows = Rows::default();
    for i in 0..n {
        let c = children::child(&mut r, &mut rows, &l, i, staff, &ag);
        records::consultations(&mut r, &mut rows, &l, &c);
        records::plans(&mut r, &mut rows, &l, &c);
        records::follow_ups(&mut r, &mut rows, &l, &c);
        referrals::referral(&mut r, &mut rows, &l, &c, &ag);
        ecomap::nodes(&mut rows, &l, &c, &ag);
        records::indicators(&mut r, &mut rows, &l, &c);
        records::handover(&mut rows, &l, &c);
    }
    let Rows {
        children,
        family,
        workers,
        consents,
        consultations,
        plans,
        follow_ups,
        referrals,
        events,
        ecomap,
        indicators,
        handovers,
    } = rows;
    insert_many(tx, "children", &columns::CHILDREN, children).await?;
    insert_many(tx, "family_members", &columns::FAMILY, family).await?;
    insert_many(tx, "child_workers", &columns::WORKERS, workers).await?;
    insert_many(tx, "consents", &columns::CONSENTS, consents).await?;
    insert_many(tx, "consultations", &columns::CONSULTATIONS, consultations).await?;
    insert_many(tx, "support_plans", &columns::PLANS, plans).await?;
    insert_many(tx, "follow_ups", &columns::FOLLOW_UPS, follow_ups).await?;
    insert_many(tx, "referrals", &columns::REFERRALS, referrals).await?;
    insert_many(tx, "referral_events", &columns::REFERRAL_EVENTS, events).await?;
    insert_many(
        tx,
        "ecomap_nodes",
        &[
            "id",
            "tenant_id",
            "child_id",
            "agency_id",
            "agency_name",
            "person_name",
            "affiliation",
            "contact",
            "when_to_contact",
            "strengths",
            "can_do",
            "field",
            "strength",
            "created_at",
        ],
        ecomap,
    )
    .await?;
    insert_many(tx, "indicators", &columns::INDICATORS, indicators).await?;
    insert_many(tx, "handovers", &columns::HANDOVERS, handovers).await?;
    Ok(())
}
