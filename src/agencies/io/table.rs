//! Sheets of cells shared by XLSX and CSV: finding the header, classifying sheets, reading
//! rows into agencies, merged cells and role sheets.

use std::collections::HashMap;

use super::columns::{header_col, Col, NCOLS};
use super::problems::{ProblemList, MSG_AGE, MSG_FORMULA, MSG_IS_NEW, MSG_NO_NAME};
use super::values::{parse_age, parse_contacts, parse_disease, parse_scene_cell};
use super::{ImportError, ParsedFile, ParsedRow, SceneLink, HEADER_SEARCH_ROWS, MAX_COLS};
use crate::agencies::model::{parse_is_new, AgencyInput};
use crate::text::{clean, search_key};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Text(String),
    /// A formula, with its cached value (used only to recognise headers).
    Formula(String),
    /// An error value such as #N/A.
    Error(String),
}

impl Cell {
    pub(super) fn header_text(&self) -> &str {
        match self {
            Cell::Text(s) | Cell::Formula(s) => s,
            Cell::Error(_) => "",
        }
    }
}

pub(super) struct RawRow {
    /// 1-based.
    pub(super) row: usize,
    /// Non-empty cells, sorted by 0-based column.
    pub(super) cells: Vec<(usize, Cell)>,
}

impl RawRow {
    fn get(&self, col: usize) -> Option<&Cell> {
        let i = self.cells.binary_search_by_key(&col, |(c, _)| *c).ok()?;
        self.cells.get(i).map(|(_, c)| c)
    }
}

/// Vertically merged regions, by their first column: (first row, last row), 1-based.
#[derive(Default)]
pub(super) struct MergeIndex {
    by_col: HashMap<usize, Vec<(usize, usize)>>,
}

impl MergeIndex {
    pub(super) fn from_dims(dims: &[calamine::Dimensions]) -> Self {
        let mut by_col: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for d in dims.iter().take(200_000) {
            if d.end.0 > d.start.0 && d.start.1 < MAX_COLS {
                by_col
                    .entry(d.start.1 as usize)
                    .or_default()
                    .push((d.start.0 as usize + 1, d.end.0 as usize + 1));
            }
        }
        for v in by_col.values_mut() {
            v.sort_unstable();
        }
        MergeIndex { by_col }
    }

    /// The first row of the merged region covering (row, col), if it is above `row`.
    fn anchor(&self, row: usize, col: usize) -> Option<usize> {
        let v = self.by_col.get(&col)?;
        let i = v.partition_point(|(s, _)| *s <= row);
        let (s, e) = *v.get(i.checked_sub(1)?)?;
        (s < row && row <= e).then_some(s)
    }
}

pub(super) struct SheetData {
    pub(super) name: String,
    pub(super) rows: Vec<RawRow>,
    pub(super) merges: MergeIndex,
}

pub(super) struct Header {
    /// Index in `SheetData::rows`.
    pos: usize,
    /// For each `Col`: its 0-based column and header text as written.
    pub(super) cols: [Option<(usize, String)>; NCOLS],
}

impl Header {
    pub(super) fn has(&self, c: Col) -> bool {
        self.cols.get(c.idx()).is_some_and(Option::is_some)
    }

    fn label(&self, c: Col) -> &str {
        match self.cols.get(c.idx()) {
            Some(Some((_, l))) => l,
            _ => c.label(),
        }
    }
}

pub(super) fn find_header(rows: &[RawRow]) -> Option<Header> {
    let mut best: Option<(bool, usize, Header)> = None;
    for (pos, r) in rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let mut cols: [Option<(usize, String)>; NCOLS] = Default::default();
        let mut score = 0;
        for (ci, cell) in &r.cells {
            let text = cell.header_text();
            if let Some(c) = header_col(text) {
                if let Some(slot) = cols.get_mut(c.idx()) {
                    if slot.is_none() {
                        *slot = Some((*ci, text.split_whitespace().collect::<Vec<_>>().join(" ")));
                        score += 1;
                    }
                }
            }
        }
        let has_name = cols.get(Col::Name.idx()).is_some_and(Option::is_some);
        let better = match &best {
            None => score > 0,
            Some((bn, bs, _)) => (has_name, score) > (*bn, *bs),
        };
        if better {
            best = Some((has_name, score, Header { pos, cols }));
        }
    }
    best.map(|(_, _, h)| h)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Registry,
    Role,
    Scene,
}

