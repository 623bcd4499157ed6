//! Parsers and formatters of single cell values: 疾患群, 年齢, 連絡先, 連携場面 and the export form of
//! a value.

use super::columns::Col;
use super::table::SceneTriple;
use super::SceneLink;
use crate::agencies::model::{disease_group_label, AgencyInput, ContactInput, DISEASE_GROUPS};
use crate::text::nfkc;

pub(super) fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_string()
    }
}

fn disease_aliases() -> Vec<(&'static str, i64)> {
    let mut v: Vec<(&'static str, i64)> = DISEASE_GROUPS
        .iter()
        .zip(1..)
        .map(|(n, i)| (*n, i))
        .collect();
    v.push(("神経筋疾患", 11));
    v.push(("染色体または遺伝子に変化を伴う症候群", 13));
    v.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
    v
}

fn disease_number(tok: &str) -> Option<i64> {
    if tok.is_empty() || tok.len() > 3 || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tok.parse::<i64>().ok().filter(|n| (1..=16).contains(n))
}

/// 対象疾患群: "1, 7", "1・7", "1〜3", "糖尿病、悪性新生物", "すべて". Returns the sorted
/// numbers and the tokens not understood.
pub(super) fn parse_disease(t: &str) -> (Vec<i64>, Vec<String>) {
    let mut s = nfkc(t);
    let trimmed = s.trim();
    if matches!(trimmed, "" | "-" | "―" | "なし") {
        return (vec![], vec![]);
    }
    if matches!(trimmed, "全て" | "すべて" | "全疾患群" | "全疾患" | "全部") {
        return ((1..=16).collect(), vec![]);
    }
    for (alias, n) in disease_aliases() {
        if s.contains(alias) {
            s = s.replace(alias, &format!(",{n},"));
        }
    }
    let mut out = vec![];
    let mut unknown = vec![];
    for tok in s.split(|c: char| c.is_whitespace() || ",、・/;|。".contains(c)) {
        let tok = tok.trim_start_matches('第').trim_end_matches(['群', '番']);
        if tok.is_empty() {
            continue;
        }
        if let Some(n) = disease_number(tok) {
            out.push(n);
            continue;
        }
        let range = tok
            .split_once(['~', '〜', '-'])
            .and_then(|(a, b)| Some((disease_number(a)?, disease_number(b)?)));
        match range {
            Some((a, b)) if a <= b => out.extend(a..=b),
            _ => unknown.push(tok.to_string()),
        }
    }
    out.sort_unstable();
    out.dedup();
    (out, unknown)
}

pub(super) fn age_number(s: &str) -> Result<Option<i64>, ()> {
    let s = s.trim().trim_end_matches('歳').trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    s.parse::<i64>().map(Some).map_err(|_| ())
}

/// An upper bound: "18", "18歳まで", "18歳以下", "20歳未満" (→ 19).
fn age_upper(s: &str) -> Result<Option<i64>, ()> {
    if let Some(x) = s.strip_suffix("未満") {
        return Ok(age_number(x)?.map(|n| n - 1));
    }
    let x = s
        .strip_suffix("まで")
        .or_else(|| s.strip_suffix("以下"))
        .unwrap_or(s);
    age_number(x)
}

/// 対象年齢: "0-18", "0〜20歳", "18歳まで", "6歳以上", "20歳未満", "18" (exactly 18).
/// None when not understood.
pub(super) fn parse_age(t: &str) -> Option<(Option<i64>, Option<i64>)> {
    let s: String = nfkc(t).chars().filter(|c| !c.is_whitespace()).collect();
    if matches!(
        s.as_str(),
        "" | "-" | "―" | "ー" | "なし" | "指定なし" | "制限なし" | "不問" | "全年齢"
    ) {
        return Some((None, None));
    }
    let s = s.replace('才', "歳").replace("から", "~");
    let s: String = s
        .chars()
        .map(|c| {
            if "〜~‐−–—―-ー".contains(c) {
                '~'
            } else {
                c
            }
        })
        .collect();
    if let Some((a, b)) = s.split_once('~') {
        let min = age_number(a.strip_suffix("以上").unwrap_or(a)).ok()?;
        let max = age_upper(b).ok()?;
        if min.is_none() && max.is_none() {
            return None;
        }
        return Some((min, max));
    }
    if s.ends_with("まで") || s.ends_with("以下") || s.ends_with("未満") {
        return Some((None, age_upper(&s).ok()?));
    }
    if let Some(x) = s.strip_suffix("以上") {
        return Some((age_number(x).ok()?, None));
    }
    let n = age_number(&s).ok()??;
    Some((Some(n), Some(n)))
}

pub(super) fn format_age(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("{a}歳"),
        (Some(a), Some(b)) => format!("{a}〜{b}歳"),
        (Some(a), None) => format!("{a}歳以上"),
        (None, Some(b)) => format!("{b}歳まで"),
        (None, None) => String::new(),
    }
}

