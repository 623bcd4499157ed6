//! JSON API of the survey engine (the pages' policy and audit):
//! `GET /surveys`, `POST /surveys` (from a template or a definition in JSON),
//! `GET /surveys/{id}`, `PUT /surveys/{id}/definition`, `POST /surveys/{id}/open|close`,
//! `GET /surveys/{id}/results[?by=ITEM]`. Answers go to the public link `/s/{token}`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::def::{Definition, Kind};
use super::store::{self, NewSurvey, Survey};
use super::tally::{self, Cross, Results};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(list).post(create))
        .route("/surveys/{id}", get(one))
        .route("/surveys/{id}/definition", put(set_definition))
        .route("/surveys/{id}/open", post(open))
        .route("/surveys/{id}/close", post(close))
        .route("/surveys/{id}/results", get(results))
}

async fn list(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Survey>> {
    Ok(Json(Items::page(store::list(&st.db, &a.ctx).await?, None)))
}

async fn one(State(st): State<AppState>, a: ApiAuth, Path(id): Path<String>) -> ApiResult<Survey> {
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(n): ApiJson<NewSurvey>,
) -> Result<(StatusCode, Json<Survey>), ApiError> {
    let id = store::create(&st.db, &a.ctx, n).await?;
    Ok((
        StatusCode::CREATED,
        Json(store::get(&st.db, &a.ctx, &id).await?),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionIn {
    /// The version the change starts from (409 when it is no longer the current one).
    version: i64,
    definition: Definition,
}

async fn set_definition(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<DefinitionIn>,
) -> ApiResult<Survey> {
    store::set_definition(&st.db, &a.ctx, &id, d.version, &d.definition).await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn open(State(st): State<AppState>, a: ApiAuth, Path(id): Path<String>) -> ApiResult<Survey> {
    store::set_status(&st.db, &a.ctx, &id, "open").await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn close(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Survey> {
    store::set_status(&st.db, &a.ctx, &id, "closed").await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResultsQuery {
    /// A single-choice item: every choice item is cross-tabulated by it.
    by: Option<String>,
}

#[derive(Serialize)]
struct ResultsOut {
    survey: Survey,
    /// Invitations answered of those sent (None without invitations).
    response_rate: Option<f64>,
    results: Results,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cross: Vec<Cross>,
}

async fn results(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> ApiResult<ResultsOut> {
    let (mut s, results, all) = super::results(&st.db, &a.ctx, &id).await?;
    let def = s.definition.take().unwrap_or(Definition {
        intro: String::new(),
        sections: vec![],
    });
    let mut cross = vec![];
    if let Some(by) = q.by.as_deref().filter(|b| !b.is_empty()) {
        if def.item(by).map(|i| i.kind) != Some(Kind::Single) {
            return Err(AppError::invalid(
                "by",
                "by には「ひとつ選ぶ」質問の項目キーを指定してください。",
            )
            .into());
        }
        for it in def.items().filter(|i| i.kind.has_options() && i.key != by) {
            cross.extend(tally::cross(&def, by, &it.key, &all));
        }
    }
    let response_rate = (s.invitations > 0)
        .then(|| crate::surveys::model::Cell::new(s.invitations_used, s.invitations).percent())
        .flatten();
    s.definition = Some(def);
    Ok(Json(ResultsOut {
        survey: s,
        response_rate,
        results,
        cross,
    }))
}
