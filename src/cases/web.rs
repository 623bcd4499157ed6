//! Pages of casework: children, the record page with quick consultation entry and
//! timeline, plans, consents, referrals, follow-ups, handover, ecomap, indicators.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::model::{self, PlanAction};
use super::store::{
    self, Child, ChildFilter, ChildInput, ChildSummary, ConsentInput, ConsultationInput, Due,
    EcomapNode, FamilyInput, Plan, PlanInput, Referral, ReferralDetail, ReferralInput,
    TimelineItem,
};
use crate::agencies::model::DISEASE_GROUPS;
use crate::auth::{policy, Action, Role};
use crate::error::FieldError;
use crate::web::form::{checked, many, one, pairs};
use crate::web::pages::{render, render_status, urlencode, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::{time, AppError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children", get(list).post(create))
        .route("/children/new", get(new_form))
        .route("/children/{id}", get(show).post(update))
        .route("/children/{id}/edit", get(edit_form))
        .route("/children/{id}/consultations", post(add_consultation))
        .route("/children/{id}/consents", post(add_consent))
        .route("/children/{id}/consents/{cid}/revoke", post(revoke_consent))
        .route("/children/{id}/plan", get(plan_page).post(plan_save))
        .route("/children/{id}/plan/edit", get(plan_edit))
        .route("/children/{id}/plan/print", get(plan_print))
        .route("/children/{id}/referrals", post(create_referral))
        .route("/children/{id}/follow-ups", post(add_follow_up))
        .route("/children/{id}/follow-ups/{fid}/done", post(follow_up_done))
        .route("/children/{id}/handover", post(handover))
        .route("/children/{id}/ecomap", get(ecomap_page).post(ecomap_add))
        .route("/children/{id}/ecomap.svg", get(ecomap_svg))
        .route("/children/{id}/ecomap/{nid}/delete", post(ecomap_remove))
        .route("/children/{id}/indicators", post(add_indicator))
        .route("/children/{id}/indicators/{kind}", get(indicator_svg))
        .route("/ecomap/worksheet", get(worksheet_page))
        .route("/ecomap/worksheet.svg", get(worksheet_svg))
        .route("/referrals", get(referrals_page))
        .route("/referrals/{id}", get(referral_page))
        .route("/referrals/{id}/status", post(referral_status))
        .route("/follow-ups", get(follow_ups_page))
}

use crate::web::download::svg;

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "登録しました。",
            "updated" => "更新しました。",
            "consultation" => "相談を記録しました。",
            "consent" => "同意を記録しました。",
            "revoked" => "同意の撤回を記録しました。以後、この関係機関には共有されません。",
            "plan" => "自立支援計画の新しい版を保存しました。",
            "referral" => "関係機関へつなぎました（送付済）。受付の連絡を待ちます。",
            "status" => "状況を更新しました。",
            "follow_up" => "フォローアップを登録しました。",
            "done" => "完了にしました。",
            "handover" => "引き継ぎました。新しい担当者にこれまでの記録がすべて見えます。",
            "ecomap" => "頼れる人マップを更新しました。",
            "indicator" => "指標を記録しました。",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
    dup: Option<String>,
}

pub use crate::web::form::Opt;

fn opts(items: &[(&str, &str)], selected: &str) -> Vec<Opt> {
    items
        .iter()
        .map(|(v, l)| Opt {
            value: v.to_string(),
            label: l.to_string(),
            selected: *v == selected,
        })
        .collect()
}

fn plain_opts(items: &[&str], selected: &[String]) -> Vec<Opt> {
    items
        .iter()
        .map(|v| Opt {
            value: v.to_string(),
            label: v.to_string(),
            selected: selected.iter().any(|s| s == v),
        })
        .collect()
}

fn wareki(s: &str) -> String {
    store::parse_ymd(s)
        .map(time::format_wareki)
        .unwrap_or_default()
}

// ---------------------------------------------------------------- list

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    page: Page,
    q: String,
    mine: bool,
    items: Vec<ChildSummary>,
    total: i64,
    can_manage: bool,
}

