//! The contracts pages: the list and a new contract. A contract's own page, with its
//! monthly reports, is `reports::web`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{notice, number, Done, Opt};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::model;
use crate::network::store::{self, Contract, ContractInput};
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Template)]
#[template(path = "network/contracts.html")]
struct ContractsPage {
    page: Page,
    contracts: Vec<Contract>,
    services: Vec<Opt>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn contracts_view(
    st: &AppState,
    a: &Auth,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ContractsPage {
            page: Page::for_auth("委託契約と月次報告", a).notice(notice(done)),
            contracts: store::list_contracts(&st.db, &a.ctx).await.page_err(a)?,
            services: model::SERVICES
                .iter()
                .map(|s| Opt {
                    value: s.to_string(),
                    label: s.to_string(),
                    selected: *s == "相談支援",
                })
                .collect(),
            can_manage: policy::can(&a.ctx, Action::ManageContracts),
            errors,
        },
    ))
}

pub(super) async fn contracts_page(
    State(st): State<AppState>,
    a: Auth,
    Query(d): Query<Done>,
) -> PageResult {
    contracts_view(&st, &a, vec![], d.done.as_deref()).await
}

/// The new contract form (the price may have thousands separators).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ContractForm {
    contractor_name: String,
    period_from: String,
    period_to: String,
    services: Vec<String>,
    price: String,
    subsidy_percent: String,
}

impl From<ContractForm> for ContractInput {
    fn from(f: ContractForm) -> ContractInput {
        ContractInput {
            contractor_name: f.contractor_name,
            agency_id: None,
            period_from: f.period_from,
            period_to: f.period_to,
            services: f.services,
            price: crate::text::nfkc(f.price.trim())
                .replace(',', "")
                .parse()
                .unwrap_or(-1),
            subsidy_percent: number(&f.subsidy_percent, -1),
            committee_id: None,
        }
    }
}

pub(super) async fn contract_create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<ContractForm>,
) -> PageResult {
    let c = ContractInput::from(f);
    match store::create_contract(&st.db, &a.ctx, &c).await {
        Ok(id) => Ok(Redirect::to(&format!("/contracts/{id}?done=contract")).into_response()),
        Err(AppError::Validation(e)) => contracts_view(&st, &a, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}