fn classify(h: &Header) -> Option<Kind> {
    if !h.has(Col::Name) {
        return None;
    }
    let registry = [Col::Overview, Col::Url, Col::IsNew, Col::Reading]
        .iter()
        .any(|c| h.has(*c));
    let role = [Col::Services, Col::Strengths, Col::Contacts]
        .iter()
        .any(|c| h.has(*c));
    if h.has(Col::Scene) && (h.has(Col::Method) || h.has(Col::Content) || (!registry && !role)) {
        return Some(Kind::Scene);
    }
    if registry || !role {
        Some(Kind::Registry)
    } else {
        Some(Kind::Role)
    }
}

/// The values of one row under a header.
struct RowVals {
    row: usize,
    text: [String; NCOLS],
    /// Whether the value is the row's own (not taken from a merged cell above).
    own: [bool; NCOLS],
    /// The first row of the merged 関係機関名 cell this row continues.
    name_anchor: Option<usize>,
}

fn read_row(
    sheet: &SheetData,
    ri: usize,
    h: &Header,
    problems: &mut ProblemList,
) -> Option<RowVals> {
    let raw = sheet.rows.get(ri)?;
    let mut v = RowVals {
        row: raw.row,
        text: Default::default(),
        own: [false; NCOLS],
        name_anchor: None,
    };
    for (ci, slot) in h.cols.iter().enumerate() {
        let Some((col, label)) = slot else { continue };
        let (cell, from) = match raw.get(*col) {
            Some(c) => (c, None),
            None => {
                let Some(a) = sheet.merges.anchor(raw.row, *col) else {
                    continue;
                };
                let Ok(ai) = sheet.rows.binary_search_by_key(&a, |r| r.row) else {
                    continue;
                };
                let Some(c) = sheet.rows.get(ai).and_then(|r| r.get(*col)) else {
                    continue;
                };
                (c, Some(a))
            }
        };
        let text = match cell {
            Cell::Text(s) => s.clone(),
            Cell::Formula(_) => {
                if from.is_none() {
                    problems.add(raw.row, &sheet.name, label, MSG_FORMULA);
                }
                String::new()
            }
            Cell::Error(e) => {
                if from.is_none() {
                    problems.add(
                        raw.row,
                        &sheet.name,
                        label,
                        format!("エラーの値（{e}）が入っています。正しい値を入力してください。"),
                    );
                }
                String::new()
            }
        };
        if let Some(t) = v.text.get_mut(ci) {
            *t = text;
        }
        if let Some(o) = v.own.get_mut(ci) {
            *o = from.is_none();
        }
        if ci == Col::Name.idx() {
            v.name_anchor = from;
        }
    }
    Some(v)
}

pub(super) type SceneTriple = (String, String, String);

/// Builds an agency from a row. `own_only`: ignore values taken from merged cells.
fn build_input(
    v: &RowVals,
    own_only: bool,
    h: &Header,
    sheet: &str,
    problems: &mut ProblemList,
) -> (AgencyInput, Vec<SceneTriple>) {
    let t = |c: Col| -> &str {
        let i = c.idx();
        if !own_only || v.own.get(i).copied().unwrap_or(false) {
            v.text.get(i).map(String::as_str).unwrap_or("")
        } else {
            ""
        }
    };
    let mut a = AgencyInput {
        field: t(Col::Field).to_string(),
        name: t(Col::Name).to_string(),
        reading: t(Col::Reading).to_string(),
        address: t(Col::Address).to_string(),
        overview: t(Col::Overview).to_string(),
        url: t(Col::Url).to_string(),
        services: t(Col::Services).to_string(),
        strengths: t(Col::Strengths).to_string(),
        hours: t(Col::Hours).to_string(),
        notes: t(Col::Notes).to_string(),
        ..Default::default()
    };
    match parse_is_new(t(Col::IsNew)) {
        Some(b) => a.is_new = b,
        None => problems.add(v.row, sheet, h.label(Col::IsNew), MSG_IS_NEW),
    }
    let (groups, unknown) = parse_disease(t(Col::Disease));
    a.disease_groups = groups;
    for u in unknown {
        problems.add(
            v.row,
            sheet,
            h.label(Col::Disease),
            format!("「{u}」は疾患群として分かりません。1〜16の番号か疾患群の名前（例: 悪性新生物、糖尿病）で入力してください。"),
        );
    }
    match parse_age(t(Col::Age)) {
        Some((min, max)) => {
            a.age_min = min;
            a.age_max = max;
        }
        None => problems.add(v.row, sheet, h.label(Col::Age), MSG_AGE),
    }
    a.contacts = parse_contacts(t(Col::Contacts));
    let (scenes, bad) = parse_scene_cell(t(Col::Scene));
    if bad > 0 {
        problems.add(
            v.row,
            sheet,
            h.label(Col::Scene),
            "連携場面が空欄の行があります。「場面｜連携方法｜連携内容」の形で入力してください。",
        );
    }
    (a, scenes)
}

