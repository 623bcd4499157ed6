//! Casework SQL. Every read of a child's record passes `child_access` (tenant, role,
//! contractor assignment) and is audited; partners reach children only through
//! referrals addressed to their agency and see only items the family consented to.

mod children;
pub mod columns;
mod consent;
mod consultation;
mod ecomap;
mod follow_up;
mod handover;
mod indicator;
mod plan;
mod referral;

pub(crate) use self::children::load_child;
pub use self::children::{
    create_child, eligibility_text, get_child, list_children, possible_duplicates, update_child,
    Child, ChildFilter, ChildInput, ChildSummary, Consent, Created, FamilyInput, Worker,
};
pub(crate) use self::consent::load_consents;
pub use self::consent::{add_consent, consented_items, revoke_consent, ConsentInput};
pub use self::consultation::{add_consultation, consultations, Consultation, ConsultationInput};
pub use self::ecomap::{
    add_ecomap_node, ecomap, remove_ecomap_node, EcomapNode, ECOMAP_FIELDS_EXTRA,
};
pub use self::follow_up::{add_follow_up, child_due, complete_follow_up, due_list, Due};
pub use self::handover::{handover, staff};
pub(crate) use self::indicator::indicator_from;
pub use self::indicator::{add_indicator, indicators, Indicator};
pub use self::plan::{plans, save_plan, Plan, PlanInput};
// What the child's record page (crate::record) reads beside the typed readers.
pub(crate) use self::children::{child_input_from_row, family_from, worker_from, CHILD_COLS};
pub(crate) use self::consent::consent_from;
pub(crate) use self::follow_up::{
    follow_up_due, renewal_due, review_due, sort_due, transition_dues, RENEWAL_LOOKBACK_DAYS,
};
pub(crate) use self::handover::{sort_workers, staff_options};
pub(crate) use self::referral::referral_decode;
pub(crate) use self::referral::shared_record_on;
pub use self::referral::{
    create_referral, get_referral, list_referrals, transition_referral, Referral, ReferralDetail,
    ReferralEvent, ReferralInput, SharedRecord, REFERRAL_ACCEPT_DAYS,
};
pub use super::access::{begin_child_write, child_access, commit_child_write};

use chrono::NaiveDate;

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn date_str(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub fn parse_ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
