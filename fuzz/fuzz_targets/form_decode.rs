//! Page input through `web::form`: an urlencoded body or query decoded into a form struct
//! shaped like the pages' own (text, repeated checkboxes, numbers, flags), and the NUL
//! edge (`nul_field`). Never panics, and what decodes holds no NUL.
//!
//!     cargo fuzz run -s none form_decode -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use yorube::web::form::{decode_form, decode_query, nul_field};

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
struct ChildForm {
    name: String,
    reading: String,
    birth_date: String,
    sex: String,
    disease_group: Option<i64>,
    household_notes: String,
    participants: Vec<String>,
    topics: Vec<String>,
    supported: bool,
    next: Option<String>,
}

fn no_nul(f: &ChildForm) -> bool {
    [
        &f.name,
        &f.reading,
        &f.birth_date,
        &f.sex,
        &f.household_notes,
    ]
    .into_iter()
    .chain(f.participants.iter())
    .chain(f.topics.iter())
    .chain(f.next.iter())
    .all(|s| !s.contains('\0'))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = decode_form::<ChildForm>(data) {
        assert!(no_nul(&f), "a decoded form holds NUL: {f:?}");
    }
    let _ = decode_form::<Vec<(String, String)>>(data);
    let nul = nul_field(data);
    let has_nul = form_urlencoded::parse(data).any(|(k, v)| k.contains('\0') || v.contains('\0'));
    assert_eq!(
        nul.is_some(),
        has_nul,
        "nul_field agrees with the decoded pairs"
    );
    if let Ok(q) = std::str::from_utf8(data) {
        if let Ok(f) = decode_query::<ChildForm>(q) {
            assert!(no_nul(&f), "a decoded query holds NUL: {f:?}");
        }
    }
});
