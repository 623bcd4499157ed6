//! One survey for staff: its state, link and QR code, what can be done next, its
//! settings; the handout to print (the municipality's name, the QR code, the address
//! in large type, the closing date and whom to ask); the invitation codes.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::list::period;
use super::{date_label, file_base, Done};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::surveys::engine::invite::{self, Invitation};
use crate::surveys::engine::store::{self, Settings, Survey};
use crate::surveys::web::base_url;
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct SettingsForm {
    title: String,
    contact: String,
    opens_on: String,
    closes_on: String,
    invitation_only: Option<String>,
    named: Option<String>,
}

impl SettingsForm {
    fn of(s: &Survey) -> SettingsForm {
        SettingsForm {
            title: s.title.clone(),
            contact: s.contact.clone(),
            opens_on: s.opens_on.clone().unwrap_or_default(),
            closes_on: s.closes_on.clone().unwrap_or_default(),
            invitation_only: s.invitation_only.then(|| "1".into()),
            named: (!s.anonymous).then(|| "1".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "surveys/engine/show.html")]
struct ShowPage {
    page: Page,
    s: Survey,
    period: String,
    questions: usize,
    url: Option<String>,
    qr: String,
    can_manage: bool,
    form: SettingsForm,
    errors: Vec<FieldError>,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "調査を作りました。質問を確かめてから「受付を始める」を押してください。",
            "copied" => "コピーを作りました（回答は引き継ぎません）。",
            "open" => "受付を始めました。配る用紙を印刷するか、アドレスを知らせてください。",
            "closed" => "受付を締め切りました。このアドレスからはもう答えられません。",
            "settings" => "設定を保存しました。",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) fn qr_svg(url: &str) -> String {
    crate::auth::totp::qr_svg(url)
}

async fn view(
    st: &AppState,
    a: &Auth,
    headers: &HeaderMap,
    id: &str,
    form: Option<SettingsForm>,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, id).await.page_err(a)?;
    let url = s
        .path
        .as_ref()
        .map(|p| format!("{}{p}", base_url(headers, st.config.force_secure_cookies)));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ShowPage {
            page: Page::for_auth(s.title.clone(), a).notice(notice(done)),
            period: period(&s),
            questions: s
                .definition
                .as_ref()
                .map(|d| d.items().count())
                .unwrap_or(0),
            qr: url.as_deref().map(qr_svg).unwrap_or_default(),
            url,
            can_manage: policy::can(&a.ctx, Action::ManageSurveys),
            form: form.unwrap_or_else(|| SettingsForm::of(&s)),
            errors,
            s,
        },
    ))
}

pub(super) async fn show(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    view(&st, &a, &headers, &id, None, vec![], d.done.as_deref()).await
}