struct Rec {
    sheet: String,
    row: usize,
    input: AgencyInput,
    scenes: Vec<SceneTriple>,
    /// Which columns the row's sheet has.
    cols: [bool; NCOLS],
    /// A problem was found in the row (or its continuation rows): left out.
    bad: bool,
}

fn text_field(a: &mut AgencyInput, c: Col) -> Option<&mut String> {
    match c {
        Col::Field => Some(&mut a.field),
        Col::Name => Some(&mut a.name),
        Col::Reading => Some(&mut a.reading),
        Col::Address => Some(&mut a.address),
        Col::Overview => Some(&mut a.overview),
        Col::Url => Some(&mut a.url),
        Col::Services => Some(&mut a.services),
        Col::Strengths => Some(&mut a.strengths),
        Col::Hours => Some(&mut a.hours),
        Col::Notes => Some(&mut a.notes),
        _ => None,
    }
}

const TEXT_COLS: [Col; 9] = [
    Col::Field,
    Col::Reading,
    Col::Address,
    Col::Overview,
    Col::Url,
    Col::Services,
    Col::Strengths,
    Col::Hours,
    Col::Notes,
];
const LONG_TEXT_COLS: [Col; 4] = [Col::Overview, Col::Services, Col::Strengths, Col::Notes];

/// Adds a continuation row (below a merged 関係機関名 cell) to the agency above.
fn merge_continuation(
    prev: &mut Rec,
    add: AgencyInput,
    scenes: Vec<SceneTriple>,
    row: usize,
    h: &Header,
    problems: &mut ProblemList,
) {
    let mut add = add;
    for c in TEXT_COLS {
        let new = text_field(&mut add, c)
            .map(std::mem::take)
            .unwrap_or_default();
        if new.is_empty() {
            continue;
        }
        let Some(old) = text_field(&mut prev.input, c) else {
            continue;
        };
        if old.is_empty() {
            *old = new;
        } else if clean(old) != clean(&new) {
            if LONG_TEXT_COLS.contains(&c) {
                old.push('\n');
                old.push_str(&new);
            } else {
                problems.add(
                    row,
                    &prev.sheet,
                    h.label(c),
                    format!(
                        "結合された関係機関名の続きの行に、別の{}「{new}」があります。",
                        c.label()
                    ),
                );
            }
        }
    }
    prev.input.is_new |= add.is_new;
    prev.input.disease_groups.extend(add.disease_groups);
    prev.input.disease_groups.sort_unstable();
    prev.input.disease_groups.dedup();
    if prev.input.age_min.is_none() && prev.input.age_max.is_none() {
        prev.input.age_min = add.age_min;
        prev.input.age_max = add.age_max;
    }
    prev.input.contacts.extend(add.contacts);
    prev.scenes.extend(scenes);
}

