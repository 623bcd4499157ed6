//! The registry settings: the lists of fields and scenes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::list::{notice, ListQuery};
use crate::agencies::store::{self, ListKind};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::form::Form;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;
use serde::Deserialize;

// ---- lists ----

#[derive(Template)]
#[template(path = "agencies/settings.html")]
struct SettingsPage {
    page: Page,
    fields: String,
    scenes: String,
    errors: Vec<FieldError>,
}

pub(super) async fn settings(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?.join("\n");
    let scenes = store::scenes(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(render(&SettingsPage {
        page: Page::for_auth("分野と連携場面の一覧", &a).notice(notice(q.done.as_deref())),
        fields,
        scenes,
        errors: vec![],
    }))
}

/// One list, a name a line.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ListForm {
    names: String,
}

async fn stored_scenes(st: &AppState, a: &Auth) -> Result<String, crate::web::pages::PageError> {
    Ok(store::scenes(&st.db, &a.ctx)
        .await
        .page_err(a)?
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join("\n"))
}

pub(super) async fn settings_save(
    State(st): State<AppState>,
    a: Auth,
    Path(kind): Path<String>,
    Form(f): Form<ListForm>,
) -> PageResult {
    let kind = match kind.as_str() {
        "fields" => ListKind::Fields,
        "scenes" => ListKind::Scenes,
        _ => return Err(AppError::NotFound).page_err(&a),
    };
    let names: Vec<String> = f.names.lines().map(str::to_string).collect();
    match store::set_list(&st.db, &a.ctx, kind, &names).await {
        Ok(()) => Ok(Redirect::to("/agencies/settings?done=lists").into_response()),
        Err(AppError::Validation(errors)) => {
            // The list that was refused comes back as typed; the other as stored.
            let (fields, scenes) = match kind {
                ListKind::Fields => (f.names, stored_scenes(&st, &a).await?),
                ListKind::Scenes => (
                    store::fields(&st.db, &a.ctx).await.page_err(&a)?.join("\n"),
                    f.names,
                ),
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    page: Page::for_auth("分野と連携場面の一覧", &a),
                    fields,
                    scenes,
                    errors,
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}