pub(super) async fn settings(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    let s = Settings {
        title: f.title.clone(),
        contact: f.contact.clone(),
        opens_on: Some(f.opens_on.clone()),
        closes_on: Some(f.closes_on.clone()),
        anonymous: f.named.is_none(),
        invitation_only: f.invitation_only.is_some(),
    };
    match store::set_settings(&st.db, &a.ctx, &id, &s).await {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}?done=settings")).into_response()),
        Err(AppError::Validation(e)) => view(&st, &a, &headers, &id, Some(f), e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn open(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    store::set_status(&st.db, &a.ctx, &id, "open")
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/surveys/{id}?done=open")).into_response())
}

pub(super) async fn close(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    store::set_status(&st.db, &a.ctx, &id, "closed")
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/surveys/{id}?done=closed")).into_response())
}

#[derive(Template)]
#[template(path = "surveys/engine/handout.html")]
struct HandoutPage {
    page: Page,
    s: Survey,
    tenant_name: String,
    url: String,
    qr: String,
    closes: String,
    questions: usize,
}

/// One A4 sheet to hand out or enclose with a letter.
pub(super) async fn handout(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageSurveys).page_err(&a)?;
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let url = format!(
        "{}{}",
        base_url(&headers, st.config.force_secure_cookies),
        s.path.clone().unwrap_or_default()
    );
    Ok(render_status(
        StatusCode::OK,
        &HandoutPage {
            page: Page::for_auth(format!("{}（配る用紙）", s.title), &a),
            tenant_name: a.ctx.tenant_name.clone().unwrap_or_default(),
            qr: qr_svg(&url),
            closes: s.closes_on.as_deref().map(date_label).unwrap_or_default(),
            questions: s
                .definition
                .as_ref()
                .map(|d| d.items().count())
                .unwrap_or(0),
            url,
            s,
        },
    ))
}

/// The link's QR code as an SVG file (for a newsletter or a poster).
pub(super) async fn qr(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageSurveys).page_err(&a)?;
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let url = format!(
        "{}{}",
        base_url(&headers, st.config.force_secure_cookies),
        s.path.unwrap_or_default()
    );
    Ok(crate::web::download::svg(qr_svg(&url)))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct InviteForm {
    labels: String,
    count: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct InviteQuery {
    unanswered: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "surveys/engine/invitations.html")]
struct InvitePage {
    page: Page,
    s: Survey,
    rows: Vec<Invitation>,
    form: InviteForm,
    errors: Vec<FieldError>,
}

async fn invite_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    form: InviteForm,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, id).await.page_err(a)?;
    let rows = invite::list(&st.db, &a.ctx, id, false).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let notice = done.and_then(|d| d.parse::<usize>().ok()).map(|n| {
        format!("回答コードを {n} 件作りました。CSV に書き出して、お手紙の差し込み印刷に使えます。")
    });
    Ok(render_status(
        status,
        &InvitePage {
            page: Page::for_auth(format!("回答コード（{}）", s.title), a).notice(notice),
            s,
            rows,
            form,
            errors,
        },
    ))
}

pub(super) async fn invitations(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<InviteQuery>,
) -> PageResult {
    invite_view(
        &st,
        &a,
        &id,
        InviteForm::default(),
        vec![],
        q.done.as_deref(),
    )
    .await
}

pub(super) async fn invite(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let mut labels: Vec<String> = f
        .labels
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if labels.is_empty() && !f.count.trim().is_empty() {
        match crate::text::nfkc(f.count.trim()).parse::<usize>() {
            Ok(n) if (1..=invite::MAX_BATCH).contains(&n) => {
                labels = (1..=n).map(|i| format!("{i}")).collect()
            }
            _ => {
                let e = vec![FieldError::new(
                    "count",
                    format!(
                        "作る数は 1 から {} までの数で入れてください。",
                        invite::MAX_BATCH
                    ),
                )];
                return invite_view(&st, &a, &id, f, e, None).await;
            }
        }
    }
    match invite::add(&st.db, &a.ctx, &id, &labels).await {
        Ok(made) => Ok(
            Redirect::to(&format!("/surveys/{id}/invitations?done={}", made.len())).into_response(),
        ),
        Err(AppError::Validation(e)) => invite_view(&st, &a, &id, f, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

/// The codes for a mail merge: 宛先, 回答コード, the address with the code, and whether
/// it was answered (`?unanswered=1`: only those not yet answered, for a reminder).
pub(super) async fn invitations_csv(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<InviteQuery>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let rows = invite::list(&st.db, &a.ctx, &id, q.unanswered.is_some())
        .await
        .page_err(&a)?;
    let base = format!(
        "{}{}",
        base_url(&headers, st.config.force_secure_cookies),
        s.path.clone().unwrap_or_default()
    );
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let write = |w: &mut csv::Writer<Vec<u8>>, r: [String; 4]| {
        w.write_record(r.map(crate::agencies::io::csv_guard))
            .map_err(|e| AppError::Internal(e.into()))
    };
    write(
        &mut w,
        [
            "宛先".into(),
            "回答コード".into(),
            "回答のアドレス".into(),
            "回答".into(),
        ],
    )
    .page_err(&a)?;
    for r in rows {
        let answered = if r.used_at.is_some() {
            "回答あり"
        } else {
            "未回答"
        };
        write(
            &mut w,
            [
                r.label,
                r.code.clone(),
                format!("{base}?code={}", r.code),
                answered.into(),
            ],
        )
        .page_err(&a)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
        .page_err(&a)?;
    let name = if q.unanswered.is_some() {
        "未回答の回答コード"
    } else {
        "回答コード"
    };
    Ok(crate::web::download::download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("{}_{name}.csv", file_base(&s.title)),
    ))
}
