//! The network's hub page (the newest goals, councils, meetings, trainings and open
//! actions at a glance) and the network map (`network::hub` draws it).

use askama::Template;
use axum::extract::State;

use super::stamp;
use crate::auth::{policy, Action, Role};
use crate::network::store::{self, ActionItem, Council, Goals, MeetingSummary, Training};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "network/hub.html")]
struct HubPage {
    page: Page,
    goals: Option<Goals>,
    councils: Vec<Council>,
    meetings: Vec<(MeetingSummary, String)>,
    trainings: Vec<Training>,
    actions: Vec<ActionItem>,
    can_manage: bool,
    can_contracts: bool,
}

pub(super) async fn hub(State(st): State<AppState>, a: Auth) -> PageResult {
    let goals = store::goal_versions(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .next();
    Ok(render(&HubPage {
        page: Page::for_auth("連携・協議会", &a),
        goals,
        councils: store::list_councils(&st.db, &a.ctx).await.page_err(&a)?,
        meetings: store::list_meetings(&st.db, &a.ctx, None)
            .await
            .page_err(&a)?
            .into_iter()
            .take(8)
            .map(|m| (stamp(&m.starts_at), m))
            .map(|(s, m)| (m, s))
            .collect(),
        trainings: store::list_trainings(&st.db, &a.ctx).await.page_err(&a)?,
        actions: store::action_items(&st.db, &a.ctx, None, true)
            .await
            .page_err(&a)?,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
        can_contracts: policy::can(&a.ctx, Action::ManageContracts) || a.ctx.role == Role::Auditor,
    }))
}

#[derive(Template)]
#[template(path = "network/map.html")]
struct MapPage {
    page: Page,
    connected: usize,
    apart: usize,
    hub: String,
    hub_people: String,
}

pub(super) async fn network_map_page(State(st): State<AppState>, a: Auth) -> PageResult {
    let net = crate::network::hub::load(&st.db, &a.ctx)
        .await
        .page_err(&a)?;
    let connected = net
        .agencies
        .iter()
        .filter(|x| x.referrals > 0 || !x.scenes.is_empty() || !x.councils.is_empty())
        .count();
    Ok(render(&MapPage {
        page: Page::for_auth("連携ネットワーク", &a),
        apart: net.agencies.len() - connected,
        connected,
        hub: net
            .hub
            .as_ref()
            .map(|h| h.name.clone())
            .unwrap_or_else(|| "未設定".into()),
        hub_people: net.hub_people.clone(),
    }))
}

pub(super) async fn network_map_svg(State(st): State<AppState>, a: Auth) -> PageResult {
    let net = crate::network::hub::load(&st.db, &a.ctx)
        .await
        .page_err(&a)?;
    Ok(crate::web::download::svg(crate::network::hub::render(
        &net,
        a.ctx.tenant_name.as_deref().unwrap_or(""),
    )))
}
