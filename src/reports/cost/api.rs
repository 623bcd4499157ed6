//! JSON API of the cost comparison: `POST /reports/cost` computes one comparison (the
//! same checks and rounding as the page), `GET /reports/cost/from-records` gives the last
//! twelve months' counts and minutes, `GET /reports/cost/scenarios` the saved scenarios.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{CostForm, CostInput, CostResult, MethodLine};
use super::store::{self, FromRecords, Scenario};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::api::{ApiAuth, ApiJson, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/cost", post(compute))
        .route("/reports/cost/from-records", get(from_records))
        .route("/reports/cost/scenarios", get(scenarios))
}

/// The inputs as JSON: numbers (or numeric strings); unknown fields are refused.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CostJson {
    visits: Value,
    visit_minutes: Value,
    interviews: Value,
    interview_minutes: Value,
    calls: Value,
    call_minutes: Value,
    other_label: Value,
    others: Value,
    other_minutes: Value,
    wage: Value,
    other_costs: Value,
    contract: Value,
    subsidy: Value,
}

fn text(field: &str, v: &Value, errs: &mut Vec<FieldError>) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            errs.push(FieldError::new(field, "数値で指定してください。"));
            String::new()
        }
    }
}

impl CostJson {
    fn form(&self) -> Result<CostForm, AppError> {
        let mut e = vec![];
        let f = CostForm {
            visits: text("visits", &self.visits, &mut e),
            visit_minutes: text("visit_minutes", &self.visit_minutes, &mut e),
            interviews: text("interviews", &self.interviews, &mut e),
            interview_minutes: text("interview_minutes", &self.interview_minutes, &mut e),
            calls: text("calls", &self.calls, &mut e),
            call_minutes: text("call_minutes", &self.call_minutes, &mut e),
            other_label: text("other_label", &self.other_label, &mut e),
            others: text("others", &self.others, &mut e),
            other_minutes: text("other_minutes", &self.other_minutes, &mut e),
            wage: text("wage", &self.wage, &mut e),
            other_costs: text("other_costs", &self.other_costs, &mut e),
            contract: text("contract", &self.contract, &mut e),
            subsidy: text("subsidy", &self.subsidy, &mut e),
        };
        if e.is_empty() {
            Ok(f)
        } else {
            Err(AppError::Validation(e))
        }
    }
}

/// The result as the API gives it: the figures, the lines and the rule that rounded them.
#[derive(Serialize)]
pub struct CostOut {
    #[serde(flatten)]
    pub result: CostResult,
    pub lines: Vec<MethodLine>,
    pub wage: i64,
    pub other_costs: i64,
    pub contract: i64,
    pub subsidy: f64,
    pub rounding: &'static str,
}

pub const ROUNDING: &str = "minutes are added exactly; labour = total minutes × wage ÷ 60 and contract net = contract × (1 − subsidy) are each rounded once, half up, to whole yen; difference = in-house − contract net";

pub fn out(i: &CostInput) -> CostOut {
    CostOut {
        result: i.compute(),
        lines: i.lines.clone(),
        wage: i.wage,
        other_costs: i.other_costs,
        contract: i.contract,
        subsidy: i.subsidy.as_f64(),
        rounding: ROUNDING,
    }
}

async fn compute(a: ApiAuth, ApiJson(j): ApiJson<CostJson>) -> ApiResult<CostOut> {
    policy::require(&a.ctx, Action::ViewReports)?;
    let input = j.form()?.parse().map_err(AppError::Validation)?;
    Ok(Json(out(&input)))
}

async fn from_records(State(st): State<AppState>, a: ApiAuth) -> ApiResult<FromRecords> {
    let keep = CostForm::from_input(&CostInput::guide_example());
    Ok(Json(store::from_records(&st.db, &a.ctx, &keep).await?))
}

async fn scenarios(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Scenario>> {
    Ok(Json(Items::page(
        store::scenarios(&st.db, &a.ctx).await?,
        None,
    )))
}
