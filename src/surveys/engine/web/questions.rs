//! `/surveys/{id}/questions`: the question builder. Each change (add or edit a question,
//! move it up or down, delete it, add a section, or replace the whole definition as
//! JSON) is one POST that names the version it started from; the new definition is
//! checked whole (`def::check`) and saved with `store::set_definition`, which makes a new
//! version once answers exist. A refusal shows the page again with what was typed.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::error::FieldError;
use crate::surveys::engine::def::{Choice, Condition, Definition, Item, Kind, Section};
use crate::surveys::engine::store::{self, Survey};
use crate::web::form::{Form, Opt, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ChangeForm {
    op: String,
    version: i64,
    /// the item the op is about (move, delete, edit)
    key: String,
    // the item form
    orig: String,
    section: String,
    new_section: String,
    kind: String,
    text: String,
    hint: String,
    required: Option<String>,
    options: String,
    other: Option<String>,
    min: String,
    max: String,
    unit: String,
    when_item: String,
    when_is: String,
    json: String,
}

pub(super) struct ItemRow {
    pub n: usize,
    pub key: String,
    pub text: String,
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<(String, String)>,
    pub when: String,
    pub first: bool,
    pub last: bool,
}

pub(super) struct SectionRow {
    pub index: usize,
    pub title: String,
    pub items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "surveys/engine/questions.html")]