async fn list(State(st): State<AppState>, a: Auth, Query(f): Query<ChildFilter>) -> PageResult {
    let (items, total) = store::list_children(&st.db, &a.ctx, &f)
        .await
        .page_err(&a)?;
    Ok(render(&ListPage {
        page: Page::for_auth("子ども・家族", &a),
        q: f.q.clone(),
        mine: f.mine,
        items,
        total,
        can_manage: policy::can(&a.ctx, Action::ManageChildren),
    }))
}

// ---------------------------------------------------------------- form

pub struct FamilySlot {
    pub i: usize,
    pub f: FamilyInput,
}

#[derive(Template)]
#[template(path = "cases/form.html")]
struct FormPage {
    page: Page,
    heading: String,
    action: String,
    cancel: String,
    c: ChildInput,
    sexes: Vec<Opt>,
    groups: Vec<Opt>,
    family: Vec<FamilySlot>,
    version: Option<i64>,
    errors: Vec<FieldError>,
}

fn form_page(
    a: &Auth,
    heading: &str,
    action: String,
    cancel: String,
    c: ChildInput,
    version: Option<i64>,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut family: Vec<FamilySlot> = c
        .family
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, f)| FamilySlot { i, f })
        .collect();
    let n = family.len();
    for i in n..(n + 2).max(3) {
        family.push(FamilySlot {
            i,
            f: FamilyInput::default(),
        });
    }
    FormPage {
        page: Page::for_auth(heading, a),
        heading: heading.into(),
        action,
        cancel,
        sexes: opts(&model::SEXES, &c.sex),
        groups: DISEASE_GROUPS
            .iter()
            .enumerate()
            .map(|(i, g)| Opt {
                value: (i + 1).to_string(),
                label: format!("{} {g}", i + 1),
                selected: c.disease_group == (i + 1) as i64,
            })
            .collect(),
        family,
        c,
        version,
        errors,
    }
}

fn child_from_form(p: &[(String, String)]) -> ChildInput {
    let mut family = vec![];
    for i in 0..12 {
        let g = |k: &str| one(p, &format!("family_{k}_{i}"));
        let f = FamilyInput {
            relation: g("relation"),
            name: g("name"),
            birth_date: g("birth_date"),
            phone: g("phone"),
            is_guardian: checked(p, &format!("family_guardian_{i}")),
            supported: checked(p, &format!("family_supported_{i}")),
            notes: g("notes"),
        };
        if !(f.relation.is_empty() && f.name.is_empty() && f.phone.is_empty() && f.notes.is_empty())
        {
            family.push(f);
        }
    }
    ChildInput {
        name: one(p, "name"),
        reading: one(p, "reading"),
        birth_date: one(p, "birth_date"),
        sex: one(p, "sex"),
        disease_group: one(p, "disease_group").parse().unwrap_or(0),
        disease_name: one(p, "disease_name"),
        certificate_number: one(p, "certificate_number"),
        certificate_from: one(p, "certificate_from"),
        certificate_to: one(p, "certificate_to"),
        certified_at_18: checked(p, "certified_at_18"),
        school: one(p, "school"),
        grade: one(p, "grade"),
        workplace: one(p, "workplace"),
        medical_care: one(p, "medical_care"),
        household_notes: one(p, "household_notes"),
        family,
    }
}

async fn new_form(a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "子どもの登録",
        "/children".into(),
        "/children".into(),
        ChildInput::default(),
        None,
        vec![],
    )))
}

async fn create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    let input = child_from_form(&p);
    match store::create_child(&st.db, &a.ctx, &input).await {
        Ok(c) => {
            let dup = if c.duplicates.is_empty() {
                String::new()
            } else {
                format!(
                    "&dup={}",
                    urlencode(
                        &c.duplicates
                            .iter()
                            .map(|d| d.0.clone())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                )
            };
            Ok(Redirect::to(&format!("/children/{}?done=created{dup}", c.id)).into_response())
        }
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &a,
                "子どもの登録",
                "/children".into(),
                "/children".into(),
                input,
                None,
                errs,
            ),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

async fn edit_form(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    let c = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "基本情報の編集",
        format!("/children/{id}"),
        format!("/children/{id}"),
        c.input,
        Some(c.version),
        vec![],
    )))
}

