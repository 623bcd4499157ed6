//! The child's record: the page a worker opens to see everything about one child, read
//! in one statement across casework, case conferences and optional services, the
//! forms posted from it, and the child's timeline. It comes after those capabilities
//! (it reads their rows); none of them imports it.

pub mod api;
mod cache;
pub mod parts;
pub mod store;
mod timeline;
mod web;

pub use self::cache::RecordCache;
pub use self::store::{record_page, RecordPage};
pub use self::timeline::{timeline, TimelineItem};
pub use self::web::{ConsentView, TimelineView};

use axum::routing::{get, post};
use axum::Router;

use self::web::{
    add_consent, add_consultation, add_follow_up, add_indicator, create_referral, follow_up_done,
    handover, indicator_svg, revoke_consent, show,
};
use crate::web::AppState;

/// The record page and its forms (the child's own edit form and the rest of casework
/// are in cases::web).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children/{id}", get(show))
        .route("/children/{id}/consultations", post(add_consultation))
        .route("/children/{id}/consents", post(add_consent))
        .route("/children/{id}/consents/{cid}/revoke", post(revoke_consent))
        .route("/children/{id}/referrals", post(create_referral))
        .route("/children/{id}/follow-ups", post(add_follow_up))
        .route("/children/{id}/follow-ups/{fid}/done", post(follow_up_done))
        .route("/children/{id}/handover", post(handover))
        .route("/children/{id}/indicators", post(add_indicator))
        .route("/children/{id}/indicators/{kind}", get(indicator_svg))
}
