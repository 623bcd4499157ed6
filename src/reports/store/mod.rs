//! SQL of the reports: the contractors' monthly reports (`monthly`). Every query
//! carries the caller's tenant.

mod monthly;

pub use monthly::*;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
