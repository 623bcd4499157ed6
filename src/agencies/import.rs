//! Importing a file into the registry: read (io), check every row (model), find
//! duplicates, keep the result as a preview batch, then commit all rows or none.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::io::{self, ImportError, Problem};
use super::model::{self, AgencyInput};
use super::store::{self, bump, dedup_key, new_id};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::AppResult;
use crate::{time, AppError};

/// One checked row waiting to be committed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyRow {
    pub row: usize,
    pub sheet: String,
    pub input: AgencyInput,
    /// Set when the row has the same name and address as an agency already registered.
    pub existing_id: Option<String>,
    /// Set when an earlier row of the file has the same name and address.
    pub same_as_row: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadyLink {
    pub scene: String,
    pub agency_name: String,
    pub agency_address: String,
    pub method: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProblemOut {
    pub row: usize,
    pub sheet: String,
    pub column: String,
    pub message: String,
}

impl From<&Problem> for ProblemOut {
    fn from(p: &Problem) -> Self {
        ProblemOut {
            row: p.row,
            sheet: p.sheet.clone(),
            column: p.column.clone(),
            message: p.message.clone(),
        }
    }
}

/// What the user sees before committing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preview {
    pub batch_id: String,
    pub filename: String,
    pub format: String,
    pub rows: Vec<ReadyRow>,
    pub links: Vec<ReadyLink>,
    pub problems: Vec<ProblemOut>,
    /// Rows whose agency is already registered (name and address).
    pub duplicates_existing: usize,
    /// Rows repeating an earlier row of the same file.
    pub duplicates_in_file: usize,
}

impl Preview {
    pub fn format_label(&self) -> &'static str {
        match self.format.as_str() {
            "xlsx" => "Excel（.xlsx）",
            "csv-utf8" => "CSV（UTF-8）",
            "csv-sjis" => "CSV（Shift_JIS）",
            "hsds" => "HSDS 3.0（JSON）",
            _ => "",
        }
    }

    pub fn invalid_rows(&self) -> usize {
        let mut rows: Vec<usize> = self
            .problems
            .iter()
            .filter(|p| p.row > 0)
            .map(|p| p.row)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }
}

pub fn import_error(e: ImportError) -> AppError {
    AppError::invalid("file", e.to_string())
}