fn read_agency_sheet(
    sheet: &SheetData,
    h: &Header,
    out: &mut Vec<Rec>,
    problems: &mut ProblemList,
) {
    let mut cols = [false; NCOLS];
    for (i, c) in h.cols.iter().enumerate() {
        if let Some(slot) = cols.get_mut(i) {
            *slot = c.is_some();
        }
    }
    let mut last: Option<usize> = None;
    for ri in h.pos + 1..sheet.rows.len() {
        let before = problems.count();
        let Some(v) = read_row(sheet, ri, h, problems) else {
            continue;
        };
        if !v.own.iter().any(|b| *b) {
            continue;
        }
        if let (Some(anchor), Some(li)) = (v.name_anchor, last) {
            if let Some(prev) = out.get_mut(li) {
                if prev.row == anchor {
                    let (add, scenes) = build_input(&v, true, h, &sheet.name, problems);
                    merge_continuation(prev, add, scenes, v.row, h, problems);
                    prev.bad |= problems.count() > before;
                    continue;
                }
            }
        }
        let (input, scenes) = build_input(&v, false, h, &sheet.name, problems);
        if input.name.trim().is_empty() {
            problems.add(v.row, &sheet.name, h.label(Col::Name), MSG_NO_NAME);
            continue;
        }
        let bad = problems.count() > before;
        out.push(Rec {
            sheet: sheet.name.clone(),
            row: v.row,
            input,
            scenes,
            cols,
            bad,
        });
        last = Some(out.len() - 1);
    }
}

fn read_scene_sheet(
    sheet: &SheetData,
    h: &Header,
    links: &mut Vec<SceneLink>,
    problems: &mut ProblemList,
) {
    for ri in h.pos + 1..sheet.rows.len() {
        let Some(v) = read_row(sheet, ri, h, problems) else {
            continue;
        };
        if !v.own.iter().any(|b| *b) {
            continue;
        }
        let get = |c: Col| v.text.get(c.idx()).map(|s| s.trim()).unwrap_or("");
        let scene = get(Col::Scene);
        let names: Vec<&str> = get(Col::Name)
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if scene.is_empty() {
            problems.add(
                v.row,
                &sheet.name,
                h.label(Col::Scene),
                "連携場面が空欄です。",
            );
        }
        if names.is_empty() {
            problems.add(
                v.row,
                &sheet.name,
                h.label(Col::Name),
                "関係機関名が空欄です。",
            );
        }
        if scene.is_empty() || names.is_empty() {
            continue;
        }
        let address = get(Col::Address);
        let addresses: Vec<&str> = address
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        for (i, name) in names.iter().enumerate() {
            let agency_address = if names.len() == 1 {
                address
            } else if addresses.len() == names.len() {
                addresses.get(i).copied().unwrap_or("")
            } else if addresses.len() == 1 {
                address
            } else {
                ""
            };
            links.push(SceneLink {
                scene: scene.to_string(),
                agency_name: name.to_string(),
                agency_address: agency_address.to_string(),
                method: get(Col::Method).to_string(),
                content: get(Col::Content).to_string(),
            });
        }
    }
}

pub(super) fn agency_key(name: &str, address: &str) -> (String, String) {
    (search_key(name), search_key(address))
}