async fn update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let input = child_from_form(&p);
    let version = one(&p, "version").parse().ok();
    match store::update_child(&st.db, &a.ctx, &id, &input, version).await {
        Ok(()) => Ok(Redirect::to(&format!("/children/{id}?done=updated")).into_response()),
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &a,
                "基本情報の編集",
                format!("/children/{id}"),
                format!("/children/{id}"),
                input,
                version,
                errs,
            ),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- record page

pub struct ConsentView {
    pub c: store::Consent,
    pub items: String,
    pub period: String,
}

pub struct TimelineView {
    pub at: String,
    pub kind_label: &'static str,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    page: Page,
    c: Child,
    birth_wareki: String,
    cert_to_wareki: String,
    disease_group: String,
    sex: String,
    duplicates: Vec<(String, String)>,
    consents: Vec<ConsentView>,
    timeline: Vec<TimelineView>,
    referrals: Vec<Referral>,
    /// 努力義務事業 used or booked by the child and the family.
    services: Vec<crate::services::store::ChildUse>,
    /// ケース会議, newest first.
    conferences: Vec<crate::conferences::store::ConferenceSummary>,
    due: Vec<Due>,
    /// The registry's choice list (agencies::search::TenantIndex::choices).
    agencies: std::sync::Arc<Vec<(String, String)>>,
    staff: Vec<Opt>,
    methods: Vec<Opt>,
    kinds: Vec<Opt>,
    participants: Vec<Opt>,
    topics: Vec<Opt>,
    consent_items: Vec<Opt>,
    follow_kinds: Vec<Opt>,
    indicator_kinds: Vec<Opt>,
    has_indicators: Vec<(String, String)>,
    can_manage: bool,
    today: String,
    now_time: String,
    errors: Vec<FieldError>,
}

fn kind_label(k: &str) -> &'static str {
    match k {
        "consultation" => "相談",
        "plan" => "計画",
        "referral" => "つなぐ支援",
        "follow_up" => "フォローアップ",
        "consent" => "同意",
        "handover" => "引き継ぎ",
        "indicator" => "指標",
        "service" => "努力義務事業",
        "conference" => "ケース会議",
        _ => "記録",
    }
}

