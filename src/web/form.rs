//! Reading urlencoded form bodies as (name, value) pairs, so that repeated names
//! (checkboxes) and numbered rows (contact_name_0 …) are easy to collect.

use axum::body::Bytes;

pub type Pairs = Vec<(String, String)>;

pub fn pairs(body: &Bytes) -> Pairs {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `key`, or "".
pub fn one(p: &[(String, String)], key: &str) -> String {
    p.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of `key` (checkboxes).
pub fn many(p: &[(String, String)], key: &str) -> Vec<String> {
    p.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

pub fn checked(p: &[(String, String)], key: &str) -> bool {
    p.iter()
        .any(|(k, v)| k == key && (v == "1" || v == "on" || v == "true"))
}

/// One `<option>` of a select list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