pub(super) fn format_disease(groups: &[i64]) -> String {
    groups
        .iter()
        .map(|n| {
            let l = disease_group_label(*n);
            if l.is_empty() {
                n.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The export form of a contact: 氏名／部署／電話／メール／時間.
fn format_contact(c: &ContactInput) -> String {
    format!(
        "{}／{}／{}／{}／{}",
        c.name, c.department, c.phone, c.email, c.best_time
    )
}

fn format_contacts(cs: &[ContactInput]) -> String {
    cs.iter().map(format_contact).collect::<Vec<_>>().join("\n")
}

/// 窓口となる担当者の連絡先: one contact per line.
pub(super) fn parse_contacts(t: &str) -> Vec<ContactInput> {
    t.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_contact_line)
        .filter(|c| !c.is_empty())
        .collect()
}

fn parse_contact_line(line: &str) -> ContactInput {
    let exact = |parts: &[&str]| ContactInput {
        name: parts
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        department: parts
            .get(1)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        phone: parts
            .get(2)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        email: parts
            .get(3)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        best_time: parts
            .get(4)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    };
    let parts: Vec<&str> = line.split('／').collect();
    if parts.len() == 5 {
        return exact(&parts);
    }
    if !line.contains("://") {
        let parts: Vec<&str> = line.split('/').collect();
        if parts.len() == 5
            && parts
                .get(3)
                .is_some_and(|e| e.trim().is_empty() || e.contains('@'))
        {
            return exact(&parts);
        }
    }
    heuristic_contact(line)
}

/// Splits on spaces and list separators outside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' | '「' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '」' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            _ if depth == 0 && (c.is_whitespace() || ",、/;|".contains(c)) => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn strip_phone_label(t: &str) -> Option<&str> {
    let lower = t.to_lowercase();
    for label in [
        "tel:",
        "tel.",
        "tel",
        "電話番号:",
        "電話番号",
        "電話:",
        "電話",
        "☎",
        "℡",
    ] {
        if lower.starts_with(label) {
            let rest = t.get(label.len()..)?;
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '(' || c == '+') {
                return Some(rest);
            }
        }
    }
    None
}

fn is_phone(t: &str) -> bool {
    let s = t.replace("内線", " ");
    s.chars()
        .all(|c| c.is_ascii_digit() || "-()+# ".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 5
}

fn is_time(t: &str) -> bool {
    let has_digit = t.chars().any(|c| c.is_ascii_digit());
    ["平日", "曜", "午前", "午後", "土日", "祝"]
        .iter()
        .any(|w| t.contains(w))
        || (has_digit && t.contains('時'))
        || (has_digit
            && t.contains(':')
            && t.chars().all(|c| c.is_ascii_digit() || ":-~〜".contains(c)))
}

/// "山田太郎（相談支援課） 03-1234-5678 yamada@example.jp 平日9時〜17時"
fn heuristic_contact(line: &str) -> ContactInput {
    let n = nfkc(line);
    let mut c = ContactInput::default();
    let mut phones: Vec<String> = vec![];
    let mut times: Vec<String> = vec![];
    let mut rest: Vec<String> = vec![];
    for tok in split_top_level(&n) {
        let lower = tok.to_lowercase();
        if matches!(
            lower.trim_end_matches(':'),
            "tel"
                | "fax"
                | "電話"
                | "電話番号"
                | "mail"
                | "email"
                | "e-mail"
                | "メール"
                | "担当"
                | "担当者"
                | "氏名"
                | "連絡先"
        ) {
            continue;
        }
        if tok.contains('@') && c.email.is_empty() {
            let mut e = tok.as_str();
            for label in ["mailto:", "e-mail:", "email:", "mail:", "メール:"] {
                if lower.starts_with(label) {
                    e = e.get(label.len()..).unwrap_or(e);
                }
            }
            c.email = e
                .trim_matches(|ch: char| "<>()[]\"'".contains(ch))
                .to_string();
            continue;
        }
        let phone_candidate = strip_phone_label(&tok).unwrap_or(&tok);
        if is_phone(phone_candidate) {
            phones.push(phone_candidate.to_string());
            continue;
        }
        if let Some(ext) = tok.strip_prefix("内線") {
            if !phones.is_empty() && !ext.is_empty() && ext.chars().all(|ch| ch.is_ascii_digit()) {
                phones.push(tok.clone());
                continue;
            }
        }
        if is_time(&tok) {
            times.push(tok);
            continue;
        }
        rest.push(tok);
    }
    c.phone = phones.join(" ");
    c.best_time = times.join(" ");
    let rest = rest.join(" ");
    match (rest.find('('), rest.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            c.department = rest.get(open + 1..close).unwrap_or("").trim().to_string();
            let before = rest.get(..open).unwrap_or("");
            let after = rest.get(close + 1..).unwrap_or("");
            c.name = format!("{before} {after}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
        _ => c.name = rest,
    }
    c
}

const SCENE_BAR: char = '｜';
const CONTINUATION: char = '\u{3000}';

/// The CSV 連携場面 cell: one link per line "場面｜連携方法｜連携内容"; a line starting
/// with a full-width space continues the 連携内容 above; a line without a bar is a
/// scene alone. Returns the links and the number of lines with an empty scene.
pub(super) fn parse_scene_cell(t: &str) -> (Vec<SceneTriple>, usize) {
    let mut out: Vec<SceneTriple> = vec![];
    let mut bad = 0;
    for line in t.split('\n') {
        if let Some(cont) = line.strip_prefix(CONTINUATION) {
            if let Some(last) = out.last_mut() {
                last.2.push('\n');
                last.2.push_str(cont);
                continue;
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        let bar = if line.contains(SCENE_BAR) {
            SCENE_BAR
        } else {
            '|'
        };
        let mut parts = line.splitn(3, bar);
        let scene = parts.next().unwrap_or("").trim().to_string();
        let method = parts.next().unwrap_or("").trim().to_string();
        let content = parts.next().unwrap_or("").to_string();
        if scene.is_empty() {
            bad += 1;
            continue;
        }
        out.push((scene, method, content));
    }
    for l in &mut out {
        let trimmed = l.2.trim();
        if trimmed.len() != l.2.len() {
            l.2 = trimmed.to_string();
        }
    }
    (out, bad)
}

pub(super) fn format_scene_cell(agency: &str, links: &[&SceneLink]) -> Result<String, String> {
    let mut lines = vec![];
    for l in links {
        let scene = l.scene.trim();
        if scene.is_empty()
            || scene.contains(['\n', SCENE_BAR])
            || l.method.contains(['\n', SCENE_BAR])
        {
            return Err(format!(
                "「{agency}」の連携場面「{}」または連携方法「{}」に、改行か「｜」が含まれているため CSV に書き出せません。",
                l.scene, l.method
            ));
        }
        let mut content_lines = l.content.split('\n');
        let mut line = format!(
            "{scene}{SCENE_BAR}{}{SCENE_BAR}{}",
            l.method.trim(),
            content_lines.next().unwrap_or("")
        );
        for more in content_lines {
            line.push('\n');
            line.push(CONTINUATION);
            line.push_str(more);
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// The value of one export column.
pub(super) fn export_value(a: &AgencyInput, c: Col) -> String {
    match c {
        Col::Field => a.field.clone(),
        Col::Name => a.name.clone(),
        Col::Reading => a.reading.clone(),
        Col::Address => a.address.clone(),
        Col::Overview => a.overview.clone(),
        Col::Url => a.url.clone(),
        Col::IsNew => if a.is_new { "○" } else { "-" }.to_string(),
        Col::Services => a.services.clone(),
        Col::Strengths => a.strengths.clone(),
        Col::Disease => format_disease(&a.disease_groups),
        Col::Age => format_age(a.age_min, a.age_max),
        Col::Hours => a.hours.clone(),
        Col::Notes => a.notes.clone(),
        Col::Contacts => format_contacts(&a.contacts),
        Col::Scene | Col::Method | Col::Content => String::new(),
    }
}
