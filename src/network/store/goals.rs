//! The tenant's collaboration goals (連携目的): あるべき姿, the troubles seen (as-is), the
//! purposes with their indicators, and the hub (中核機関) with its key people. Each save
//! is a new version; earlier versions are kept.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_list, new_id, reader, writer};
use crate::audit::{self, Entry};
use crate::auth::Ctx;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::check_texts;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AsIs {
    #[serde(default)]
    pub text: String,
    /// Where this trouble was seen: a survey finding or a case (free text or id).
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Purpose {
    #[serde(default)]
    pub text: String,
    /// The indicator that shows progress (e.g. 欠席日数の変化).
    #[serde(default)]
    pub indicator: String,
    #[serde(default)]
    pub target: String,
    /// The computed figure the indicator is tied to (`model::MEASURES`), or "".
    #[serde(default)]
    pub measure: String,
    /// Where the figure stood when the purpose was set (e.g. 12日).
    #[serde(default)]
    pub baseline: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct GoalsInput {
    /// あるべき姿, one per line.
    #[serde(default)]
    pub to_be: Vec<String>,
    #[serde(default)]
    pub as_is: Vec<AsIs>,
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    #[serde(default)]
    pub hub_agency_id: Option<String>,
    /// 中核機関のキーマン.
    #[serde(default)]
    pub hub_people: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Goals {
    pub id: String,
    pub version: i64,
    #[serde(flatten)]
    pub input: GoalsInput,
    pub hub_agency_name: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

pub async fn goal_versions(db: &Db, ctx: &Ctx) -> AppResult<Vec<Goals>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(
        "SELECT g.id, g.version, g.to_be, g.as_is, g.purposes, g.hub_agency_id, a.name AS hub_name, g.hub_people, g.note, g.created_by, g.created_at \
         FROM collaboration_goals g LEFT JOIN agencies a ON a.id = g.hub_agency_id WHERE g.tenant_id = $1 ORDER BY g.version DESC",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(goals_from_row).collect()
}

fn goals_from_row(r: &AnyRow) -> AppResult<Goals> {
    Ok(Goals {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        input: GoalsInput {
            to_be: json_list(r, "to_be")?,
            as_is: json_list(r, "as_is")?,
            purposes: json_list(r, "purposes")?,
            hub_agency_id: r.try_get("hub_agency_id")?,
            hub_people: r.try_get("hub_people")?,
            note: r.try_get("note")?,
        },
        hub_agency_name: r.try_get("hub_name")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Saves a new version of the tenant's collaboration goals (earlier versions kept).
pub async fn save_goals(db: &Db, ctx: &Ctx, g: &GoalsInput) -> AppResult<i64> {
    let t = writer(ctx)?.clone();
    let to_be: Vec<String> = g
        .to_be
        .iter()
        .map(|s| clean(s))
        .filter(|s| !s.is_empty())
        .collect();
    let as_is: Vec<AsIs> = g
        .as_is
        .iter()
        .map(|a| AsIs {
            text: clean(&a.text),
            source: clean(&a.source),
        })
        .filter(|a| !a.text.is_empty())
        .collect();
    let purposes: Vec<Purpose> = g
        .purposes
        .iter()
        .map(|p| Purpose {
            text: clean(&p.text),
            indicator: clean(&p.indicator),
            target: clean(&p.target),
            measure: clean(&p.measure),
            baseline: clean(&p.baseline),
        })
        .filter(|p| !p.text.is_empty())
        .collect();
    let mut errs = vec![];
    if to_be.is_empty() {
        errs.push(FieldError::new(
            "to_be",
            "あるべき姿を一つ以上書いてください。",
        ));
    }
    if purposes.is_empty() {
        errs.push(FieldError::new(
            "purposes",
            "連携目的を一つ以上書いてください。",
        ));
    }
    for (i, p) in purposes.iter().enumerate() {
        if p.indicator.is_empty() {
            errs.push(FieldError::new(
                "purposes",
                format!(
                    "連携目的 {} の「進み具合を示す指標」を書いてください（例: 欠席日数の変化）。",
                    i + 1
                ),
            ));
        }
        if !p.measure.is_empty() && crate::network::model::measure(&p.measure).is_none() {
            errs.push(FieldError::new(
                "purposes",
                format!(
                    "連携目的 {} の「測る数字」は一覧から選んでください。",
                    i + 1
                ),
            ));
        }
        if p.text.chars().count() > 120 {
            errs.push(FieldError::new("purposes", format!("連携目的 {} は120文字以内の短い文にしてください（異動があっても誰が読んでも同じ意味になるように）。", i + 1)));
        }
    }
    let all: Vec<String> = to_be
        .iter()
        .cloned()
        .chain(as_is.iter().map(|a| a.text.clone()))
        .chain(
            purposes
                .iter()
                .map(|p| format!("{} {} {} {}", p.text, p.indicator, p.target, p.baseline)),
        )
        .chain([g.hub_people.clone(), g.note.clone()])
        .collect();
    let refs: Vec<(&str, &str)> = all.iter().map(|s| ("goals", s.as_str())).collect();
    check_texts(&mut errs, &refs, 10_000);
    let hub = g.hub_agency_id.clone().filter(|s| !s.is_empty());
    if let Some(h) = &hub {
        let ok: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
        )
        .bind(h)
        .bind(&t)
        .fetch_one(&db.pool)
        .await?;
        if ok == 0 {
            errs.push(FieldError::new(
                "hub_agency_id",
                "中核機関は関係機関台帳から選んでください。",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let v: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM collaboration_goals WHERE tenant_id = $1",
    )
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO collaboration_goals (id, tenant_id, version, to_be, as_is, purposes, hub_agency_id, hub_people, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(new_id())
        .bind(&t)
        .bind(v)
        .bind(serde_json::to_string(&to_be).unwrap_or_default())
        .bind(serde_json::to_string(&as_is).unwrap_or_default())
        .bind(serde_json::to_string(&purposes).unwrap_or_default())
        .bind(&hub)
        .bind(clean(&g.hub_people))
        .bind(g.note.trim())
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "goals.save", "collaboration_goals", &t)
            .detail(&format!("第{v}版")),
    )
    .await?;
    Ok(v)
}
