//! Reports (報告): today the contractors' monthly reports (月次報告) — drafted from the
//! contract staff's casework and the optional services held under the contract,
//! submitted by the contractor, approved or returned by the municipality. W6 adds the
//! activity statistics here. It comes after `services` (whose month it summarises)
//! and reads contracts from `network`.

pub mod api;
pub mod model;
pub mod store;
pub mod web;
