//! Shared rendering, used by every capability's drawings and files: SVG (escaping, text
//! metrics, the 分野 palette) and XLSX workbooks. Pure: no I/O, no HTTP.

pub mod svg;
pub mod xlsx;
