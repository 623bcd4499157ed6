//! API bodies through `web::api::decode_json`, the checks `ApiJson` runs once the body is
//! read: syntax, NUL in any string or key at any depth, then the typed decode. Never
//! panics, and what decodes holds no NUL.
//!
//!     cargo fuzz run -s none json_decode -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;
use yorube::web::api::decode_json;

#[allow(dead_code)]
#[derive(Deserialize, Debug)]
struct Family {
    relation: String,
    name: String,
    #[serde(default)]
    is_guardian: bool,
}

#[allow(dead_code)]
#[derive(Deserialize, Debug)]
struct NewChild {
    name: String,
    #[serde(default)]
    reading: String,
    birth_date: String,
    #[serde(default)]
    disease_group: Option<u8>,
    #[serde(default)]
    family: Vec<Family>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    version: Option<i64>,
}

fn no_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.contains('\0'),
        Value::Array(a) => a.iter().all(no_nul),
        Value::Object(m) => m.iter().all(|(k, v)| !k.contains('\0') && no_nul(v)),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = decode_json::<Value>(data) {
        assert!(no_nul(&v), "a decoded body holds NUL");
    }
    if let Ok(c) = decode_json::<NewChild>(data) {
        assert!(!c.name.contains('\0') && c.family.iter().all(|f| !f.name.contains('\0')));
    }
});
