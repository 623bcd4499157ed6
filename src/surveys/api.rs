//! JSON API of the training survey (same policy as the pages):
//! `GET /trainings/{id}/survey` (questions, links, aggregate) and
//! `POST /trainings/{id}/survey/open` / `close` with `{"phase": "pre" | "post"}`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{Aggregate, Phase};
use super::store::{self, Survey};
use crate::web::api::{ApiAuth, ApiJson, ApiResult};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trainings/{id}/survey", get(survey))
        .route("/trainings/{id}/survey/open", post(open))
        .route("/trainings/{id}/survey/close", post(close))
}

#[derive(Serialize)]
struct SurveyOut {
    #[serde(flatten)]
    survey: Survey,
    aggregate: Aggregate,
}

async fn load(st: &AppState, a: &ApiAuth, id: &str) -> ApiResult<SurveyOut> {
    let (survey, aggregate) = store::aggregate(&st.db, &a.ctx, id).await?;
    Ok(Json(SurveyOut { survey, aggregate }))
}

async fn survey(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<SurveyOut> {
    load(&st, &a, &id).await
}

#[derive(Deserialize)]
struct PhaseIn {
    #[serde(default)]
    phase: String,
}

fn phase(p: &PhaseIn) -> Result<Phase, AppError> {
    Phase::parse(&p.phase).ok_or_else(|| {
        AppError::invalid(
            "phase",
            "phase には pre（事前）か post（事後）を指定してください。",
        )
    })
}

async fn open(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PhaseIn>,
) -> ApiResult<SurveyOut> {
    store::set_open(&st.db, &a.ctx, &id, phase(&p)?, true).await?;
    load(&st, &a, &id).await
}

async fn close(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PhaseIn>,
) -> ApiResult<SurveyOut> {
    store::set_open(&st.db, &a.ctx, &id, phase(&p)?, false).await?;
    load(&st, &a, &id).await
}
