//! The agency registry's SQL. Every function takes the caller first and every query
//! carries the caller's tenant id; another tenant's ids are simply not found.

mod import;
mod lists;
mod programs;
mod proposals;
mod read;
mod scene_links;
mod write;

pub(crate) use self::import::{
    agency_row_for_import, apply_update_pub, contact_rows_for_import, history_row_for_import,
    insert_agencies, load_input,
};
pub use self::lists::{fields, scenes, seed_all_tenants, seed_lists, set_list, ListKind};
pub use self::programs::{add_program, link_program, programs};
pub use self::proposals::{decide, proposals, propose, Proposal, ProposalInput};
pub use self::read::{export_data, get, matrix, validate_for};
pub use self::scene_links::{remove_scene_link, set_scene_link};
pub use self::write::{create, dedup_key, delete, history, update, HistoryEntry};

use serde::Serialize;

use super::model::AgencyInput;
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::Conn;
use crate::error::AppResult;

/// 近接施策 shipped with the product (guide 参考資料): name, overview, 主管.
pub const RELATED_PROGRAMS: &str = include_str!("../../../data/related_programs.tsv");

#[derive(Debug, Clone, Serialize)]
pub struct Scene {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SceneLinkRow {
    pub scene_id: String,
    pub scene: String,
    pub agency_id: String,
    pub agency_name: String,
    pub agency_address: String,
    pub agency_field: String,
    pub method: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Program {
    pub id: String,
    pub name: String,
    pub overview: String,
    pub owner: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub id: String,
    #[serde(flatten)]
    pub input: AgencyInput,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub scenes: Vec<SceneLinkRow>,
    pub programs: Vec<Program>,
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Bumps the tenant's registry version (search indexes rebuild on the next query).
pub async fn bump(conn: &mut Conn, tenant_id: &str) -> AppResult<i64> {
    super::search::note_local_write(tenant_id);
    let v: i64 = sqlx::query_scalar(
        "INSERT INTO registry_versions (tenant_id, version) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE SET version = registry_versions.version + 1 RETURNING version",
    )
    .bind(tenant_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(v)
}

/// The tenant a caller may read the registry of. Partners read only their own agency
/// (checked in `get`), system administrators have no registry.
fn reader_tenant(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    if ctx.role == Role::Partner {
        return ctx.tenant();
    }
    policy::require(ctx, Action::ViewAgencies)?;
    ctx.tenant()
}
