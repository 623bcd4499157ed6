//! Councils (協議会) and their members: the composition check of the guide's
//! 構成員選定のポイント runs on every read of a council.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{list_meetings, new_id, reader, writer, MeetingSummary};
use crate::audit::{self, Entry};
use crate::auth::Ctx;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::network::model::{self, Composition, MemberForCheck};
use crate::text::clean;
use crate::validate::{check_texts, opt_date_db};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CouncilInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub purpose: String,
    /// 所掌部署
    #[serde(default)]
    pub department: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Council {
    pub id: String,
    #[serde(flatten)]
    pub input: CouncilInput,
    pub member_count: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberInput {
    #[serde(default)]
    pub person_name: String,
    #[serde(default)]
    pub agency_id: Option<String>,
    /// 所属 (required)
    #[serde(default)]
    pub affiliation: String,
    /// 分野
    #[serde(default)]
    pub field: String,
    /// 専門領域
    #[serde(default)]
    pub specialty: String,
    /// 役割 (会長, 委員 …)
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub term_from: String,
    #[serde(default)]
    pub term_to: String,
    /// How many other councils this person sits on.
    #[serde(default)]
    pub other_councils: i64,
    #[serde(default)]
    pub observer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    #[serde(flatten)]
    pub input: MemberInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouncilDetail {
    #[serde(flatten)]
    pub council: Council,
    pub members: Vec<Member>,
    pub composition: Composition,
    pub meetings: Vec<MeetingSummary>,
}

pub async fn list_councils(db: &Db, ctx: &Ctx) -> AppResult<Vec<Council>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.kind, c.purpose, c.department, c.created_at, (SELECT COUNT(*) FROM council_members m WHERE m.council_id = c.id) AS n \
         FROM councils c WHERE c.tenant_id = $1 ORDER BY c.created_at",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(council_from_row).collect()
}

fn council_from_row(r: &AnyRow) -> AppResult<Council> {
    Ok(Council {
        id: r.try_get("id")?,
        input: CouncilInput {
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            purpose: r.try_get("purpose")?,
            department: r.try_get("department")?,
        },
        member_count: r.try_get("n")?,
        created_at: r.try_get("created_at")?,
    })
}

fn member_from_row(m: &AnyRow) -> AppResult<Member> {
    Ok(Member {
        id: m.try_get("id")?,
        input: MemberInput {
            person_name: m.try_get("person_name")?,
            agency_id: m.try_get("agency_id")?,
            affiliation: m.try_get("affiliation")?,
            field: m.try_get("field")?,
            specialty: m.try_get("specialty")?,
            role: m.try_get("role")?,
            term_from: m
                .try_get::<Option<String>, _>("term_from")?
                .unwrap_or_default(),
            term_to: m
                .try_get::<Option<String>, _>("term_to")?
                .unwrap_or_default(),
            other_councils: m.try_get("other_councils")?,
            observer: m.try_get::<i64, _>("observer")? != 0,
        },
    })
}

pub async fn get_council(db: &Db, ctx: &Ctx, id: &str) -> AppResult<CouncilDetail> {
    let t = reader(ctx)?;
    let row = sqlx::query(
        "SELECT c.id, c.name, c.kind, c.purpose, c.department, c.created_at, (SELECT COUNT(*) FROM council_members m WHERE m.council_id = c.id) AS n \
         FROM councils c WHERE c.id = $1 AND c.tenant_id = $2",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let members: Vec<Member> = sqlx::query(
        "SELECT id, person_name, agency_id, affiliation, field, specialty, role, term_from, term_to, other_councils, observer FROM council_members \
         WHERE council_id = $1 AND tenant_id = $2 ORDER BY position",
    )
    .bind(id)
    .bind(t)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(member_from_row)
    .collect::<AppResult<_>>()?;
    let composition = model::composition(
        &members
            .iter()
            .map(|m| MemberForCheck {
                name: m.input.person_name.clone(),
                affiliation: m.input.affiliation.clone(),
                field: m.input.field.clone(),
                specialty: m.input.specialty.clone(),
                other_councils: m.input.other_councils,
                observer: m.input.observer,
            })
            .collect::<Vec<_>>(),
    );
    let meetings = list_meetings(db, ctx, Some(id)).await?;
    Ok(CouncilDetail {
        council: council_from_row(&row)?,
        members,
        composition,
        meetings,
    })
}

pub async fn create_council(db: &Db, ctx: &Ctx, c: &CouncilInput) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let c = CouncilInput {
        name: clean(&c.name),
        kind: clean(&c.kind),
        purpose: c.purpose.trim().to_string(),
        department: clean(&c.department),
    };
    let mut errs = vec![];
    if c.name.is_empty() {
        errs.push(FieldError::new("name", "協議会の名称を入力してください。"));
    }
    if !model::COUNCIL_KINDS.contains(&c.kind.as_str()) {
        errs.push(FieldError::new(
            "kind",
            format!(
                "種類は {} から選んでください。",
                model::COUNCIL_KINDS.join("・")
            ),
        ));
    }
    if c.purpose.is_empty() {
        errs.push(FieldError::new("purpose", "開催目的を書いてください。"));
    }
    check_texts(
        &mut errs,
        &[
            ("name", &c.name),
            ("purpose", &c.purpose),
            ("department", &c.department),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO councils (id, tenant_id, name, kind, purpose, department, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .bind(&id)
        .bind(&t)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(&c.purpose)
        .bind(&c.department)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "council.create", "council", &id).detail(&c.name),
    )
    .await?;
    Ok(id)
}

pub async fn add_member(
    db: &Db,
    ctx: &Ctx,
    council_id: &str,
    m: &MemberInput,
) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let mut m = MemberInput {
        person_name: clean(&m.person_name),
        affiliation: clean(&m.affiliation),
        field: clean(&m.field),
        specialty: clean(&m.specialty),
        role: clean(&m.role),
        ..m.clone()
    };
    let mut errs = vec![];
    if m.person_name.is_empty() {
        errs.push(FieldError::new("person_name", "氏名を入力してください。"));
    }
    let agency = m.agency_id.clone().filter(|s| !s.is_empty());
    if let Some(a) = &agency {
        match sqlx::query("SELECT name, field FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL").bind(a).bind(&t).fetch_optional(&db.pool).await? {
            Some(r) => {
                if m.affiliation.is_empty() {
                    m.affiliation = r.try_get("name")?;
                }
                if m.field.is_empty() {
                    m.field = r.try_get("field")?;
                }
            }
            None => errs.push(FieldError::new("agency_id", "所属機関は関係機関台帳から選んでください。")),
        }
    }
    if m.affiliation.is_empty() {
        errs.push(FieldError::new(
            "affiliation",
            "所属を入力してください（所属のない構成員は登録できません）。",
        ));
    }
    if m.field.is_empty() {
        errs.push(FieldError::new("field", "分野を選んでください。"));
    }
    if !(0..=50).contains(&m.other_councils) {
        errs.push(FieldError::new(
            "other_councils",
            "他の協議会の数は 0〜50 で入力してください。",
        ));
    }
    let from = opt_date_db("term_from", "任期（開始）", &m.term_from, &mut errs);
    let to = opt_date_db("term_to", "任期（終了）", &m.term_to, &mut errs);
    check_texts(
        &mut errs,
        &[
            ("person_name", &m.person_name),
            ("affiliation", &m.affiliation),
            ("role", &m.role),
            ("specialty", &m.specialty),
        ],
        10_000,
    );
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let ok: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM councils WHERE id = $1 AND tenant_id = $2")
            .bind(council_id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    if ok == 0 {
        return Err(AppError::NotFound);
    }
    let pos: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM council_members WHERE council_id = $1 AND tenant_id = $2",
    )
    .bind(council_id)
    .bind(&t)
    .fetch_one(&mut *tx)
    .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO council_members (id, tenant_id, council_id, person_name, agency_id, affiliation, field, specialty, role, term_from, term_to, other_councils, observer, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(&t)
    .bind(council_id)
    .bind(&m.person_name)
    .bind(&agency)
    .bind(&m.affiliation)
    .bind(&m.field)
    .bind(&m.specialty)
    .bind(&m.role)
    .bind(from)
    .bind(to)
    .bind(m.other_councils)
    .bind(m.observer as i64)
    .bind(pos)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "council.member_add", "council", council_id)
            .detail(&m.person_name),
    )
    .await?;
    Ok(id)
}

pub async fn remove_member(db: &Db, ctx: &Ctx, council_id: &str, member_id: &str) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "DELETE FROM council_members WHERE id = $1 AND council_id = $2 AND tenant_id = $3",
    )
    .bind(member_id)
    .bind(council_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            "council.member_remove",
            "council",
            council_id,
        )
        .detail(member_id),
    )
    .await?;
    Ok(())
}