/// Reads and checks a file. Nothing is written to the registry; the checked rows are
/// kept as a batch for `commit`.
pub async fn preview(db: &Db, ctx: &Ctx, filename: &str, bytes: &[u8]) -> AppResult<Preview> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let t = ctx.tenant()?.clone();
    if bytes.len() > io::MAX_BYTES {
        return Err(import_error(ImportError::TooLarge));
    }
    let parsed = io::read_agencies(bytes, filename).map_err(import_error)?;
    let fields = store::fields(db, ctx).await?;
    let scenes: Vec<String> = store::scenes(db, ctx)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let mut problems: Vec<ProblemOut> = parsed.problems.iter().map(ProblemOut::from).collect();
    let existing: HashMap<String, String> = sqlx::query(
        "SELECT id, dedup_key FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL",
    )
    .bind(&t)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| -> AppResult<(String, String)> { Ok((r.try_get("dedup_key")?, r.try_get("id")?)) })
    .collect::<AppResult<_>>()?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = vec![];
    let (mut dup_existing, mut dup_file) = (0, 0);
    for r in &parsed.rows {
        match model::validate(&r.input, &fields) {
            Ok(input) => {
                let key = dedup_key(&input);
                let existing_id = existing.get(&key).cloned();
                let same_as_row = seen.get(&key).copied();
                if existing_id.is_some() {
                    dup_existing += 1;
                }
                if same_as_row.is_some() {
                    dup_file += 1;
                } else {
                    seen.insert(key, r.row);
                }
                rows.push(ReadyRow {
                    row: r.row,
                    sheet: r.sheet.clone(),
                    input,
                    existing_id,
                    same_as_row,
                });
            }
            Err(errs) => {
                for e in errs {
                    if problems.len() < io::MAX_PROBLEMS {
                        problems.push(ProblemOut {
                            row: r.row,
                            sheet: r.sheet.clone(),
                            column: io::column_label(e.field.split('[').next().unwrap_or(""))
                                .to_string(),
                            message: e.message,
                        });
                    }
                }
            }
        }
    }
    // Scene links must name a registered scene and an agency of the file or the registry.
    let names: std::collections::HashSet<String> = rows
        .iter()
        .map(|r| crate::text::search_key(&r.input.name))
        .chain(
            existing
                .keys()
                .map(|k| k.split('\u{1f}').next().unwrap_or("").to_string()),
        )
        .collect();
    let mut links = vec![];
    for l in &parsed.scenes {
        let scene = crate::text::clean(&l.scene);
        if !scenes.contains(&scene) {
            problems.push(ProblemOut {
                row: 0,
                sheet: "連携場面".into(),
                column: "連携場面".into(),
                message: format!("連携場面「{scene}」は登録されていません（{}）。先に連携場面の一覧に追加してください。", scenes.join("・")),
            });
            continue;
        }
        if !names.contains(&crate::text::search_key(&l.agency_name)) {
            problems.push(ProblemOut {
                row: 0,
                sheet: "連携場面".into(),
                column: "関係機関名".into(),
                message: format!(
                    "連携場面「{scene}」の関係機関「{}」が一覧にありません。",
                    l.agency_name
                ),
            });
            continue;
        }
        for (label, v) in [("連携方法", &l.method), ("連携内容", &l.content)] {
            if let Some(m) = model::unsafe_text(v) {
                problems.push(ProblemOut {
                    row: 0,
                    sheet: "連携場面".into(),
                    column: label.into(),
                    message: m.into(),
                });
            }
        }
        links.push(ReadyLink {
            scene,
            agency_name: crate::text::clean(&l.agency_name),
            agency_address: crate::text::clean(&l.agency_address),
            method: crate::text::clean(&l.method),
            content: l.content.trim().to_string(),
        });
    }
    if problems.len() > io::MAX_PROBLEMS {
        let more = problems.len() - io::MAX_PROBLEMS;
        problems.truncate(io::MAX_PROBLEMS);
        problems.push(ProblemOut {
            row: 0,
            sheet: String::new(),
            column: String::new(),
            message: format!("ほか {more} 件の問題があります。"),
        });
    }
    let preview = Preview {
        batch_id: new_id(),
        filename: filename.chars().take(200).collect(),
        format: parsed.format.to_string(),
        rows,
        links,
        problems,
        duplicates_existing: dup_existing,
        duplicates_in_file: dup_file,
    };
    let payload = serde_json::to_string(&preview).map_err(|e| AppError::Internal(e.into()))?;
    // Old previews of this user are dropped; only the newest can be committed.
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM import_batches WHERE tenant_id = $1 AND user_id = $2")
        .bind(&t)
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO import_batches (id, tenant_id, user_id, created_at, filename, payload, status) VALUES ($1, $2, $3, $4, $5, $6, 'preview')")
        .bind(&preview.batch_id)
        .bind(&t)
        .bind(&ctx.user_id)
        .bind(time::now_db())
        .bind(&preview.filename)
        .bind(&payload)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(preview)
}

pub async fn load_batch(db: &Db, ctx: &Ctx, batch_id: &str) -> AppResult<Preview> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let payload: Option<String> = sqlx::query_scalar(
        "SELECT payload FROM import_batches WHERE id = $1 AND tenant_id = $2 AND user_id = $3 AND status = 'preview'",
    )
    .bind(batch_id)
    .bind(ctx.tenant()?)
    .bind(&ctx.user_id)
    .fetch_optional(&db.pool)
    .await?;
    let payload = payload.ok_or(AppError::NotFound)?;
    serde_json::from_str(&payload).map_err(|e| AppError::Internal(e.into()))
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Outcome {
    pub created: usize,
    pub merged: usize,
    pub skipped_duplicates: usize,
    pub skipped_invalid: usize,
    pub scene_links: usize,
}

