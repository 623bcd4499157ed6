//! Optional services (努力義務事業, W4 item 8): 療養生活支援（レスパイト）, 相互交流支援,
//! 就職支援, 介護者支援 and others, run by the tenant or under a contract: events or
//! service slots with a capacity, participants (the child, siblings, guardians) and
//! each child's use.

pub mod api;
pub mod model;
pub mod store;
pub mod web;