async fn show_page(
    st: &AppState,
    a: &Auth,
    id: &str,
    dup: Option<&str>,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> Result<ShowPage, crate::web::pages::PageError> {
    let store::RecordPage {
        child: c,
        timeline,
        referrals,
        due,
        indicators: inds,
        staff,
        services,
        conferences,
    } = store::record_page(&st.db, &a.ctx, id, 200, 120)
        .await
        .page_err(a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageChildren);
    let t = a.ctx.tenant().page_err(a)?.to_string();
    let agencies = if can_manage {
        crate::agencies::search::index(&st.db, &t)
            .await
            .page_err(a)?
            .choices()
    } else {
        Default::default()
    };
    let staff = staff
        .into_iter()
        .map(|(v, l)| Opt {
            value: v,
            label: l,
            selected: false,
        })
        .collect();
    // Shown right after registration when someone with the same reading and birth date exists.
    let duplicates = if dup.is_some_and(|d| !d.is_empty()) {
        store::possible_duplicates(
            &st.db,
            &a.ctx,
            &c.input.reading,
            &c.input.birth_date,
            Some(id),
        )
        .await
        .page_err(a)?
    } else {
        vec![]
    };
    let has_indicators = model::INDICATOR_KINDS
        .iter()
        .filter(|(k, _, _)| inds.iter().any(|i| i.kind == *k))
        .map(|(k, l, _)| (k.to_string(), l.to_string()))
        .collect();
    let now = time::now().with_timezone(&time::jst());
    Ok(ShowPage {
        page: Page::for_auth(c.input.name.clone(), a).notice(notice_text),
        birth_wareki: wareki(&c.input.birth_date),
        cert_to_wareki: wareki(&c.input.certificate_to),
        disease_group: crate::agencies::model::disease_group_label(c.input.disease_group)
            .to_string(),
        sex: model::sex_label(&c.input.sex).to_string(),
        duplicates,
        consents: c
            .consents
            .iter()
            .cloned()
            .map(|x| ConsentView {
                items: x
                    .items
                    .iter()
                    .map(|i| model::consent_item_label(i))
                    .collect::<Vec<_>>()
                    .join("、"),
                period: format!(
                    "{}〜{}",
                    wareki(&x.valid_from),
                    x.valid_to
                        .as_deref()
                        .map(wareki)
                        .unwrap_or_else(|| "期限なし".into())
                ),
                c: x,
            })
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|t: TimelineItem| TimelineView {
                at: time::format_datetime(&t.at),
                kind_label: kind_label(&t.kind),
                kind: t.kind,
                title: t.title,
                body: t.body,
                by: t.by,
            })
            .collect(),
        referrals,
        services,
        conferences,
        due,
        agencies,
        staff,
        methods: plain_opts(&model::METHODS, &["電話".to_string()]),
        kinds: plain_opts(&model::KINDS, &["療育相談指導".to_string()]),
        participants: plain_opts(&model::PARTICIPANTS, &[]),
        topics: plain_opts(&model::TOPICS, &[]),
        consent_items: opts(&model::CONSENT_ITEMS, ""),
        follow_kinds: opts(&model::FOLLOW_UP_KINDS, "recontact"),
        indicator_kinds: model::INDICATOR_KINDS
            .iter()
            .map(|(k, l, _)| Opt {
                value: k.to_string(),
                label: l.to_string(),
                selected: false,
            })
            .collect(),
        has_indicators,
        can_manage,
        today: time::today_jst().format("%Y-%m-%d").to_string(),
        now_time: now.format("%H:%M").to_string(),
        errors,
        c,
    })
}

async fn show(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    let p = show_page(
        &st,
        &a,
        &id,
        d.dup.as_deref(),
        notice(d.done.as_deref()),
        vec![],
    )
    .await?;
    Ok(render(&p))
}

/// A failed action on the record page: the page again, with the messages.
async fn show_with_errors(st: &AppState, a: &Auth, id: &str, errs: Vec<FieldError>) -> PageResult {
    let p = show_page(st, a, id, None, None, errs).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

fn back(id: &str, done: &str, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!("/children/{id}?done={done}{anchor}")).into_response())
}