/// Merges role-sheet rows into the registry rows with the same name and address.
fn merge_roles(
    registry: &mut Vec<Rec>,
    roles: Vec<Rec>,
    has_registry_sheet: bool,
    problems: &mut ProblemList,
) {
    if !has_registry_sheet {
        registry.extend(roles);
        return;
    }
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in registry.iter().enumerate() {
        let k = agency_key(&r.input.name, &r.input.address);
        by_name.entry(k.0.clone()).or_default().push(i);
        by_key.entry(k).or_insert(i);
    }
    for role in roles {
        let k = agency_key(&role.input.name, &role.input.address);
        let idx = by_key.get(&k).copied().or_else(|| {
            let cands = by_name.get(&k.0)?;
            let [only] = cands.as_slice() else {
                return None;
            };
            let reg = registry.get(*only)?;
            (role.input.address.trim().is_empty() || reg.input.address.trim().is_empty())
                .then_some(*only)
        });
        let Some(reg) = idx.and_then(|i| registry.get_mut(i)) else {
            problems.add(
                role.row,
                &role.sheet,
                Col::Name.label(),
                "関係機関名・所在地が一致する行が関係機関の一覧のシートにないため、この行は取り込みません。",
            );
            continue;
        };
        if role.bad {
            // The role row's own problems are reported; the agency is left out whole.
            reg.bad = true;
            continue;
        }
        let mut role = role;
        let role_cols = role.cols;
        let has = |c: Col| role_cols.get(c.idx()).copied().unwrap_or(false);
        for c in TEXT_COLS {
            if !has(c) {
                continue;
            }
            let new = text_field(&mut role.input, c)
                .map(std::mem::take)
                .unwrap_or_default();
            if new.is_empty() {
                continue;
            }
            let reg_sheet = reg.sheet.clone();
            let reg_row = reg.row;
            let Some(old) = text_field(&mut reg.input, c) else {
                continue;
            };
            if old.is_empty() {
                *old = new;
            } else if clean(old) != clean(&new) {
                problems.add(
                    role.row,
                    &role.sheet,
                    c.label(),
                    format!("「{reg_sheet}」{reg_row}行目の{}と異なります。「{reg_sheet}」の値を使います。", c.label()),
                );
            }
        }
        if has(Col::Contacts) && !role.input.contacts.is_empty() {
            if reg.input.contacts.is_empty() {
                reg.input.contacts = role.input.contacts;
            } else if reg.input.contacts != role.input.contacts {
                problems.add(
                    role.row,
                    &role.sheet,
                    Col::Contacts.label(),
                    format!("「{}」{}行目の窓口となる担当者の連絡先と異なります。「{}」の値を使います。", reg.sheet, reg.row, reg.sheet),
                );
            }
        }
        if has(Col::Disease) && reg.input.disease_groups.is_empty() {
            reg.input.disease_groups = role.input.disease_groups;
        }
        if has(Col::Age) && reg.input.age_min.is_none() && reg.input.age_max.is_none() {
            reg.input.age_min = role.input.age_min;
            reg.input.age_max = role.input.age_max;
        }
        if has(Col::IsNew) {
            reg.input.is_new |= role.input.is_new;
        }
        reg.scenes.extend(role.scenes);
    }
}

pub(super) fn parse_sheets(
    sheets: Vec<SheetData>,
    format: &'static str,
) -> Result<ParsedFile, ImportError> {
    let mut problems = ProblemList::default();
    let mut registry: Vec<Rec> = vec![];
    let mut roles: Vec<Rec> = vec![];
    let mut links: Vec<SceneLink> = vec![];
    let mut found = false;
    let mut has_registry_sheet = false;
    for sheet in &sheets {
        let Some(h) = find_header(&sheet.rows) else {
            continue;
        };
        let Some(kind) = classify(&h) else { continue };
        found = true;
        match kind {
            Kind::Registry => {
                has_registry_sheet = true;
                read_agency_sheet(sheet, &h, &mut registry, &mut problems);
            }
            Kind::Role => read_agency_sheet(sheet, &h, &mut roles, &mut problems),
            Kind::Scene => read_scene_sheet(sheet, &h, &mut links, &mut problems),
        }
    }
    if !found {
        return Err(ImportError::MissingColumn(Col::Name.label().to_string()));
    }
    merge_roles(&mut registry, roles, has_registry_sheet, &mut problems);
    // Problems in sheet order, then row order (role rows are merged last).
    let order: HashMap<&str, usize> = sheets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    problems.list.sort_by_key(|p| {
        (
            order.get(p.sheet.as_str()).copied().unwrap_or(usize::MAX),
            p.row,
        )
    });
    let mut scenes = vec![];
    let mut rows = Vec::with_capacity(registry.len());
    for r in registry.into_iter().filter(|r| !r.bad) {
        for (scene, method, content) in r.scenes {
            scenes.push(SceneLink {
                scene,
                agency_name: r.input.name.clone(),
                agency_address: r.input.address.clone(),
                method,
                content,
            });
        }
        rows.push(ParsedRow {
            row: r.row,
            sheet: r.sheet,
            input: r.input,
        });
    }
    scenes.extend(links);
    Ok(ParsedFile {
        rows,
        scenes,
        problems: problems.finish(),
        format,
    })
}
