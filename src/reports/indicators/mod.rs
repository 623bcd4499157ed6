//! 指標: the collaboration goals' indicators tied to figures yorube computes, each over
//! time with its baseline and target (`model`, `chart`), the per-child readings by
//! group with small groups suppressed, and a council view with anonymised cases
//! (`store`, `web`).

pub mod chart;
pub mod model;
pub mod store;
pub mod web;
