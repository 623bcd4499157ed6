//! The ecomap nodes of a child: reading, adding and removing them.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::new_id;
use crate::auth::Ctx;
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::check_texts;
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EcomapNode {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    /// 関係機関名
    #[serde(default)]
    pub agency_name: String,
    /// 名前
    #[serde(default)]
    pub person_name: String,
    /// 所属
    #[serde(default)]
    pub affiliation: String,
    /// 連絡先
    #[serde(default)]
    pub contact: String,
    /// どんな時に連絡
    #[serde(default)]
    pub when_to_contact: String,
    /// 強み
    #[serde(default)]
    pub strengths: String,
    /// 実施できること
    #[serde(default)]
    pub can_do: String,
    /// 分野 (or 家族 / 友人・地域)
    #[serde(default)]
    pub field: String,
    /// 0 = 関係に課題, 1 = 弱い, 2 = ふつう, 3 = 強い
    #[serde(default)]
    pub strength: i64,
}

pub async fn ecomap(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<EcomapNode>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(
        "SELECT id, agency_id, agency_name, person_name, affiliation, contact, when_to_contact, strengths, can_do, field, strength \
         FROM ecomap_nodes WHERE child_id = $1 AND tenant_id = $2 ORDER BY field, created_at",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EcomapNode {
                id: r.try_get("id")?,
                agency_id: r.try_get("agency_id")?,
                agency_name: r.try_get("agency_name")?,
                person_name: r.try_get("person_name")?,
                affiliation: r.try_get("affiliation")?,
                contact: r.try_get("contact")?,
                when_to_contact: r.try_get("when_to_contact")?,
                strengths: r.try_get("strengths")?,
                can_do: r.try_get("can_do")?,
                field: r.try_get("field")?,
                strength: r.try_get("strength")?,
            })
        })
        .collect()
}

pub const ECOMAP_FIELDS_EXTRA: [&str; 2] = ["家族", "友人・地域"];

pub async fn add_ecomap_node(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    n: &EcomapNode,
) -> AppResult<String> {
    let t = ctx.tenant()?.clone();
    let mut n = EcomapNode {
        agency_name: clean(&n.agency_name),
        person_name: clean(&n.person_name),
        affiliation: clean(&n.affiliation),
        contact: clean(&n.contact),
        when_to_contact: n.when_to_contact.trim().to_string(),
        strengths: n.strengths.trim().to_string(),
        can_do: n.can_do.trim().to_string(),
        field: clean(&n.field),
        ..n.clone()
    };
    let mut errs = vec![];
    if n.agency_name.is_empty()
        && n.person_name.is_empty()
        && n.agency_id.as_deref().unwrap_or("").is_empty()
    {
        errs.push(FieldError::new(
            "agency_name",
            "関係機関名か名前を入力してください。",
        ));
    }
    if !(0..=3).contains(&n.strength) {
        errs.push(FieldError::new("strength", "関係の強さを選んでください。"));
    }
    // Every worksheet field is reported as "ecomap": the form shows one message box.
    for v in [
        &n.agency_name,
        &n.person_name,
        &n.affiliation,
        &n.contact,
        &n.when_to_contact,
        &n.strengths,
        &n.can_do,
    ] {
        check_texts(&mut errs, &[("ecomap", v.as_str())], 2000);
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    if let Some(aid) = n.agency_id.clone().filter(|a| !a.is_empty()) {
        let a = sqlx::query("SELECT name, field FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL")
            .bind(&aid)
            .bind(&t)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::invalid("agency_id", "関係機関を台帳から選んでください。"))?;
        if n.agency_name.is_empty() {
            n.agency_name = a.try_get("name")?;
        }
        if n.field.is_empty() {
            n.field = a.try_get("field")?;
        }
    } else {
        n.agency_id = None;
    }
    if n.field.is_empty() {
        let family = [
            "母",
            "父",
            "祖母",
            "祖父",
            "姉",
            "兄",
            "妹",
            "弟",
            "おば",
            "おじ",
            "きょうだい",
            "家族",
        ];
        n.field = if family.iter().any(|f| n.affiliation.contains(f)) {
            "家族".into()
        } else {
            "その他".into()
        };
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO ecomap_nodes (id, tenant_id, child_id, agency_id, agency_name, person_name, affiliation, contact, when_to_contact, strengths, can_do, field, strength, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(&t)
    .bind(child_id)
    .bind(&n.agency_id)
    .bind(&n.agency_name)
    .bind(&n.person_name)
    .bind(&n.affiliation)
    .bind(&n.contact)
    .bind(&n.when_to_contact)
    .bind(&n.strengths)
    .bind(&n.can_do)
    .bind(&n.field)
    .bind(n.strength)
    .bind(time::now_db())
    .execute(&mut *tx)
    .await?;
    commit_child_write(tx, ctx, &t, "ecomap.add", child_id, &id).await?;
    Ok(id)
}

pub async fn remove_ecomap_node(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    node_id: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n =
        sqlx::query("DELETE FROM ecomap_nodes WHERE id = $1 AND child_id = $2 AND tenant_id = $3")
            .bind(node_id)
            .bind(child_id)
            .bind(&t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    commit_child_write(tx, ctx, &t, "ecomap.remove", child_id, node_id).await?;
    Ok(())
}
