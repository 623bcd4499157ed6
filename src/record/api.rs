//! JSON API of the child's record: the timeline (the rest of casework is in cases::api).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::timeline::{timeline as read_timeline, TimelineItem};
use crate::cases::store;
use crate::web::api::{ApiAuth, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/children/{id}/timeline", get(timeline))
}

async fn timeline(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<TimelineItem>> {
    store::child_access(
        &mut *st.db.pool.acquire().await.map_err(AppError::from)?,
        &a.ctx,
        &id,
    )
    .await?;
    crate::audit::record(
        &st.db,
        crate::audit::Entry::new(
            &a.ctx,
            a.ctx.tenant_id.as_deref(),
            "child.view",
            "child",
            &id,
        )
        .detail("timeline"),
    )
    .await?;
    Ok(Json(Items::page(
        read_timeline(&st.db, &a.ctx, &id, 1000).await?,
        None,
    )))
}
