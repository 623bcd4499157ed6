//! JSON API of casework (same policy and audit as the pages).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{
    self, Child, ChildFilter, ChildInput, ChildSummary, Consent, ConsentInput, Consultation,
    ConsultationInput, Due, EcomapNode, Plan, PlanInput, Referral, ReferralDetail, ReferralInput,
};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children", get(list).post(create))
        .route("/children/{id}", get(one).patch(patch))
        .route(
            "/children/{id}/consultations",
            get(consultations).post(add_consultation),
        )
        .route("/children/{id}/plans", get(plans).post(save_plan))
        .route("/children/{id}/consents", get(consents).post(add_consent))
        .route("/children/{id}/consents/{cid}/revoke", post(revoke_consent))
        .route("/children/{id}/referrals", post(create_referral))
        .route("/children/{id}/follow-ups", post(add_follow_up))
        .route("/children/{id}/ecomap", get(ecomap).post(add_ecomap))
        .route("/children/{id}/ecomap.svg", get(ecomap_svg))
        .route("/referrals", get(referrals))
        .route("/referrals/{id}", get(referral))
        .route("/referrals/{id}/status", post(referral_status))
        .route("/follow-ups", get(follow_ups))
}

fn items<T>(items: Vec<T>) -> Json<Items<T>> {
    Json(Items::page(items, None))
}

async fn list(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(f): Query<ChildFilter>,
) -> ApiResult<Items<ChildSummary>> {
    let offset = f.offset.unwrap_or(0);
    let (list, total) = store::list_children(&st.db, &a.ctx, &f).await?;
    let next = offset + list.len() as i64;
    Ok(Json(Items::counted(
        list,
        total,
        (next < total).then(|| next.to_string()),
    )))
}

#[derive(Serialize)]
struct CreatedOut {
    #[serde(flatten)]
    child: Child,
    possible_duplicates: Vec<DupOut>,
}

#[derive(Serialize)]
struct DupOut {
    id: String,
    name: String,
}

async fn create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(input): ApiJson<ChildInput>,
) -> Result<(StatusCode, Json<CreatedOut>), ApiError> {
    let c = store::create_child(&st.db, &a.ctx, &input).await?;
    let child = store::get_child(&st.db, &a.ctx, &c.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedOut {
            child,
            possible_duplicates: c
                .duplicates
                .into_iter()
                .map(|(id, name)| DupOut { id, name })
                .collect(),
        }),
    ))
}

async fn one(State(st): State<AppState>, a: ApiAuth, Path(id): Path<String>) -> ApiResult<Child> {
    Ok(Json(store::get_child(&st.db, &a.ctx, &id).await?))
}

/// Changes the fields present in the body (JSON merge); `version` guards against lost updates.
async fn patch(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Child> {
    let serde_json::Value::Object(changes) = body else {
        return Err(AppError::BadRequest("JSON のオブジェクトを送ってください。".into()).into());
    };
    let current = store::get_child(&st.db, &a.ctx, &id).await?;
    let version = changes.get("version").and_then(|v| v.as_i64());
    let mut merged =
        serde_json::to_value(&current.input).map_err(|e| AppError::Internal(e.into()))?;
    if let serde_json::Value::Object(m) = &mut merged {
        for (k, v) in changes {
            if k != "version" {
                m.insert(k, v);
            }
        }
    }
    let input: ChildInput = serde_json::from_value(merged).map_err(|e| {
        AppError::invalid("body", format!("JSON の項目が正しくありません（{e}）。"))
    })?;
    store::update_child(&st.db, &a.ctx, &id, &input, version).await?;
    Ok(Json(store::get_child(&st.db, &a.ctx, &id).await?))
}

#[derive(Serialize)]
struct IdOut {
    id: String,
}

async fn consultations(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Consultation>> {
    Ok(items(
        store::consultations(&st.db, &a.ctx, &id, 1000).await?,
    ))
}

async fn add_consultation(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ConsultationInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let cid = store::add_consultation(&st.db, &a.ctx, &id, &c).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id: cid })))
}

async fn plans(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Plan>> {
    Ok(items(store::plans(&st.db, &a.ctx, &id).await?))
}

#[derive(Serialize)]
struct RevisionOut {
    revision: i64,
}

async fn save_plan(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<RevisionOut>), ApiError> {
    let revision = store::save_plan(&st.db, &a.ctx, &id, &p).await?;
    Ok((StatusCode::CREATED, Json(RevisionOut { revision })))
}

async fn consents(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Consent>> {
    Ok(items(store::get_child(&st.db, &a.ctx, &id).await?.consents))
}

async fn add_consent(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ConsentInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let cid = store::add_consent(&st.db, &a.ctx, &id, &c).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id: cid })))
}

#[derive(Deserialize)]
struct Reason {
    #[serde(default)]
    reason: String,
}

async fn revoke_consent(
    State(st): State<AppState>,
    a: ApiAuth,
    Path((id, cid)): Path<(String, String)>,
    ApiJson(r): ApiJson<Reason>,
) -> Result<StatusCode, ApiError> {
    store::revoke_consent(&st.db, &a.ctx, &id, &cid, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_referral(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ReferralInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let rid = store::create_referral(&st.db, &a.ctx, &id, &r).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id: rid })))
}

#[derive(Deserialize)]
struct FollowUpIn {
    kind: String,
    due_date: String,
    #[serde(default)]
    note: String,
}

async fn add_follow_up(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<FollowUpIn>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let fid = store::add_follow_up(&st.db, &a.ctx, &id, &f.kind, &f.due_date, &f.note).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id: fid })))
}

async fn ecomap(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<EcomapNode>> {
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
        .detail("ecomap"),
    )
    .await?;
    Ok(items(store::ecomap(&st.db, &a.ctx, &id).await?))
}

async fn add_ecomap(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(n): ApiJson<EcomapNode>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let nid = store::add_ecomap_node(&st.db, &a.ctx, &id, &n).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id: nid })))
}

async fn ecomap_svg(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(crate::web::download::svg(
        super::web::ecomap_svg_for(&st, &a.ctx, &id).await?,
    ))
}

#[derive(Deserialize, Default)]
struct RefQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    child_id: String,
}

async fn referrals(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<RefQuery>,
) -> ApiResult<Items<Referral>> {
    let child = Some(q.child_id.as_str()).filter(|s| !s.is_empty());
    Ok(items(
        store::list_referrals(&st.db, &a.ctx, Some(q.status.as_str()), child).await?,
    ))
}

async fn referral(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<ReferralDetail> {
    Ok(Json(store::get_referral(&st.db, &a.ctx, &id).await?))
}

#[derive(Deserialize)]
struct StatusIn {
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
}

async fn referral_status(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(s): ApiJson<StatusIn>,
) -> ApiResult<ReferralDetail> {
    store::transition_referral(&st.db, &a.ctx, &id, &s.status, &s.reason, &s.outcome).await?;
    Ok(Json(store::get_referral(&st.db, &a.ctx, &id).await?))
}

#[derive(Deserialize, Default)]
struct DueQuery {
    days: Option<i64>,
    #[serde(default)]
    mine: bool,
}

async fn follow_ups(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<DueQuery>,
) -> ApiResult<Items<Due>> {
    Ok(items(
        store::due_list(&st.db, &a.ctx, q.days.unwrap_or(60).clamp(1, 365), q.mine).await?,
    ))
}