struct QuestionsPage {
    page: Page,
    s: Survey,
    sections: Vec<SectionRow>,
    section_opts: Vec<Opt>,
    kinds: Vec<Opt>,
    choice_items: Vec<Opt>,
    form: ChangeForm,
    json: String,
    editing: bool,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct EditQuery {
    edit: Option<String>,
    done: Option<String>,
}

fn rows(def: &Definition) -> Vec<SectionRow> {
    let total = def.items().count();
    let mut n = 0;
    def.sections
        .iter()
        .enumerate()
        .map(|(si, s)| SectionRow {
            index: si,
            title: s.title.clone(),
            items: s
                .items
                .iter()
                .map(|it| {
                    n += 1;
                    ItemRow {
                        n,
                        key: it.key.clone(),
                        text: it.text.clone(),
                        kind: it.kind.label(),
                        required: it.required,
                        options: it.choices().into_iter().map(|c| (c.key, c.label)).collect(),
                        when: it
                            .when
                            .as_ref()
                            .map(|w| format!("「{}」が {} のとき", w.item, w.is.join("・")))
                            .unwrap_or_default(),
                        first: n == 1,
                        last: n == total,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The item form filled from an existing item.
fn form_of(def: &Definition, key: &str) -> Option<ChangeForm> {
    let (si, it) = def
        .sections
        .iter()
        .enumerate()
        .find_map(|(i, s)| s.items.iter().find(|x| x.key == key).map(|x| (i, x)))?;
    Some(ChangeForm {
        op: "save".into(),
        orig: it.key.clone(),
        key: it.key.clone(),
        section: si.to_string(),
        kind: it.kind.as_str().into(),
        text: it.text.clone(),
        hint: it.hint.clone(),
        required: it.required.then(|| "1".into()),
        options: it
            .options
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other: it.options.last().filter(|c| c.other).map(|_| "1".into()),
        min: it.min.map(|v| v.to_string()).unwrap_or_default(),
        max: it.max.map(|v| v.to_string()).unwrap_or_default(),
        unit: it.unit.clone(),
        when_item: it.when.as_ref().map(|w| w.item.clone()).unwrap_or_default(),
        when_is: it.when.as_ref().map(|w| w.is.join(",")).unwrap_or_default(),
        ..ChangeForm::default()
    })
}

async fn view(
    st: &AppState,
    a: &Auth,
    id: &str,
    form: Option<ChangeForm>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, id).await.page_err(a)?;
    let def = s.definition.clone().ok_or(AppError::NotFound).page_err(a)?;
    let editing = form.as_ref().is_some_and(|f| !f.orig.is_empty());
    let mut form = form.unwrap_or_default();
    form.version = s.version;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let json = if form.op == "json" && !form.json.is_empty() {
        form.json.clone()
    } else {
        serde_json::to_string_pretty(&def).unwrap_or_default()
    };
    Ok(render_status(
        status,
        &QuestionsPage {
            page: Page::for_auth(format!("質問（{}）", s.title), a).notice(notice),
            sections: rows(&def),
            section_opts: def
                .sections
                .iter()
                .enumerate()
                .map(|(i, x)| Opt {
                    value: i.to_string(),
                    label: x.title.clone(),
                    selected: form.section == i.to_string(),
                })
                .collect(),
            kinds: Kind::ALL
                .iter()
                .map(|k| Opt {
                    value: k.as_str().into(),
                    label: k.label().into(),
                    selected: form.kind == k.as_str(),
                })
                .collect(),
            choice_items: def
                .items()
                .filter(|i| matches!(i.kind, Kind::Single | Kind::Multi))
                .map(|i| Opt {
                    value: i.key.clone(),
                    label: format!(
                        "{}（{}）",
                        crate::surveys::engine::answers::short(&i.text),
                        i.key
                    ),
                    selected: form.when_item == i.key,
                })
                .collect(),
            json,
            editing,
            form,
            errors,
            s,
        },
    ))
}

pub(super) async fn page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> PageResult {
    let form = match &q.edit {
        Some(k) => {
            let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
            s.definition.as_ref().and_then(|d| form_of(d, k))
        }
        None => None,
    };
    let notice = q.done.as_deref().map(|d| match d {
        "new_version" => "保存しました。回答がある版は残し、新しい版にしました（これからの回答は新しい版に入ります）。".to_string(),
        _ => "保存しました。".to_string(),
    });
    view(&st, &a, &id, form, vec![], notice).await
}

fn bad(field: &str, m: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError::new(field, m)]
}

fn int(field: &str, label: &str, s: &str) -> Result<Option<i64>, Vec<FieldError>> {
    let t = crate::text::nfkc(s.trim());
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>()
        .map(Some)
        .map_err(|_| bad(field, format!("{label}は整数で入れてください。")))
}

/// The item the form describes (keys of options kept where their words are unchanged).
fn item_of(f: &ChangeForm, def: &Definition) -> Result<Item, Vec<FieldError>> {
    let kind = Kind::parse(&f.kind).ok_or_else(|| bad("kind", "質問の形を選んでください。"))?;
    let old = def.item(&f.orig);
    let mut key = f.key.trim().to_string();
    if key.is_empty() {
        key = old.map(|o| o.key.clone()).unwrap_or_else(|| {
            (1..)
                .map(|i| format!("q{i}"))
                .find(|k| def.item(k).is_none())
                .unwrap_or_default()
        });
    }
    let labels: Vec<&str> = f
        .options
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut options: Vec<Choice> = vec![];
    if kind.has_options() {
        let mut next = 1;
        for l in &labels {
            let keep = old
                .and_then(|o| o.options.iter().find(|c| c.label == *l))
                .map(|c| c.key.clone());
            let k = keep.unwrap_or_else(|| loop {
                let k = next.to_string();
                next += 1;
                let taken = options.iter().any(|c| c.key == k)
                    || old.is_some_and(|o| {
                        o.options
                            .iter()
                            .any(|c| c.key == k && !labels.contains(&c.label.as_str()))
                    });
                if !taken {
                    break k;
                }
            });
            options.push(Choice {
                key: k,
                label: l.to_string(),
                other: false,
            });
        }
        if f.other.is_some() {
            if let Some(last) = options.last_mut() {
                last.other = true;
            }
        }
    }
    let when = if f.when_item.trim().is_empty() {
        None
    } else {
        let is: Vec<String> = crate::text::nfkc(&f.when_is)
            .split([',', '、', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Some(Condition {
            item: f.when_item.trim().to_string(),
            is,
        })
    };
    let is_num = kind == Kind::Number;
    Ok(Item {
        key,
        kind,
        text: f.text.trim().to_string(),
        hint: f.hint.trim().to_string(),
        required: f.required.is_some(),
        options,
        min: if is_num {
            int("min", "最小値", &f.min)?
        } else {
            None
        },
        max: if is_num {
            int("max", "最大値", &f.max)?
        } else {
            None
        },
        unit: if is_num {
            f.unit.trim().to_string()
        } else {
            String::new()
        },
        when,
    })
}

fn position(def: &Definition, key: &str) -> Option<(usize, usize)> {
    def.sections
        .iter()
        .enumerate()
        .find_map(|(si, s)| s.items.iter().position(|i| i.key == key).map(|ii| (si, ii)))
}

/// The definition after the change `f`.
fn apply(mut def: Definition, f: &ChangeForm) -> Result<Definition, Vec<FieldError>> {
    match f.op.as_str() {
        "up" | "down" => {
            let (si, ii) = position(&def, &f.key).ok_or_else(|| {
                bad(
                    "key",
                    "その質問は見つかりません。画面を開き直してください。",
                )
            })?;
            let it = def.sections[si].items.remove(ii);
            if f.op == "up" {
                if ii > 0 {
                    def.sections[si].items.insert(ii - 1, it);
                } else if si > 0 {
                    def.sections[si - 1].items.push(it);
                } else {
                    def.sections[si].items.insert(0, it);
                }
            } else if ii < def.sections[si].items.len() {
                def.sections[si].items.insert(ii + 1, it);
            } else if si + 1 < def.sections.len() {
                def.sections[si + 1].items.insert(0, it);
            } else {
                def.sections[si].items.push(it);
            }
        }
        "delete" => {
            let (si, ii) = position(&def, &f.key).ok_or_else(|| {
                bad(
                    "key",
                    "その質問は見つかりません。画面を開き直してください。",
                )
            })?;
            def.sections[si].items.remove(ii);
            if let Some(d) = def
                .items()
                .find(|i| i.when.as_ref().is_some_and(|w| w.item == f.key))
            {
                return Err(bad("key", format!("「{}」は、この質問の答えで表示が決まります。先にその条件を外してください。", crate::surveys::engine::answers::short(&d.text))));
            }
        }
        "section" => {
            let t = f.new_section.trim();
            if t.is_empty() {
                return Err(bad("new_section", "区分の見出しを入れてください。"));
            }
            def.sections.push(Section {
                title: t.to_string(),
                note: String::new(),
                items: vec![],
            });
        }
        "delete_section" => {
            let i: usize = f
                .section
                .parse()
                .map_err(|_| bad("section", "区分が見つかりません。"))?;
            match def.sections.get(i) {
                Some(s) if s.items.is_empty() && def.sections.len() > 1 => {
                    def.sections.remove(i);
                }
                _ => {
                    return Err(bad(
                        "section",
                        "質問が残っている区分や、最後の一つの区分は消せません。",
                    ))
                }
            }
        }
        "json" => {
            def = Definition::parse(&f.json)?;
        }
        "save" => {
            let item = item_of(f, &def)?;
            let target: usize = f
                .section
                .parse()
                .unwrap_or(def.sections.len().saturating_sub(1));
            if target >= def.sections.len() {
                return Err(bad("section", "区分を選んでください。"));
            }
            if !f.orig.is_empty()
                && item.key != f.orig
                && def
                    .items()
                    .any(|i| i.when.as_ref().is_some_and(|w| w.item == f.orig))
            {
                return Err(bad(
                    "key",
                    "ほかの質問の表示の条件に使われているので、項目キーは変えられません。",
                ));
            }
            match position(&def, &f.orig).filter(|_| !f.orig.is_empty()) {
                Some((si, ii)) if si == target => def.sections[si].items[ii] = item,
                Some((si, ii)) => {
                    def.sections[si].items.remove(ii);
                    def.sections[target].items.push(item);
                }
                None => {
                    if def.item(&item.key).is_some() {
                        return Err(bad(
                            "key",
                            format!("項目キー「{}」はもう使われています。", item.key),
                        ));
                    }
                    def.sections[target].items.push(item);
                }
            }
        }
        _ => {
            return Err(bad(
                "op",
                "何をするかが読み取れません。画面を開き直してください。",
            ))
        }
    }
    def.check()?;
    Ok(def)
}

pub(super) async fn change(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> PageResult {
    let s = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let def = s
        .definition
        .clone()
        .ok_or(AppError::NotFound)
        .page_err(&a)?;
    if f.version != s.version {
        let e = bad("version", "ほかの人がこの調査の質問を変えました。いまの質問を確かめてから、もう一度操作してください。");
        return view(&st, &a, &id, Some(f), e, None).await;
    }
    let new = match apply(def, &f) {
        Ok(d) => d,
        Err(e) => return view(&st, &a, &id, Some(f), e, None).await,
    };
    match store::set_definition(&st.db, &a.ctx, &id, f.version, &new).await {
        Ok(v) => {
            let done = if v > s.version {
                "new_version"
            } else {
                "saved"
            };
            Ok(Redirect::to(&format!("/surveys/{id}/questions?done={done}")).into_response())
        }
        Err(AppError::Validation(e)) => view(&st, &a, &id, Some(f), e, None).await,
        Err(AppError::Conflict(m)) => view(&st, &a, &id, Some(f), bad("version", m), None).await,
        Err(e) => Err(e).page_err(&a),
    }
}
