//! Retention and the family's rights (W8 item 6): how long a tenant keeps closed cases
//! (`/settings/retention`), `yorube purge` deleting the cases kept past it, erasure of
//! one child's record on request, and the disclosure document (開示請求) of everything
//! held about a child — page, A4 print and JSON — each audited without personal data.

pub mod api;
pub mod document;
pub mod model;
pub mod store;
pub mod web;
