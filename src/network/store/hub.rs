//! What the network map (`network::hub`) draws: the tenant's agencies with the
//! referrals sent to them, the scenes and councils they take part in, and the hub
//! (中核機関) of the newest goals.

use std::collections::HashMap;

use sqlx::Row;

use super::reader;
use crate::auth::Ctx;
use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, Default)]
pub struct NetAgency {
    pub id: String,
    pub name: String,
    pub field: String,
    /// Referrals sent to this agency.
    pub referrals: i64,
    pub scenes: Vec<String>,
    pub councils: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Network {
    pub hub: Option<NetAgency>,
    pub hub_people: String,
    pub agencies: Vec<NetAgency>,
}

/// Gathers the tenant's network (the caller must be allowed ViewNetwork).
pub async fn load(db: &Db, ctx: &Ctx) -> AppResult<Network> {
    let t = reader(ctx)?;
    let rows = sqlx::query("SELECT id, name, field FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_key").bind(t).fetch_all(&db.pool).await?;
    let mut by_id: HashMap<String, NetAgency> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        by_id.insert(
            id.clone(),
            NetAgency {
                id,
                name: r.try_get("name")?,
                field: r.try_get("field")?,
                ..Default::default()
            },
        );
    }
    for r in sqlx::query(
        "SELECT agency_id, COUNT(*) AS n FROM referrals WHERE tenant_id = $1 GROUP BY agency_id",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?
    {
        if let Some(a) = by_id.get_mut(r.try_get::<String, _>("agency_id")?.as_str()) {
            a.referrals = r.try_get("n")?;
        }
    }
    for r in sqlx::query("SELECT x.agency_id, s.name FROM agency_scenes x JOIN scenes s ON s.id = x.scene_id WHERE x.tenant_id = $1").bind(t).fetch_all(&db.pool).await? {
        if let Some(a) = by_id.get_mut(r.try_get::<String, _>("agency_id")?.as_str()) {
            a.scenes.push(r.try_get("name")?);
        }
    }
    for r in sqlx::query("SELECT m.agency_id, c.name FROM council_members m JOIN councils c ON c.id = m.council_id WHERE m.tenant_id = $1 AND m.agency_id IS NOT NULL").bind(t).fetch_all(&db.pool).await? {
        if let Some(a) = by_id.get_mut(r.try_get::<String, _>("agency_id")?.as_str()) {
            let c: String = r.try_get("name")?;
            if !a.councils.contains(&c) {
                a.councils.push(c);
            }
        }
    }
    let goal = sqlx::query("SELECT hub_agency_id, hub_people FROM collaboration_goals WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1").bind(t).fetch_optional(&db.pool).await?;
    let (hub_id, hub_people): (Option<String>, String) = match goal {
        Some(g) => (g.try_get("hub_agency_id")?, g.try_get("hub_people")?),
        None => Default::default(),
    };
    let hub = hub_id.and_then(|h| by_id.remove(&h));
    let mut agencies: Vec<NetAgency> = by_id.into_values().collect();
    agencies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Network {
        hub,
        hub_people,
        agencies,
    })
}
