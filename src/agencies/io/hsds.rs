//! HSDS 3.0 JSON: reading organisations into agencies and writing the registry as HSDS.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::columns::Col;
use super::problems::ProblemList;
use super::table::{agency_key, SceneTriple};
use super::values::{age_number, format_age, format_disease, normalize_newlines, parse_disease};
use super::{ExportAgency, ImportError, ParsedFile, ParsedRow, SceneLink};
use crate::agencies::model::{disease_group_label, AgencyInput, ContactInput};
use crate::text::nfkc;

pub(super) const TAX_FIELD: &str = "yorube:field";
const TAX_IS_NEW: &str = "yorube:is_new";
pub(super) const TAX_DISEASE: &str = "yorube:disease_group";
pub(super) const TAX_SCENE: &str = "yorube:scene";
pub(super) const TAX_TEXT: &str = "yorube:text";
const HSDS_SHEET: &str = "organizations";

fn jstr(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => normalize_newlines(s.trim()),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn jarr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn jage(v: &Value, key: &str) -> Result<Option<i64>, ()> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let f = n.as_f64().ok_or(())?;
            if f.fract() == 0.0 && (0.0..=1000.0).contains(&f) {
                Ok(Some(f as i64))
            } else {
                Err(())
            }
        }
        Some(Value::String(s)) => age_number(s),
        Some(_) => Err(()),
    }
}

fn address_text(addr: &Value) -> String {
    let a1 = jstr(addr, "address_1");
    let a2 = jstr(addr, "address_2");
    let city = jstr(addr, "city");
    let state = {
        let s = jstr(addr, "state_province");
        if s.is_empty() {
            jstr(addr, "region")
        } else {
            s
        }
    };
    let base = if (!state.is_empty() && a1.contains(&state))
        || (state.is_empty() && (city.is_empty() || a1.contains(&city)))
    {
        a1
    } else if a1.contains(&city) {
        format!("{state}{a1}")
    } else {
        format!("{state}{city}{a1}")
    };
    if a2.is_empty() {
        base
    } else {
        format!("{base} {a2}")
    }
}

fn hsds_attribute(
    attr: &Value,
    a: &mut AgencyInput,
    scenes: &mut Vec<SceneTriple>,
    row: usize,
    problems: &mut ProblemList,
) {
    let Some(term) = attr.get("taxonomy_term") else {
        return;
    };
    let mut tax = jstr(term, "taxonomy");
    if tax.is_empty() {
        tax = jstr(term, "vocabulary");
    }
    if tax.is_empty() {
        tax = term
            .get("taxonomy_detail")
            .map(|d| jstr(d, "name"))
            .unwrap_or_default();
    }
    let code = jstr(term, "code");
    let name = {
        let n = jstr(term, "name");
        if n.is_empty() {
            code.clone()
        } else {
            n
        }
    };
    let value = jstr(attr, "value");
    match tax.as_str() {
        TAX_FIELD if a.field.is_empty() => a.field = name,
        TAX_IS_NEW => a.is_new = value != "false" && code != "false",
        TAX_DISEASE => {
            let (groups, _) = parse_disease(&code);
            let (groups, unknown) = if groups.is_empty() {
                parse_disease(&name)
            } else {
                (groups, vec![])
            };
            a.disease_groups.extend(groups);
            for u in unknown {
                problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Disease.label(),
                    format!("「{u}」は疾患群として分かりません。"),
                );
            }
            a.disease_groups.sort_unstable();
            a.disease_groups.dedup();
        }
        TAX_SCENE => {
            if name.is_empty() {
                problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Scene.label(),
                    "連携場面の名前がありません。",
                );
                return;
            }
            let (method, content) = match serde_json::from_str::<Value>(&value) {
                Ok(v @ Value::Object(_)) => (jstr(&v, "method"), jstr(&v, "content")),
                _ => (String::new(), value),
            };
            scenes.push((name, method, content));
        }
        TAX_TEXT => match code.as_str() {
            "strengths" => a.strengths = value,
            "notes" => a.notes = value,
            _ => {}
        },
        _ => {}
    }
}

