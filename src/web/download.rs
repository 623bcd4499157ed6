//! Responses that are files rather than pages: downloads (XLSX, CSV, JSON) and SVG.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A file to save, named `name` (any language: the header carries an ASCII fallback for
/// old clients and the UTF-8 name for the rest, RFC 6266 / RFC 8187).
pub fn download(bytes: Vec<u8>, ctype: &'static str, name: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(name),
        super::pages::urlencode(name)
    );
    (
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The name with every character a header's quoted string cannot safely carry (anything
/// but printable ASCII, and `"` `\` `%`) as `_`, keeping the extension readable.
fn ascii_fallback(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (stem, ext) = match s.rfind('.') {
        Some(i) => s.split_at(i),
        None => (s.as_str(), ""),
    };
    if stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        s
    } else {
        format!("download{ext}")
    }
}

/// An SVG drawing, never cached.
pub fn svg(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_an_ascii_fallback() {
        let r = download(vec![], "text/csv", "関係機関台帳 \"2026\".csv");
        let d = r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(d.starts_with("attachment; filename=\"_"), "{d}");
        assert!(d.contains("filename*=UTF-8''%E9%96%A2"), "{d}");
        assert!(!d[..d.find(';').unwrap() + 40].contains('関'));
        assert_eq!(ascii_fallback("名簿.xlsx"), "download.xlsx");
        assert_eq!(ascii_fallback("roster 2026.xlsx"), "roster 2026.xlsx");
        assert_eq!(ascii_fallback("a\r\nb"), "a__b");
    }
}
