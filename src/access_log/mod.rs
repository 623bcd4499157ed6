//! The audit log as people read it: the 監査ログ page and `/api/v1/audit` (the chain
//! itself is `audit`).

pub mod store;
pub mod web;
