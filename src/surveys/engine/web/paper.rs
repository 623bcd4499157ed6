//! The preview of the answer page, and paper answers keyed in by staff: the same form
//! (keyboard only: radio groups, check boxes and text in tab order), saved with the
//! same checks, then a fresh form for the next sheet.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::form::{general_errors, sections, submission_key, AnswerForm};
use super::public::AnswerPage;
use super::{date_label, Done};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::surveys::engine::store::{self, Saved, Survey};
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[allow(clippy::too_many_arguments)]
fn answer_page(
    a: &Auth,
    s: &Survey,
    preview: bool,
    sent: &BTreeMap<String, Vec<String>>,
    code: &str,
    submission: &str,
    errors: &[FieldError],
    notice: Option<String>,
) -> AnswerPage {
    let def = s
        .definition
        .clone()
        .unwrap_or(crate::surveys::engine::def::Definition {
            intro: String::new(),
            sections: vec![],
        });
    AnswerPage {
        page: Page::for_auth(
            if preview {
                format!("プレビュー（{}）", s.title)
            } else {
                format!("紙の回答の入力（{}）", s.title)
            },
            a,
        )
        .notice(notice),
        tenant_name: a.ctx.tenant_name.clone().unwrap_or_default(),
        title: if preview {
            s.title.clone()
        } else {
            format!("紙の回答の入力：{}", s.title)
        },
        intro: if preview {
            def.intro.clone()
        } else {
            "回答用紙のとおりに入力してください。書かれていない質問は空けておきます。保存すると、次の用紙のための空の画面になります。".into()
        },
        closes: s.closes_on.as_deref().map(date_label).unwrap_or_default(),
        action: format!("/surveys/{}/paper", s.id),
        submission: submission.to_string(),
        draft_key: String::new(),
        ask_code: !preview || s.invitation_only,
        code_required: false,
        code: code.to_string(),
        sections: sections(&def, sent, errors),
        errors: general_errors(errors),
        has_item_errors: errors.iter().any(|e| e.field.starts_with("q_")),
        preview,
        submit_label: "保存して次の用紙へ",
    }
}

pub(super) async fn preview(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(render_status(
        StatusCode::OK,
        &answer_page(&a, &s, true, &BTreeMap::new(), "", "", &[], None),
    ))
}

pub(super) async fn page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageSurveys).page_err(&a)?;
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let notice = match d.done.as_deref() {
        Some("again") => Some("この用紙はもう保存されています（同じ送信を二重には数えません）。次の用紙を入力してください。".to_string()),
        Some(_) => Some(format!("1 件保存しました（回答は全部で {} 件）。次の用紙を入力してください。", s.responses)),
        None => None,
    };
    Ok(render_status(
        StatusCode::OK,
        &answer_page(
            &a,
            &s,
            false,
            &BTreeMap::new(),
            "",
            &submission_key(),
            &[],
            notice,
        ),
    ))
}

pub(super) async fn enter(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let sent = f.sent();
    match store::enter_paper(&st.db, &a.ctx, &id, &f.code, &f.submission, &sent).await {
        Ok(Saved::New) => Ok(Redirect::to(&format!("/surveys/{id}/paper?done=1")).into_response()),
        Ok(Saved::Again) => {
            Ok(Redirect::to(&format!("/surveys/{id}/paper?done=again")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
            let key = if f.submission.is_empty() {
                submission_key()
            } else {
                f.submission.clone()
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &answer_page(&a, &s, false, &sent, &f.code, &key, &errors, None),
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}