fn hsds_org(
    org: &Value,
    row: usize,
    problems: &mut ProblemList,
) -> Option<(AgencyInput, Vec<SceneTriple>)> {
    let name = jstr(org, "name");
    if name.is_empty() {
        problems.add(
            row,
            HSDS_SHEET,
            Col::Name.label(),
            "関係機関名（name）がないため、この機関は取り込みません。",
        );
        return None;
    }
    let mut a = AgencyInput {
        name,
        reading: jstr(org, "alternate_name"),
        overview: jstr(org, "description"),
        url: {
            let w = jstr(org, "website");
            if w.is_empty() {
                jstr(org, "url")
            } else {
                w
            }
        },
        ..Default::default()
    };
    let mut scenes = vec![];
    let mut services = vec![];
    let mut hours = vec![];
    for svc in jarr(org, "services") {
        let d = jstr(svc, "description");
        if !d.is_empty() {
            services.push(d);
        }
        if a.age_min.is_none() && a.age_max.is_none() {
            match (jage(svc, "minimum_age"), jage(svc, "maximum_age")) {
                (Ok(min), Ok(max)) => {
                    a.age_min = min;
                    a.age_max = max;
                }
                _ => problems.add(
                    row,
                    HSDS_SHEET,
                    Col::Age.label(),
                    "minimum_age / maximum_age は 0 以上の整数にしてください。",
                ),
            }
        }
        for s in jarr(svc, "schedules") {
            let d = jstr(s, "description");
            if !d.is_empty() {
                hours.push(d);
            }
        }
        for attr in jarr(svc, "attributes") {
            hsds_attribute(attr, &mut a, &mut scenes, row, problems);
        }
    }
    a.services = services.join("\n");
    for loc in jarr(org, "locations") {
        for s in jarr(loc, "schedules") {
            let d = jstr(s, "description");
            if !d.is_empty() {
                hours.push(d);
            }
        }
        if a.address.is_empty() {
            if let Some(addr) = jarr(loc, "addresses").first() {
                a.address = address_text(addr);
            }
        }
    }
    a.hours = hours.join(" ");
    for c in jarr(org, "contacts") {
        let phones = jarr(c, "phones");
        let phone = phones
            .iter()
            .map(|p| jstr(p, "number"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let best_time = phones
            .iter()
            .map(|p| jstr(p, "description"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let department = {
            let d = jstr(c, "department");
            if d.is_empty() {
                jstr(c, "title")
            } else {
                d
            }
        };
        let contact = ContactInput {
            name: jstr(c, "name"),
            department,
            phone,
            email: jstr(c, "email"),
            best_time,
        };
        if !contact.is_empty() {
            a.contacts.push(contact);
        }
    }
    if a.contacts.is_empty() {
        let phone = jarr(org, "phones")
            .iter()
            .map(|p| jstr(p, "number"))
            .find(|n| !n.is_empty())
            .unwrap_or_default();
        let contact = ContactInput {
            email: jstr(org, "email"),
            phone,
            ..Default::default()
        };
        if !contact.is_empty() {
            a.contacts.push(contact);
        }
    }
    for attr in jarr(org, "attributes") {
        hsds_attribute(attr, &mut a, &mut scenes, row, problems);
    }
    Some((a, scenes))
}

pub(super) fn read_hsds(text: &str) -> Result<ParsedFile, ImportError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::Unreadable(format!(
            "JSON（HSDS）として読み込めません（{}行目 {}文字目）。",
            e.line(),
            e.column()
        ))
    })?;
    let orgs: &[Value] =
        match &v {
            Value::Array(a) => a,
            Value::Object(o) => match o.get("organizations").or_else(|| o.get("contents")) {
                Some(Value::Array(a)) => a,
                _ if o.contains_key("name") => std::slice::from_ref(&v),
                _ => return Err(ImportError::Unreadable(
                    "HSDS の organizations が見つかりません。HSDS 3.0 の JSON を選んでください。"
                        .into(),
                )),
            },
            _ => return Err(ImportError::UnknownFormat),
        };
    let mut problems = ProblemList::default();
    let mut rows = vec![];
    let mut scenes = vec![];
    for (i, org) in orgs.iter().enumerate() {
        let row = i + 1;
        if !org.is_object() {
            problems.add(
                row,
                HSDS_SHEET,
                "",
                "organization がオブジェクトではありません。",
            );
            continue;
        }
        let before = problems.count();
        let Some((input, links)) = hsds_org(org, row, &mut problems) else {
            continue;
        };
        if problems.count() > before {
            continue;
        }
        for (scene, method, content) in links {
            scenes.push(SceneLink {
                scene,
                agency_name: input.name.clone(),
                agency_address: input.address.clone(),
                method,
                content,
            });
        }
        rows.push(ParsedRow {
            row,
            sheet: HSDS_SHEET.to_string(),
            input,
        });
    }
    if let Some(extra) = v.get("x-yorube").map(|x| jarr(x, "unlinked_scenes")) {
        for s in extra {
            if let Ok(link) = serde_json::from_value::<SceneLink>(s.clone()) {
                scenes.push(link);
            }
        }
    }
    Ok(ParsedFile {
        rows,
        scenes,
        problems: problems.finish(),
        format: "hsds",
    })
}

const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// "〒123-4567 東京都…" → ("123-4567", "東京都"), each "" when absent.
fn split_japanese_address(address: &str) -> (String, String) {
    let n = nfkc(address);
    let mut rest = n.trim();
    let mut postal = String::new();
    if let Some(r) = rest.strip_prefix('〒') {
        let code: String = r
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        postal = code.clone();
        rest = r.trim_start().get(code.len()..).unwrap_or("").trim_start();
    }
    let state = PREFECTURES
        .iter()
        .find(|p| rest.starts_with(*p))
        .map(|p| p.to_string())
        .unwrap_or_default();
    (postal, state)
}

fn taxonomy_term(tax: &str, code: &str, name: &str, description: &str) -> Value {
    json!({
        "id": format!("{tax}:{code}"),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": tax,
        "vocabulary": tax,
    })
}

fn set_nonempty(m: &mut Map<String, Value>, key: &str, v: &str) {
    if !v.is_empty() {
        m.insert(key.to_string(), Value::String(v.to_string()));
    }
}

/// Groups scene links by agency (same normalised name and address; a link without an
/// address matches the only agency of that name). Returns the groups, in agency
/// order, and the links that match no agency.
pub(super) fn group_scenes<'a>(
    agencies: &[ExportAgency],
    scenes: &'a [SceneLink],
) -> (Vec<Vec<&'a SceneLink>>, Vec<&'a SceneLink>) {
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in agencies.iter().enumerate() {
        let k = agency_key(&a.input.name, &a.input.address);
        by_name.entry(k.0.clone()).or_default().push(i);
        by_key.entry(k).or_insert(i);
    }
    let mut groups: Vec<Vec<&SceneLink>> = vec![vec![]; agencies.len()];
    let mut unlinked = vec![];
    for s in scenes {
        let k = agency_key(&s.agency_name, &s.agency_address);
        let idx = by_key
            .get(&k)
            .copied()
            .or_else(|| match by_name.get(&k.0).map(Vec::as_slice) {
                Some([only]) if k.1.is_empty() => Some(*only),
                _ => None,
            });
        match idx.and_then(|i| groups.get_mut(i)) {
            Some(g) => g.push(s),
            None => unlinked.push(s),
        }
    }
    (groups, unlinked)
}