/// Commits a previewed batch: all rows or none. With problems it refuses unless
/// `skip_invalid`; duplicates are skipped unless `merge_duplicates`, which updates the
/// registered agency (or the earlier row) with the row's values.
pub async fn commit(
    db: &Db,
    ctx: &Ctx,
    batch_id: &str,
    merge_duplicates: bool,
    skip_invalid: bool,
) -> AppResult<Outcome> {
    let p = load_batch(db, ctx, batch_id).await?;
    let t = ctx.tenant()?.clone();
    if !p.problems.is_empty() && !skip_invalid {
        return Err(AppError::Conflict(format!(
            "{} 件の問題があるため取り込めません。ファイルを直してから、もう一度取り込んでください。",
            p.problems.len()
        )));
    }
    let mut out = Outcome {
        skipped_invalid: p.invalid_rows(),
        ..Default::default()
    };
    let now = time::now_db();
    // Decide each row: new agency, merge into a registered one, or skip.
    let mut creates: Vec<(String, AgencyInput)> = vec![];
    let mut create_index: HashMap<usize, usize> = HashMap::new();
    let mut merges: Vec<(String, AgencyInput)> = vec![];
    for r in &p.rows {
        match (&r.existing_id, r.same_as_row) {
            (Some(id), _) if merge_duplicates => {
                merges.push((id.clone(), r.input.clone()));
                out.merged += 1;
            }
            (None, Some(first)) if merge_duplicates => {
                if let Some(i) = create_index.get(&first).copied() {
                    merge_into(&mut creates[i].1, &r.input);
                    out.merged += 1;
                }
            }
            (Some(_), _) | (None, Some(_)) => out.skipped_duplicates += 1,
            (None, None) => {
                create_index.insert(r.row, creates.len());
                creates.push((new_id(), r.input.clone()));
            }
        }
    }
    let mut tx = db.begin_write().await?;
    bump(&mut tx, &t).await?;
    let mut agency_rows = Vec::with_capacity(creates.len());
    let mut contact_rows = vec![];
    let mut history_rows = Vec::with_capacity(creates.len());
    for (id, a) in &creates {
        agency_rows.push(store::agency_row_for_import(&t, id, a, &now));
        contact_rows.extend(store::contact_rows_for_import(&t, id, a));
        history_rows.push(store::history_row_for_import(
            &t, id, 1, "import", &ctx.login, a, &now,
        ));
    }
    store::insert_agencies(&mut tx, agency_rows, contact_rows, history_rows).await?;
    out.created = creates.len();
    for (id, incoming) in merges {
        let current = store::load_input(&mut tx, &t, &id).await?;
        let mut merged = current.clone();
        merge_into(&mut merged, &incoming);
        if merged != current {
            store::apply_update_pub(&mut tx, ctx, &t, &id, &merged, "import_merge").await?;
        }
    }
    // Scene links by agency name (and address when given).
    if !p.links.is_empty() {
        let scene_ids: HashMap<String, String> =
            sqlx::query("SELECT id, name FROM scenes WHERE tenant_id = $1")
                .bind(&t)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| -> AppResult<(String, String)> {
                    Ok((r.try_get("name")?, r.try_get("id")?))
                })
                .collect::<AppResult<_>>()?;
        let agencies: Vec<(String, String, String)> = sqlx::query(
            "SELECT id, name, address FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL",
        )
        .bind(&t)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| -> AppResult<(String, String, String)> {
            Ok((
                r.try_get("id")?,
                crate::text::search_key(r.try_get::<String, _>("name")?.as_str()),
                crate::text::search_key(r.try_get::<String, _>("address")?.as_str()),
            ))
        })
        .collect::<AppResult<_>>()?;
        for l in &p.links {
            let name = crate::text::search_key(&l.agency_name);
            let addr = crate::text::search_key(&l.agency_address);
            let agency = agencies
                .iter()
                .find(|(_, n, a)| *n == name && (addr.is_empty() || *a == addr))
                .or_else(|| agencies.iter().find(|(_, n, _)| *n == name));
            if let (Some(scene_id), Some((agency_id, _, _))) = (scene_ids.get(&l.scene), agency) {
                sqlx::query(
                    "INSERT INTO agency_scenes (tenant_id, scene_id, agency_id, method, content) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (scene_id, agency_id) DO UPDATE SET method = excluded.method, content = excluded.content",
                )
                .bind(&t)
                .bind(scene_id)
                .bind(agency_id)
                .bind(&l.method)
                .bind(&l.content)
                .execute(&mut *tx)
                .await?;
                out.scene_links += 1;
            }
        }
    }
    sqlx::query(
        "UPDATE import_batches SET status = 'committed', payload = '' WHERE id = $1 AND tenant_id = $2",
    )
    .bind(batch_id)
    .bind(&t)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.import", "import_batch", batch_id).detail(&format!(
            "{}: 新規{} 統合{} 重複スキップ{} 連携場面{}",
            p.filename, out.created, out.merged, out.skipped_duplicates, out.scene_links
        )),
    )
    .await?;
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    if out.created + out.merged > 1000 {
        db.optimize().await?;
    }
    Ok(out)
}

