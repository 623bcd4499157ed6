//! JSON API of the roll-up: `GET /reports/rollup` (`from`&`to`, `month` or
//! `fiscal_year`, and `kind`), system_admin only. A suppressed cell has `value: null`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::model::Rollup;
use super::store;
use super::web::RollupQuery;
use crate::web::api::{ApiAuth, ApiResult};
use crate::web::form::Query;
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports/rollup", get(rollup))
}

async fn rollup(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<RollupQuery>,
) -> ApiResult<Rollup> {
    store::allowed(&st.db, &a.ctx).await?;
    let (p, kind) = q.parse().map_err(AppError::Validation)?;
    Ok(Json(store::rollup(&st.db, &a.ctx, &p, kind).await?))
}