/// HSDS 3.0 JSON: `{"hsds_version": "3.0", "organizations": [...], "x-yorube": {...}}`.
///
/// Mapping (one organization per agency; ids derived from `ExportAgency::id`):
/// * name → `name`, ふりがな → `alternate_name`, 概要 → `description`, サイト →
///   `website`, first contact e-mail/phone → `email` / `phones` (informative only).
/// * One service (`{id}-service`, status "active"): 支援内容 → `description`,
///   対象年齢 → `minimum_age`/`maximum_age`, 開所時間 → `schedules[0].description`,
///   and a human-readable `eligibility_description` (対象疾患群・対象年齢; derived,
///   ignored on import).
/// * 所在地 → one physical location with one address: the whole address in
///   `address_1`, `state_province` (都道府県) and `postal_code` (〒) when they can be
///   read from it, `city` "" (not split: Japanese addresses are not reliably
///   splittable), `country` "JP".
/// * Contacts → `contacts[]` (name, department, email) with one phone whose
///   `description` is 連絡しやすい時間 (number "" when only the time is known).
/// * Organization `attributes` with `taxonomy_term.taxonomy` (and the HSDS 2
///   `vocabulary`, same value): `yorube:field` (分野, code = name), `yorube:is_new`
///   (present only when 新規, code "new"), `yorube:disease_group` (code "1".."16",
///   name = 疾患群名), `yorube:scene` (code/name = 連携場面, `value` = JSON string
///   `{"method": 連携方法, "content": 連携内容}`), `yorube:text` (code "strengths" /
///   "notes", `value` = 強み / 備考 — HSDS has no field for these).
/// * Scene links whose agency is not among `agencies` go to
///   `x-yorube.unlinked_scenes` (as SceneLink objects).
pub fn write_hsds(agencies: &[ExportAgency], scenes: &[SceneLink], tenant_name: &str) -> Value {
    let (groups, unlinked) = group_scenes(agencies, scenes);
    let orgs: Vec<Value> = agencies
        .iter()
        .zip(groups)
        .enumerate()
        .map(|(i, (a, links))| hsds_org_json(a, i, &links))
        .collect();
    let mut extra = Map::new();
    extra.insert("tenant".into(), Value::String(tenant_name.to_string()));
    extra.insert("generator".into(), Value::String("yorube".into()));
    if !unlinked.is_empty() {
        extra.insert("unlinked_scenes".into(), json!(unlinked));
    }
    json!({
        "hsds_version": "3.0",
        "organizations": orgs,
        "x-yorube": Value::Object(extra),
    })
}

