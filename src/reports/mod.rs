//! Reports (報告・実績): the contractors' monthly reports (月次報告: drafted from the
//! contract staff's casework and the optional services held under the contract,
//! submitted by the contractor, approved or returned by the municipality), the activity
//! statistics and the annual report (`stats`), the outsourcing cost comparison
//! (`cost`) and the roll-up across tenants (`rollup`). It comes after `services` (whose
//! month it summarises) and reads contracts from `network`.

pub mod annual;
pub mod api;
pub mod cost;
pub mod indicators;
pub mod model;
pub mod rollup;
pub mod scope;
pub mod stats;
pub mod store;
pub mod web;
