//! Pages of casework: children, the record page with quick consultation entry and
//! timeline, plans, consents, referrals, follow-ups, handover, ecomap, indicators.

mod children;
mod ecomap;
mod follow_ups;
mod plan;
mod referrals;

pub use self::children::FamilySlot;
pub use self::ecomap::ecomap_svg_for;
pub use self::plan::{ActionSlot, PlanView};
pub use self::referrals::EventView;
pub use crate::web::form::Opt;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use self::children::{create, edit_form, list, new_form, update};
use self::ecomap::{
    ecomap_add, ecomap_page, ecomap_remove, ecomap_svg, worksheet_page, worksheet_svg,
};
use self::follow_ups::follow_ups_page;
use self::plan::{plan_edit, plan_page, plan_print, plan_save};
use self::referrals::{referral_page, referral_status, referrals_page};
use super::store;
use crate::time;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children", get(list).post(create))
        .route("/children/new", get(new_form))
        .route("/children/{id}", post(update))
        .route("/children/{id}/edit", get(edit_form))
        .route("/children/{id}/plan", get(plan_page).post(plan_save))
        .route("/children/{id}/plan/edit", get(plan_edit))
        .route("/children/{id}/plan/print", get(plan_print))
        .route("/children/{id}/ecomap", get(ecomap_page).post(ecomap_add))
        .route("/children/{id}/ecomap.svg", get(ecomap_svg))
        .route("/children/{id}/ecomap/{nid}/delete", post(ecomap_remove))
        .route("/ecomap/worksheet", get(worksheet_page))
        .route("/ecomap/worksheet.svg", get(worksheet_svg))
        .route("/referrals", get(referrals_page))
        .route("/referrals/{id}", get(referral_page))
        .route("/referrals/{id}/status", post(referral_status))
        .route("/follow-ups", get(follow_ups_page))
}

pub(crate) fn notice(done: Option<&str>) -> Option<String> {
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
pub(crate) struct Done {
    pub(crate) done: Option<String>,
    pub(crate) dup: Option<String>,
}

pub(crate) fn opts(items: &[(&str, &str)], selected: &str) -> Vec<Opt> {
    items
        .iter()
        .map(|(v, l)| Opt {
            value: v.to_string(),
            label: l.to_string(),
            selected: *v == selected,
        })
        .collect()
}

pub(crate) fn plain_opts(items: &[&str], selected: &[String]) -> Vec<Opt> {
    items
        .iter()
        .map(|v| Opt {
            value: v.to_string(),
            label: v.to_string(),
            selected: selected.iter().any(|s| s == v),
        })
        .collect()
}

pub(crate) fn wareki(s: &str) -> String {
    store::parse_ymd(s)
        .map(time::format_wareki)
        .unwrap_or_default()
}