/// The same document as `write_hsds`, serialised (compact) one organization at a
/// time: for large registries it needs a fraction of the memory and time of
/// building the whole `Value` first.
pub fn write_hsds_bytes(
    agencies: &[ExportAgency],
    scenes: &[SceneLink],
    tenant_name: &str,
) -> Vec<u8> {
    let (groups, unlinked) = group_scenes(agencies, scenes);
    let mut out = Vec::with_capacity(agencies.len() * 2048 + 256);
    out.extend_from_slice(b"{\"hsds_version\":\"3.0\",\"organizations\":[");
    for (i, (a, links)) in agencies.iter().zip(groups).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail, and a Value always serialises.
        let _ = serde_json::to_writer(&mut out, &hsds_org_json(a, i, &links));
    }
    out.extend_from_slice(b"],\"x-yorube\":");
    let mut extra = Map::new();
    extra.insert("tenant".into(), Value::String(tenant_name.to_string()));
    extra.insert("generator".into(), Value::String("yorube".into()));
    if !unlinked.is_empty() {
        extra.insert("unlinked_scenes".into(), json!(unlinked));
    }
    let _ = serde_json::to_writer(&mut out, &Value::Object(extra));
    out.push(b'}');
    out
}

fn hsds_org_json(e: &ExportAgency, index: usize, links: &[&SceneLink]) -> Value {
    let a = &e.input;
    let id = if e.id.trim().is_empty() {
        format!("org-{}", index + 1)
    } else {
        e.id.clone()
    };
    let mut org = Map::new();
    org.insert("id".into(), json!(id));
    org.insert("name".into(), json!(a.name));
    set_nonempty(&mut org, "alternate_name", &a.reading);
    org.insert("description".into(), json!(a.overview));
    set_nonempty(&mut org, "website", &a.url);
    if let Some(email) = a
        .contacts
        .iter()
        .map(|c| c.email.as_str())
        .find(|e| !e.is_empty())
    {
        org.insert("email".into(), json!(email));
    }

    // Service
    let service_id = format!("{id}-service");
    let mut svc = Map::new();
    svc.insert("id".into(), json!(service_id));
    svc.insert("organization_id".into(), json!(id));
    svc.insert("name".into(), json!(a.name));
    svc.insert("description".into(), json!(a.services));
    svc.insert("status".into(), json!("active"));
    if let Some(n) = a.age_min {
        svc.insert("minimum_age".into(), json!(n));
    }
    if let Some(n) = a.age_max {
        svc.insert("maximum_age".into(), json!(n));
    }
    let mut eligibility = vec![];
    if !a.disease_groups.is_empty() {
        eligibility.push(format!("対象疾患群: {}", format_disease(&a.disease_groups)));
    }
    if a.age_min.is_some() || a.age_max.is_some() {
        eligibility.push(format!("対象年齢: {}", format_age(a.age_min, a.age_max)));
    }
    if !eligibility.is_empty() {
        svc.insert(
            "eligibility_description".into(),
            json!(eligibility.join(" / ")),
        );
    }
    if !a.hours.is_empty() {
        svc.insert("schedules".into(), json!([{ "id": format!("{id}-schedule"), "service_id": service_id, "description": a.hours }]));
    }
    org.insert("services".into(), json!([Value::Object(svc)]));

    // Location
    if !a.address.is_empty() {
        let loc_id = format!("{id}-location");
        let (postal, state) = split_japanese_address(&a.address);
        org.insert(
            "locations".into(),
            json!([{
                "id": loc_id,
                "organization_id": id,
                "location_type": "physical",
                "name": a.name,
                "addresses": [{
                    "id": format!("{id}-address"),
                    "location_id": loc_id,
                    "address_1": a.address,
                    "city": "",
                    "state_province": state,
                    "postal_code": postal,
                    "country": "JP",
                    "address_type": "physical",
                }],
            }]),
        );
    }

    // Contacts
    let contacts: Vec<Value> = a
        .contacts
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let cid = format!("{id}-contact-{}", n + 1);
            let mut m = Map::new();
            m.insert("id".into(), json!(cid));
            m.insert("organization_id".into(), json!(id));
            set_nonempty(&mut m, "name", &c.name);
            set_nonempty(&mut m, "department", &c.department);
            set_nonempty(&mut m, "email", &c.email);
            if !c.phone.is_empty() || !c.best_time.is_empty() {
                let mut p = Map::new();
                p.insert("id".into(), json!(format!("{cid}-phone")));
                p.insert("contact_id".into(), json!(cid));
                p.insert("number".into(), json!(c.phone));
                set_nonempty(&mut p, "description", &c.best_time);
                m.insert("phones".into(), json!([Value::Object(p)]));
            }
            Value::Object(m)
        })
        .collect();
    if let Some(phone) = a
        .contacts
        .iter()
        .map(|c| c.phone.as_str())
        .find(|p| !p.is_empty())
    {
        org.insert("phones".into(), json!([{ "id": format!("{id}-phone"), "organization_id": id, "number": phone, "description": "窓口" }]));
    }
    org.insert("contacts".into(), json!(contacts));

    // Attributes
    let mut attrs: Vec<Value> = vec![];
    let mut attr = |link_type: &str, term: Value, value: Option<String>| {
        let mut m = Map::new();
        m.insert("id".into(), json!(format!("{id}-attr-{}", attrs.len() + 1)));
        m.insert("link_id".into(), json!(id));
        m.insert("link_type".into(), json!(link_type));
        m.insert("link_entity".into(), json!("organization"));
        m.insert(
            "taxonomy_term_id".into(),
            term.get("id").cloned().unwrap_or(Value::Null),
        );
        m.insert("taxonomy_term".into(), term);
        if let Some(v) = value {
            m.insert("value".into(), json!(v));
        }
        attrs.push(Value::Object(m));
    };
    if !a.field.is_empty() {
        attr(
            "category",
            taxonomy_term(TAX_FIELD, &a.field, &a.field, "分野"),
            None,
        );
    }
    if a.is_new {
        attr(
            "status",
            taxonomy_term(
                TAX_IS_NEW,
                "new",
                "新規の関係機関",
                "まだ連携していない、新たに見つけた関係機関",
            ),
            None,
        );
    }
    for g in &a.disease_groups {
        let label = disease_group_label(*g);
        attr(
            "eligibility",
            taxonomy_term(
                TAX_DISEASE,
                &g.to_string(),
                if label.is_empty() { "?" } else { label },
                "対象疾患群",
            ),
            None,
        );
    }
    for (code, name, v) in [
        ("strengths", "強み", &a.strengths),
        ("notes", "備考", &a.notes),
    ] {
        if !v.is_empty() {
            attr(
                "note",
                taxonomy_term(TAX_TEXT, code, name, name),
                Some(v.clone()),
            );
        }
    }
    for l in links {
        let value = json!({ "method": l.method, "content": l.content }).to_string();
        attr(
            "collaboration",
            taxonomy_term(TAX_SCENE, &l.scene, &l.scene, "連携場面"),
            Some(value),
        );
    }
    org.insert("attributes".into(), json!(attrs));
    Value::Object(org)
}
