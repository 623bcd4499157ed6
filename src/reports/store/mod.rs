//! SQL of the reports: the contractors' monthly reports (`monthly`) and what they are
//! drafted from (`draft`). Every query carries the caller's tenant.

pub mod draft;
mod monthly;

pub use draft::{meeting_kind_label, LinkedMeeting};
pub use monthly::*;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
