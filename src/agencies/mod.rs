//! 関係機関台帳: the agency registry (guide section 3-1).

pub mod api;
pub mod export;
pub mod generate;
pub mod import;
pub mod io;
pub mod model;
pub mod search;
pub mod store;
pub mod web;
