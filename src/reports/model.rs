//! Monthly report rules (no I/O): the statuses a report goes through.

pub const REPORT_STATUSES: [(&str, &str); 4] = [
    ("draft", "下書き"),
    ("submitted", "提出済"),
    ("approved", "承認済"),
    ("returned", "差し戻し"),
];

pub fn report_status_label(s: &str) -> &'static str {
    REPORT_STATUSES
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, l)| *l)
        .unwrap_or("")
}
