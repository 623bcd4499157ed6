//! The text checks every stored field passes (`validate::unsafe_text`, `check_text`,
//! `check_line`) and the normalisers (`text::nfkc`, `clean`, `clean_login`,
//! `search_key`) on any text. Never panics; text that passes holds no NUL, no bidi
//! override and no markup even after NFKC.
//!
//!     cargo fuzz run -s none text_checks -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;
use yorube::text::{clean, clean_login, nfkc, search_key};
use yorube::validate::{check_line, check_text, unsafe_text};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let folded = nfkc(&s);
    let _ = clean(&s);
    let _ = clean_login(&s);
    let _ = search_key(&s);
    let mut errs = vec![];
    check_text(&mut errs, "f", &s, 100);
    check_line(&mut errs, "f", &s, 100);
    if unsafe_text(&s).is_none() {
        assert!(!s.contains('\0'), "NUL passed");
        assert!(
            !s.chars()
                .any(|c| matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069 | 0x200B | 0xFEFF)),
            "a bidi override or zero-width character passed"
        );
        let lower = folded.to_lowercase();
        assert!(
            !lower.contains("javascript:"),
            "javascript: passed after NFKC"
        );
        assert!(!lower.contains("<script"), "<script passed after NFKC");
        assert!(!folded.starts_with('='), "a formula passed after NFKC");
    }
    for t in [&folded, &clean(&s)] {
        let _ = unsafe_text(t);
    }
});
