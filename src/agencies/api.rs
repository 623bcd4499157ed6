//! JSON API of the agency registry: /api/v1/agencies and friends (same policy as pages).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::import;
use super::model::AgencyInput;
use super::search::{Query as SearchQuery, Summary};
use super::store::{self, Agency, Scene, SceneLinkRow};
use crate::auth::{policy, Action};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agencies", get(list).post(create))
        .route("/agencies/export", get(export))
        .route("/agencies/import", axum::routing::post(import_file))
        .route(
            "/agencies/{id}",
            get(one).patch(patch).put(put).delete(remove),
        )
        .route("/agency-fields", get(fields))
        .route("/scenes", get(scenes))
        .route("/scenes/{id}/agencies", get(scene_links))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
    /// Scene id or name.
    #[serde(default)]
    scene: String,
    disease_group: Option<i64>,
    is_new: Option<bool>,
    cursor: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct ListOut {
    items: Vec<Summary>,
    total: usize,
    next_cursor: Option<String>,
}

async fn list(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ListQuery>,
) -> ApiResult<ListOut> {
    policy::require(&a.ctx, Action::ViewAgencies)?;
    let t = a.ctx.tenant()?.clone();
    let scene = if q.scene.trim().is_empty() {
        None
    } else {
        let scenes = store::scenes(&st.db, &a.ctx).await?;
        let name = crate::text::clean(&q.scene);
        match scenes
            .into_iter()
            .find(|s| s.id == q.scene || s.name == name)
        {
            Some(s) => Some(s.id),
            None => {
                return Err(AppError::invalid(
                    "scene",
                    format!("連携場面「{}」は登録されていません。", q.scene),
                )
                .into())
            }
        }
    };
    let offset: usize = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c
            .parse()
            .map_err(|_| AppError::invalid("cursor", "cursor の値が正しくありません。"))?,
        None => 0,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let ix = crate::agencies::search::index(&st.db, &t).await?;
    let hits = ix.search(&SearchQuery {
        q: q.q,
        field: Some(crate::text::clean(&q.field)).filter(|f| !f.is_empty()),
        scene,
        disease_group: q.disease_group,
        is_new: q.is_new,
        offset,
        limit,
    });
    let next_cursor =
        (offset + hits.items.len() < hits.total).then(|| (offset + hits.items.len()).to_string());
    Ok(Json(ListOut {
        items: hits.items,
        total: hits.total,
        next_cursor,
    }))
}

async fn one(State(st): State<AppState>, a: ApiAuth, Path(id): Path<String>) -> ApiResult<Agency> {
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(input): ApiJson<AgencyInput>,
) -> Result<(StatusCode, Json<Agency>), ApiError> {
    let id = store::create(&st.db, &a.ctx, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(store::get(&st.db, &a.ctx, &id).await?),
    ))
}

#[derive(Deserialize)]
struct Versioned {
    version: Option<i64>,
}

async fn put(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Agency> {
    let v: Versioned = serde_json::from_value(body.clone()).unwrap_or(Versioned { version: None });
    let input: AgencyInput = serde_json::from_value(body).map_err(|e| {
        AppError::invalid("body", format!("JSON の項目が正しくありません（{e}）。"))
    })?;
    store::update(&st.db, &a.ctx, &id, &input, v.version).await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

/// Changes only the fields present in the body (JSON merge).
async fn patch(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Agency> {
    policy::require(&a.ctx, Action::ManageAgencies)?;
    let serde_json::Value::Object(changes) = body else {
        return Err(AppError::BadRequest("JSON のオブジェクトを送ってください。".into()).into());
    };
    let current = store::get(&st.db, &a.ctx, &id).await?;
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
    let input: AgencyInput = serde_json::from_value(merged).map_err(|e| {
        AppError::invalid("body", format!("JSON の項目が正しくありません（{e}）。"))
    })?;
    store::update(&st.db, &a.ctx, &id, &input, version).await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn remove(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    store::delete(&st.db, &a.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn fields(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<String>> {
    policy::require(&a.ctx, Action::ViewAgencies)?;
    Ok(Json(Items::page(
        store::fields(&st.db, &a.ctx).await?,
        None,
    )))
}

async fn scenes(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Scene>> {
    policy::require(&a.ctx, Action::ViewAgencies)?;
    Ok(Json(Items::page(
        store::scenes(&st.db, &a.ctx).await?,
        None,
    )))
}

async fn scene_links(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<SceneLinkRow>> {
    let scenes = store::scenes(&st.db, &a.ctx).await?;
    if !scenes.iter().any(|s| s.id == id) {
        return Err(AppError::NotFound.into());
    }
    Ok(Json(Items::page(
        store::matrix(&st.db, &a.ctx, Some(&id)).await?,
        None,
    )))
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
}

async fn export(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    policy::require(&a.ctx, Action::ViewAgencies)?;
    let (bytes, ctype, name) = super::export::export_file(&st.db, &a.ctx, &q.format).await?;
    crate::audit::record(
        &st.db,
        crate::audit::Entry::new(
            &a.ctx,
            a.ctx.tenant_id.as_deref(),
            "agency.export",
            "registry",
            &q.format,
        )
        .detail(&name),
    )
    .await?;
    Ok(crate::web::download::download(bytes, ctype, &name))
}

#[derive(Deserialize)]
struct ImportQuery {
    #[serde(default)]
    filename: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    merge_duplicates: bool,
    #[serde(default)]
    skip_invalid: bool,
}

#[derive(Serialize)]
struct ImportOut {
    committed: bool,
    rows: usize,
    problems: Vec<import::ProblemOut>,
    duplicates_existing: usize,
    duplicates_in_file: usize,
    outcome: Option<import::Outcome>,
}

/// The file is the request body. `dry_run=true` only checks it.
async fn import_file(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportOut>), ApiError> {
    let name = if q.filename.is_empty() {
        "upload".to_string()
    } else {
        q.filename
    };
    let p = import::preview(&st.db, &a.ctx, &name, &body).await?;
    let mut out = ImportOut {
        committed: false,
        rows: p.rows.len(),
        problems: p.problems.clone(),
        duplicates_existing: p.duplicates_existing,
        duplicates_in_file: p.duplicates_in_file,
        outcome: None,
    };
    if q.dry_run {
        return Ok((StatusCode::OK, Json(out)));
    }
    if !p.problems.is_empty() && !q.skip_invalid {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(out)));
    }
    out.outcome = Some(
        import::commit(
            &st.db,
            &a.ctx,
            &p.batch_id,
            q.merge_duplicates,
            q.skip_invalid,
        )
        .await?,
    );
    out.committed = true;
    Ok((StatusCode::CREATED, Json(out)))
}
