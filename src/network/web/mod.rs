//! Pages of the collaboration network: the hub and the network map (`hub`), goals
//! (`goals`), councils and members (`councils`), meetings with agenda, minutes and
//! actions (`meetings`), trainings (`trainings`) and contracts (`contracts`). A
//! training's page is served by `surveys::web` (it carries the training's survey) and
//! a contract's by `reports::web` (it carries the monthly reports); both render it with
//! the functions here.

mod contracts;
mod councils;
mod goals;
mod hub;
mod meetings;
mod trainings;

pub use crate::web::form::Rows;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::web::pages::{Auth, PageError, WithCtx};
use crate::web::AppState;

pub use councils::{seg_rows, SegRow};
pub use meetings::{AgendaRow, MeetingForm};
pub use trainings::training_page;

pub use crate::web::form::Opt;

pub fn routes() -> Router<AppState> {
    use contracts::{contract_create, contracts_page};
    use councils::{
        council_create, council_page, councils_page, meeting_create, member_add, member_remove,
        members_xlsx,
    };
    use goals::{goals_edit, goals_page, goals_print, goals_save};
    use hub::{hub, network_map_page, network_map_svg};
    use meetings::{
        action_add, action_done, actions_page, meeting_page, meeting_print, meeting_record,
        minutes_xlsx,
    };
    use trainings::{training_create, training_update, trainings_page};
    Router::new()
        .route("/network", get(hub))
        .route("/network/map", get(network_map_page))
        .route("/network/map.svg", get(network_map_svg))
        .route("/network/goals", get(goals_page).post(goals_save))
        .route("/network/goals/edit", get(goals_edit))
        .route("/network/goals/print", get(goals_print))
        .route("/councils", get(councils_page).post(council_create))
        .route("/councils/{id}", get(council_page))
        .route("/councils/{id}/members", post(member_add))
        .route("/councils/{id}/members.xlsx", get(members_xlsx))
        .route("/councils/{id}/members/{mid}/delete", post(member_remove))
        .route("/councils/{id}/meetings", post(meeting_create))
        .route("/meetings/{id}", get(meeting_page).post(meeting_record))
        .route("/meetings/{id}/print", get(meeting_print))
        .route("/meetings/{id}/minutes.xlsx", get(minutes_xlsx))
        .route("/meetings/{id}/actions", post(action_add))
        .route("/action-items", get(actions_page))
        .route("/action-items/{id}/done", post(action_done))
        // GET /trainings/{id} is surveys::web's (the page shows the training's survey).
        .route("/trainings", get(trainings_page).post(training_create))
        .route("/trainings/{id}", post(training_update))
        // GET /contracts/{id} and the reports' pages are reports::web's.
        .route("/contracts", get(contracts_page).post(contract_create))
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "goals" => "連携目的の新しい版を保存しました。",
            "council" => "協議会を登録しました。",
            "member" => "構成員を更新しました。",
            "meeting" => "会議を登録しました。議題の時間は会議の時間に収まっています。",
            "record" => "出欠・議事録・決定事項を保存しました。",
            "action" => "アクションを更新しました。",
            "training" => "研修会を保存しました。",
            _ => return None,
        }
        .to_string(),
    )
}

/// `?done=…`: what the page was sent back after, for its notice.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

pub(crate) fn stamp(s: &str) -> String {
    // 2026-01-20T14:00 → 令和8年1月20日 14:00
    crate::time::format_local_stamp(s)
}

/// A check box's value counts as ticked when it is "1", "on" or "true".
pub(crate) fn checked(v: &str) -> bool {
    v == "1" || v == "on" || v == "true"
}

/// A whole number as typed (全角 too), or `default`.
fn number(s: &str, default: i64) -> i64 {
    crate::text::nfkc(s.trim()).parse().unwrap_or(default)
}

/// The tenant's agencies as select options (for the hub and members).
async fn agency_opts(
    st: &AppState,
    a: &Auth,
    selected: Option<&str>,
) -> Result<Vec<Opt>, PageError> {
    let t = a.ctx.tenant().page_err(a)?.to_string();
    let ix = crate::agencies::search::index(&st.db, &t)
        .await
        .page_err(a)?;
    Ok(ix
        .search(&crate::agencies::search::Query {
            limit: 1000,
            ..Default::default()
        })
        .items
        .into_iter()
        .map(|s| Opt {
            selected: Some(s.id.as_str()) == selected,
            value: s.id,
            label: format!("{}（{}）", s.name, s.field),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        title: String,
        scenarios: Vec<String>,
        #[serde(flatten)]
        rows: Rows,
    }

    #[test]
    fn row_fields_sit_beside_repeated_names() {
        let f: F = serde_html_form::from_str(
            "_csrf=x&title=a&scenarios=school&s_title_0=%E9%96%8B%E4%BC%9A&p_attended_3=1",
        )
        .unwrap();
        assert_eq!(f.title, "a");
        assert_eq!(f.scenarios, ["school"], "one value of a repeated name");
        assert_eq!(f.rows.text("s_title", 0), "開会");
        assert_eq!(f.rows.text("s_title", 1), "");
        assert!(f.rows.ticked("p_attended", 3) && !f.rows.ticked("p_attended", 0));
        let f: F = serde_html_form::from_str("scenarios=school&scenarios=home").unwrap();
        assert_eq!(f.scenarios, ["school", "home"]);
        let f: F = serde_html_form::from_str("").unwrap();
        assert!(f.scenarios.is_empty() && f.rows.text("s_title", 0).is_empty());
    }
}
