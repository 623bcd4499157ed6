//! Importing a registry file (upload, preview, commit) and exporting the registry.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::agencies::import::{self, Preview};
use crate::auth::{policy, Action};
use crate::web::form::Form;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

// ---- import / export ----

#[derive(Template)]
#[template(path = "agencies/import.html")]
struct ImportPage {
    page: Page,
    error: Option<String>,
    preview: Option<Preview>,
    invalid_rows: usize,
    shown_rows: usize,
}

impl ImportPage {
    fn shown(&self) -> &[import::ReadyRow] {
        match &self.preview {
            Some(p) => &p.rows[..self.shown_rows.min(p.rows.len())],
            None => &[],
        }
    }
}

pub(super) async fn import_form(a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    Ok(render(&ImportPage {
        page: Page::for_auth("関係機関の取り込み", &a),
        error: None,
        preview: None,
        invalid_rows: 0,
        shown_rows: 0,
    }))
}

pub(super) async fn import_upload(
    State(st): State<AppState>,
    a: Auth,
    mut mp: Multipart,
) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => {
                let name = f.file_name().unwrap_or("upload").to_string();
                match f.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => return import_error(&a, "ファイルを受け取れませんでした。大きさ（上限 20MB）を確認して、もう一度お試しください。"),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return import_error(&a, "ファイルを受け取れませんでした。大きさ（上限 20MB）を確認して、もう一度お試しください。"),
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return import_error(&a, "ファイルを選んでください。");
    };
    match import::preview(&st.db, &a.ctx, &name, &bytes).await {
        Ok(p) => Ok(render(&ImportPage {
            page: Page::for_auth("取り込みの確認", &a),
            invalid_rows: p.invalid_rows(),
            shown_rows: p.rows.len().min(200),
            error: None,
            preview: Some(p),
        })),
        Err(AppError::Validation(errs)) => import_error(
            &a,
            &errs.first().map(|e| e.message.clone()).unwrap_or_default(),
        ),
        Err(e) => Err(e).page_err(&a),
    }
}

fn import_error(a: &Auth, msg: &str) -> PageResult {
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ImportPage {
            page: Page::for_auth("関係機関の取り込み", a),
            error: Some(msg.to_string()),
            preview: None,
            invalid_rows: 0,
            shown_rows: 0,
        },
    ))
}

#[derive(Template)]
#[template(path = "agencies/imported.html")]
struct ImportedPage {
    page: Page,
    o: import::Outcome,
}

/// Committing a previewed import: `merge=1` updates the agencies already registered.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CommitForm {
    merge: String,
}

pub(super) async fn import_commit(
    State(st): State<AppState>,
    a: Auth,
    Path(batch): Path<String>,
    Form(f): Form<CommitForm>,
) -> PageResult {
    let merge = f.merge == "1";
    let outcome = import::commit(&st.db, &a.ctx, &batch, merge, false)
        .await
        .page_err(&a)?;
    Ok(render(&ImportedPage {
        page: Page::for_auth("取り込みが完了しました", &a),
        o: outcome,
    }))
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    #[serde(default)]
    format: String,
}

pub(super) async fn export(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ExportQuery>,
) -> PageResult {
    policy::require(&a.ctx, Action::ViewAgencies).page_err(&a)?;
    let (bytes, ctype, name) = crate::agencies::export::export_file(&st.db, &a.ctx, &q.format)
        .await
        .page_err(&a)?;
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
    .await
    .page_err(&a)?;
    Ok(crate::web::download::download(bytes, ctype, &name))
}