/// Merging a duplicate: non-empty values of the incoming row replace the registered
/// ones; contacts not yet listed are added; disease groups are united.
pub fn merge_into(base: &mut AgencyInput, incoming: &AgencyInput) {
    fn take(dst: &mut String, src: &str) {
        if !src.is_empty() {
            *dst = src.to_string();
        }
    }
    take(&mut base.field, &incoming.field);
    take(&mut base.reading, &incoming.reading);
    take(&mut base.overview, &incoming.overview);
    take(&mut base.url, &incoming.url);
    take(&mut base.services, &incoming.services);
    take(&mut base.strengths, &incoming.strengths);
    take(&mut base.hours, &incoming.hours);
    take(&mut base.notes, &incoming.notes);
    base.is_new = incoming.is_new;
    for g in &incoming.disease_groups {
        if !base.disease_groups.contains(g) {
            base.disease_groups.push(*g);
        }
    }
    base.disease_groups.sort_unstable();
    if incoming.age_min.is_some() {
        base.age_min = incoming.age_min;
    }
    if incoming.age_max.is_some() {
        base.age_max = incoming.age_max;
    }
    for c in &incoming.contacts {
        if !base.contacts.contains(c) {
            base.contacts.push(c.clone());
        }
    }
}

/// Reads, checks and commits in one go (CLI and tests). On problems, nothing is
/// written and the problems are returned.
pub async fn import_file(
    db: &Db,
    ctx: &Ctx,
    filename: &str,
    bytes: &[u8],
    merge: bool,
    skip_invalid: bool,
) -> AppResult<(Preview, Result<Outcome, AppError>)> {
    let p = preview(db, ctx, filename, bytes).await?;
    let res = commit(db, ctx, &p.batch_id, merge, skip_invalid).await;
    Ok((p, res))
}

pub fn problem_lines(p: &Preview) -> Vec<String> {
    p.problems
        .iter()
        .map(|x| {
            let mut s = String::new();
            if !x.sheet.is_empty() {
                s.push_str(&format!("[{}] ", x.sheet));
            }
            if x.row > 0 {
                s.push_str(&format!("{}行目 ", x.row));
            }
            if !x.column.is_empty() {
                s.push_str(&format!("「{}」: ", x.column));
            }
            s.push_str(&x.message);
            s
        })
        .collect()
}