async fn add_consultation(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let input = ConsultationInput {
        date: one(&p, "date"),
        time: one(&p, "time"),
        method: one(&p, "method"),
        kind: one(&p, "kind"),
        participants: many(&p, "participants"),
        topics: many(&p, "topics"),
        minutes: one(&p, "minutes").trim().parse().ok(),
        destination: one(&p, "destination"),
        notes: one(&p, "notes"),
        next_action: one(&p, "next_action"),
        follow_up_date: one(&p, "follow_up_date"),
    };
    match store::add_consultation(&st.db, &a.ctx, &id, &input).await {
        Ok(_) => back(&id, "consultation", "#timeline"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn add_consent(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let input = ConsentInput {
        agency_id: one(&p, "agency_id"),
        purpose: one(&p, "purpose"),
        items: many(&p, "items"),
        valid_from: one(&p, "valid_from"),
        valid_to: one(&p, "valid_to"),
        method: one(&p, "method"),
        given_by: one(&p, "given_by"),
    };
    match store::add_consent(&st.db, &a.ctx, &id, &input).await {
        Ok(_) => back(&id, "consent", "#consents"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn revoke_consent(
    State(st): State<AppState>,
    a: Auth,
    Path((id, cid)): Path<(String, String)>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    match store::revoke_consent(&st.db, &a.ctx, &id, &cid, &one(&p, "reason")).await {
        Ok(()) => back(&id, "revoked", "#consents"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn create_referral(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let input = ReferralInput {
        agency_id: one(&p, "agency_id"),
        purpose: one(&p, "purpose"),
        items: many(&p, "items"),
        message: one(&p, "message"),
    };
    match store::create_referral(&st.db, &a.ctx, &id, &input).await {
        Ok(_) => back(&id, "referral", "#referrals"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn add_follow_up(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    match store::add_follow_up(
        &st.db,
        &a.ctx,
        &id,
        &one(&p, "kind"),
        &one(&p, "due_date"),
        &one(&p, "note"),
    )
    .await
    {
        Ok(_) => back(&id, "follow_up", "#due"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn follow_up_done(
    State(st): State<AppState>,
    a: Auth,
    Path((id, fid)): Path<(String, String)>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    store::complete_follow_up(&st.db, &a.ctx, &id, &fid)
        .await
        .page_err(&a)?;
    let to = one(&p, "back");
    if to == "/follow-ups" {
        return Ok(Redirect::to("/follow-ups?done=done").into_response());
    }
    back(&id, "done", "#due")
}

async fn handover(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    match store::handover(&st.db, &a.ctx, &id, &one(&p, "to_user"), &one(&p, "note")).await {
        Ok(()) => back(&id, "handover", ""),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn add_indicator(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let value: Result<i64, _> = crate::text::nfkc(one(&p, "value").trim()).parse();
    let res = match value {
        Ok(v) => {
            store::add_indicator(
                &st.db,
                &a.ctx,
                &id,
                &one(&p, "kind"),
                &one(&p, "period"),
                v,
                &one(&p, "note"),
            )
            .await
        }
        Err(_) => Err(AppError::invalid("value", "値は数字で入力してください。")),
    };
    match res {
        Ok(()) => back(&id, "indicator", "#indicators"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn indicator_svg(
    State(st): State<AppState>,
    a: Auth,
    Path((id, kind)): Path<(String, String)>,
) -> PageResult {
    let (_, label, unit) = model::INDICATOR_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .ok_or(AppError::NotFound)
        .page_err(&a)?;
    let points: Vec<super::chart::Point> = store::indicators(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?
        .into_iter()
        .filter(|i| i.kind == kind)
        .map(|i| super::chart::Point {
            label: i.period,
            value: i.value as f64,
        })
        .collect();
    let y_max = if kind == "family_burden" {
        Some(5.0)
    } else {
        None
    };
    Ok(svg(super::chart::line_chart(
        label, unit, &points, 0.0, y_max,
    )))
}

// ---------------------------------------------------------------- plan

pub struct PlanView {
    pub p: Plan,
    pub created: String,
    pub review: String,
}

#[derive(Template)]
#[template(path = "cases/plan.html")]
struct PlanPage {
    page: Page,
    child: Child,
    current: Option<PlanView>,
    revisions: Vec<PlanView>,
    compare: Option<(PlanView, PlanView)>,
    can_manage: bool,
    print: bool,
}

#[derive(Deserialize, Default)]
struct PlanQuery {
    a: Option<i64>,
    b: Option<i64>,
    done: Option<String>,
}

fn plan_view(p: Plan) -> PlanView {
    PlanView {
        created: time::format_datetime(&p.created_at),
        review: wareki(&p.input.review_date),
        p,
    }
}

async fn plan_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    q: &PlanQuery,
    print: bool,
) -> PageResult {
    let child = store::get_child(&st.db, &a.ctx, id).await.page_err(a)?;
    let plans = store::plans(&st.db, &a.ctx, id).await.page_err(a)?;
    let find = |r: Option<i64>| {
        r.and_then(|r| plans.iter().find(|p| p.revision == r).cloned())
            .map(plan_view)
    };
    let compare = match (find(q.a), find(q.b)) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    };
    let title = if print {
        format!("自立支援計画 {}", child.input.name)
    } else {
        "自立支援計画".to_string()
    };
    Ok(render(&PlanPage {
        page: Page::for_auth(title, a).notice(notice(q.done.as_deref())),
        current: plans.first().cloned().map(plan_view),
        revisions: plans.into_iter().map(plan_view).collect(),
        compare,
        can_manage: policy::can(&a.ctx, Action::ManageChildren),
        print,
        child,
    }))
}

async fn plan_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> PageResult {
    plan_page_inner(&st, &a, &id, &q, false).await
}

async fn plan_print(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    plan_page_inner(&st, &a, &id, &PlanQuery::default(), true).await
}

pub struct ActionSlot {
    pub i: usize,
    pub a: PlanAction,
    pub statuses: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "cases/plan_form.html")]
struct PlanForm {
    page: Page,
    child: Child,
    p: PlanInput,
    actions: Vec<ActionSlot>,
    errors: Vec<FieldError>,
    revision: i64,
}

fn plan_form(
    a: &Auth,
    child: Child,
    p: PlanInput,
    revision: i64,
    errors: Vec<FieldError>,
) -> PlanForm {
    let mut actions: Vec<ActionSlot> = p
        .actions
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, x)| ActionSlot {
            statuses: plain_opts(&model::ACTION_STATUSES, std::slice::from_ref(&x.status)),
            i,
            a: x,
        })
        .collect();
    let n = actions.len();
    for i in n..(n + 2).max(4) {
        actions.push(ActionSlot {
            i,
            a: PlanAction::default(),
            statuses: plain_opts(&model::ACTION_STATUSES, &["未着手".into()]),
        });
    }
    PlanForm {
        page: Page::for_auth("自立支援計画の見直し", a),
        child,
        p,
        actions,
        errors,
        revision,
    }
}

async fn plan_edit(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    let child = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let plans = store::plans(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (p, rev) = plans
        .first()
        .map(|p| {
            (
                PlanInput {
                    note: String::new(),
                    ..p.input.clone()
                },
                p.revision + 1,
            )
        })
        .unwrap_or((PlanInput::default(), 1));
    Ok(render(&plan_form(&a, child, p, rev, vec![])))
}

async fn plan_save(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let mut actions = vec![];
    for i in 0..30 {
        let g = |k: &str| one(&p, &format!("action_{k}_{i}"));
        let x = PlanAction {
            description: g("description"),
            owner: g("owner"),
            due_date: g("due_date"),
            status: g("status"),
        };
        if !(x.description.trim().is_empty() && x.owner.trim().is_empty()) {
            actions.push(x);
        }
    }
    let input = PlanInput {
        child_words: one(&p, "child_words"),
        guardian_words: one(&p, "guardian_words"),
        long_term_goal: one(&p, "long_term_goal"),
        short_term_goals: one(&p, "short_term_goals"),
        review_date: one(&p, "review_date"),
        actions,
        note: one(&p, "note"),
    };
    match store::save_plan(&st.db, &a.ctx, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/children/{id}/plan?done=plan")).into_response()),
        Err(AppError::Validation(errs)) => {
            let child = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &plan_form(&a, child, input, 0, errs),
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- ecomap

#[derive(Template)]
#[template(path = "cases/ecomap.html")]
struct EcomapPage {
    page: Page,
    child: Child,
    nodes: Vec<EcomapNode>,
    /// The registry's choice list (agencies::search::TenantIndex::choices).
    agencies: std::sync::Arc<Vec<(String, String)>>,
    fields: Vec<Opt>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn ecomap_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let child = store::get_child(&st.db, &a.ctx, id).await.page_err(a)?;
    let nodes = store::ecomap(&st.db, &a.ctx, id).await.page_err(a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageChildren);
    let t = a.ctx.tenant().page_err(a)?.to_string();
    let agencies = if can_manage {
        crate::agencies::search::index(&st.db, &t)
            .await
            .page_err(a)?
            .choices()
    } else {
        Default::default()
    };
    let mut fields: Vec<&str> = vec!["家族", "友人・地域"];
    fields.extend(crate::agencies::model::DEFAULT_FIELDS);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &EcomapPage {
            page: Page::for_auth(format!("頼れる人マップ: {}", child.input.name), a)
                .notice(notice_text),
            child,
            nodes,
            agencies,
            fields: plain_opts(&fields, &[]),
            can_manage,
            errors,
        },
    ))
}

async fn ecomap_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    ecomap_page_inner(&st, &a, &id, notice(d.done.as_deref()), vec![]).await
}

async fn ecomap_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let n = EcomapNode {
        agency_id: Some(one(&p, "agency_id")).filter(|s| !s.is_empty()),
        agency_name: one(&p, "agency_name"),
        person_name: one(&p, "person_name"),
        affiliation: one(&p, "affiliation"),
        contact: one(&p, "contact"),
        when_to_contact: one(&p, "when_to_contact"),
        strengths: one(&p, "strengths"),
        can_do: one(&p, "can_do"),
        field: one(&p, "field"),
        strength: one(&p, "strength").parse().unwrap_or(-1),
        ..Default::default()
    };
    match store::add_ecomap_node(&st.db, &a.ctx, &id, &n).await {
        Ok(_) => Ok(Redirect::to(&format!("/children/{id}/ecomap?done=ecomap")).into_response()),
        Err(AppError::Validation(e)) => ecomap_page_inner(&st, &a, &id, None, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn ecomap_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, nid)): Path<(String, String)>,
) -> PageResult {
    store::remove_ecomap_node(&st.db, &a.ctx, &id, &nid)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/children/{id}/ecomap?done=ecomap")).into_response())
}

/// The ecomap of a child as SVG (also used by the API).
pub async fn ecomap_svg_for(
    st: &AppState,
    ctx: &crate::auth::Ctx,
    id: &str,
) -> Result<String, AppError> {
    let child = store::get_child(&st.db, ctx, id).await?;
    let nodes = store::ecomap(&st.db, ctx, id).await?;
    let given = child
        .input
        .name
        .split_whitespace()
        .last()
        .unwrap_or(&child.input.name)
        .to_string();
    let label = format!("{given}（{}歳）", child.age);
    let nodes: Vec<super::ecomap::Node> = nodes
        .into_iter()
        .map(|n| super::ecomap::Node {
            label: if n.agency_name.is_empty() {
                n.person_name.clone()
            } else {
                n.agency_name.clone()
            },
            sub: if n.agency_name.is_empty() {
                n.affiliation.clone()
            } else {
                n.person_name.clone()
            },
            field: n.field,
            strength: n.strength.clamp(0, 3) as u8,
            when: n.when_to_contact,
        })
        .collect();
    Ok(super::ecomap::render(&label, &nodes))
}

async fn ecomap_svg(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    Ok(svg(ecomap_svg_for(&st, &a.ctx, &id).await.page_err(&a)?))
}

#[derive(Template)]
#[template(path = "cases/worksheet.html")]
struct WorksheetPage {
    page: Page,
}

async fn worksheet_page(a: Auth) -> PageResult {
    Ok(render(&WorksheetPage {
        page: Page::for_auth("頼れる人マップ（ワークシート）", &a),
    }))
}

async fn worksheet_svg(_a: Auth) -> PageResult {
    Ok(svg(super::ecomap::render_blank_worksheet()))
}

// ---------------------------------------------------------------- referrals

#[derive(Template)]
#[template(path = "cases/referrals.html")]
struct ReferralsPage {
    page: Page,
    items: Vec<Referral>,
    statuses: Vec<Opt>,
    partner: bool,
}

#[derive(Deserialize, Default)]
struct StatusQuery {
    #[serde(default)]
    status: String,
    done: Option<String>,
}

async fn referrals_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    let status = if q.status.is_empty() {
        "open".to_string()
    } else {
        q.status.clone()
    };
    let items = store::list_referrals(
        &st.db,
        &a.ctx,
        Some(if status == "all" { "" } else { &status }),
        None,
    )
    .await
    .page_err(&a)?;
    let mut statuses = vec![Opt {
        value: "open".into(),
        label: "対応中のもの（送付済・受付・対応中）".into(),
        selected: status == "open",
    }];
    statuses.extend(model::REFERRAL_STATUSES.iter().map(|(k, l)| Opt {
        value: k.to_string(),
        label: l.to_string(),
        selected: status == *k,
    }));
    statuses.push(Opt {
        value: "all".into(),
        label: "すべて".into(),
        selected: status == "all",
    });
    Ok(render(&ReferralsPage {
        page: Page::for_auth("つなぐ支援", &a).notice(notice(q.done.as_deref())),
        items,
        statuses,
        partner: a.ctx.role == Role::Partner,
    }))
}

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub from: &'static str,
    pub to: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "cases/referral.html")]
struct ReferralPage {
    page: Page,
    r: ReferralDetail,
    items: String,
    events: Vec<EventView>,
    next: Vec<Opt>,
    partner: bool,
    created: String,
    errors: Vec<FieldError>,
}

async fn referral_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let r = store::get_referral(&st.db, &a.ctx, id).await.page_err(a)?;
    let partner = a.ctx.role == Role::Partner;
    let side = if partner {
        model::Side::Agency
    } else {
        model::Side::Worker
    };
    let next = model::REFERRAL_STATUSES
        .iter()
        .filter(|(to, _)| {
            // Offer what the lifecycle allows (reason/outcome are asked for in the form).
            model::check_transition(&r.referral.status, to, side, "x", "x").is_ok()
        })
        .map(|(k, l)| Opt {
            value: k.to_string(),
            label: l.to_string(),
            selected: false,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ReferralPage {
            page: Page::for_auth("つなぐ支援", a).notice(notice_text),
            items: r
                .shared
                .items
                .iter()
                .map(|i| model::consent_item_label(i))
                .collect::<Vec<_>>()
                .join("、"),
            events: r
                .referral
                .events
                .iter()
                .map(|e| EventView {
                    at: time::format_datetime(&e.at),
                    actor: e.actor.clone(),
                    from: model::referral_status_label(&e.from_status),
                    to: model::referral_status_label(&e.to_status),
                    note: e.note.clone(),
                })
                .collect(),
            created: time::format_datetime(&r.referral.created_at),
            next,
            partner,
            r,
            errors,
        },
    ))
}

async fn referral_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    referral_page_inner(&st, &a, &id, notice(q.done.as_deref()), vec![]).await
}

async fn referral_status(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    match store::transition_referral(
        &st.db,
        &a.ctx,
        &id,
        &one(&p, "status"),
        &one(&p, "reason"),
        &one(&p, "outcome"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}?done=status")).into_response()),
        Err(AppError::Validation(e)) => referral_page_inner(&st, &a, &id, None, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- follow-ups

#[derive(Template)]
#[template(path = "cases/follow_ups.html")]
struct FollowUpsPage {
    page: Page,
    items: Vec<(Due, String)>,
    mine: bool,
    days: i64,
    overdue: usize,
}

#[derive(Deserialize, Default)]
struct DueQuery {
    days: Option<i64>,
    #[serde(default)]
    all: bool,
    done: Option<String>,
}

async fn follow_ups_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<DueQuery>,
) -> PageResult {
    let days = q.days.unwrap_or(60).clamp(1, 365);
    let mine = !q.all;
    let items = store::due_list(&st.db, &a.ctx, days, mine)
        .await
        .page_err(&a)?;
    let overdue = items.iter().filter(|d| d.overdue).count();
    Ok(render(&FollowUpsPage {
        page: Page::for_auth("フォローアップ", &a).notice(notice(q.done.as_deref())),
        items: items
            .into_iter()
            .map(|d| (wareki(&d.due_date), d))
            .map(|(w, d)| (d, w))
            .collect(),
        mine,
        days,
        overdue,
    }))
}
