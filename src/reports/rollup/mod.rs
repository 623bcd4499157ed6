//! 全体の実績: the roll-up across tenants for a system_admin (a prefecture over its
//! cities, or a national service). Aggregates only, never a child: counts from 1 to 4
//! are shown as 「<5」 and the cells that would give them away are hidden too
//! (`suppress`); tables built in `model`, counted in `store`, shown in `web` and `api`.

pub mod api;
pub mod model;
pub mod store;
pub mod suppress;
pub mod web;
