//! SQL of the collaboration network: goals (versioned, `goals`), the network's map data
//! (`hub`), councils and members (`councils`), meetings with agendas, minutes and action
//! items (`meetings`), trainings (`trainings`) and contracts (`contracts`; their monthly
//! reports are `reports::store`). Every query carries the caller's tenant.

mod contracts;
mod councils;
mod goals;
pub mod hub;
mod meetings;
mod trainings;

pub use contracts::*;
pub use councils::*;
pub use goals::*;
pub use meetings::*;
pub use trainings::*;

use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::auth::{policy, Action, Ctx, TenantId};
use crate::error::AppResult;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn reader(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ViewNetwork)?;
    ctx.tenant()
}

fn writer(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ManageNetwork)?;
    ctx.tenant()
}

/// A JSON column (a list of rows kept as one text), empty when it cannot be read.
fn json_list<T: DeserializeOwned + Default>(r: &AnyRow, col: &str) -> AppResult<T> {
    Ok(serde_json::from_str(r.try_get::<String, _>(col)?.as_str()).unwrap_or_default())
}
