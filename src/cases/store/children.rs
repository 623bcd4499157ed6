//! Children: their inputs and validation, listing, reading, creating and updating a child
//! (with family), and possible duplicates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::columns;
use super::consent::load_consents;
use super::handover::sort_workers;
use super::{date_str, new_id, parse_ymd};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::cases::model;
use crate::db::{Cols, Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::text::clean;
use crate::validate::{check_texts, opt_date};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FamilyInput {
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub is_guardian: bool,
    /// きょうだい児 supported by the program too.
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChildInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reading: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub disease_group: i64,
    #[serde(default)]
    pub disease_name: String,
    #[serde(default)]
    pub certificate_number: String,
    #[serde(default)]
    pub certificate_from: String,
    #[serde(default)]
    pub certificate_to: String,
    #[serde(default)]
    pub certified_at_18: bool,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub grade: String,
    #[serde(default)]
    pub workplace: String,
    #[serde(default)]
    pub medical_care: String,
    #[serde(default)]
    pub household_notes: String,
    #[serde(default)]
    pub family: Vec<FamilyInput>,
}

struct CleanChild {
    input: ChildInput,
    birth: NaiveDate,
    cert_from: Option<NaiveDate>,
    cert_to: Option<NaiveDate>,
}

fn validate_child(i: &ChildInput) -> Result<CleanChild, Vec<FieldError>> {
    let mut errs = vec![];
    let mut c = ChildInput {
        name: clean(&i.name),
        reading: crate::agencies::model::clean_reading(&i.reading),
        birth_date: String::new(),
        sex: clean(&i.sex),
        disease_group: i.disease_group,
        disease_name: clean(&i.disease_name),
        certificate_number: clean(&i.certificate_number),
        certificate_from: String::new(),
        certificate_to: String::new(),
        certified_at_18: i.certified_at_18,
        school: clean(&i.school),
        grade: clean(&i.grade),
        workplace: clean(&i.workplace),
        medical_care: i.medical_care.trim().to_string(),
        household_notes: i.household_notes.trim().to_string(),
        family: vec![],
    };
    if c.name.is_empty() {
        errs.push(FieldError::new("name", "氏名を入力してください。"));
    }
    if c.reading.is_empty() {
        errs.push(FieldError::new(
            "reading",
            "ふりがなを入力してください（重複の確認と並び順に使います）。",
        ));
    }
    let birth = if i.birth_date.trim().is_empty() {
        errs.push(FieldError::new(
            "birth_date",
            "生年月日を入力してください。",
        ));
        None
    } else {
        opt_date("birth_date", "生年月日", &i.birth_date, &mut errs)
    };
    if let Some(b) = birth {
        if b > time::today_jst() {
            errs.push(FieldError::new(
                "birth_date",
                "生年月日が未来の日付になっています。",
            ));
        }
    }
    if !model::SEXES.iter().any(|(k, _)| *k == c.sex) {
        errs.push(FieldError::new("sex", "性別を選んでください。"));
    }
    if !(1..=16).contains(&c.disease_group) {
        errs.push(FieldError::new(
            "disease_group",
            "疾患群を選んでください（1〜16）。",
        ));
    }
    let cert_from = opt_date(
        "certificate_from",
        "受給者証の有効期間（開始）",
        &i.certificate_from,
        &mut errs,
    );
    let cert_to = opt_date(
        "certificate_to",
        "受給者証の有効期間（終了）",
        &i.certificate_to,
        &mut errs,
    );
    if let (Some(a), Some(b)) = (cert_from, cert_to) {
        if a > b {
            errs.push(FieldError::new(
                "certificate_to",
                "受給者証の有効期間の終了が開始より前になっています。",
            ));
        }
    }
    if !c.certificate_number.is_empty()
        && !c
            .certificate_number
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    {
        errs.push(FieldError::new(
            "certificate_number",
            "受給者証番号は半角の英数字で入力してください。",
        ));
    }
    for f in &i.family {
        let fm = FamilyInput {
            relation: clean(&f.relation),
            name: clean(&f.name),
            birth_date: String::new(),
            phone: clean(&f.phone),
            is_guardian: f.is_guardian,
            supported: f.supported,
            notes: f.notes.trim().to_string(),
        };
        if fm.relation.is_empty()
            && fm.name.is_empty()
            && fm.phone.is_empty()
            && fm.notes.is_empty()
        {
            continue;
        }
        if fm.relation.is_empty() {
            errs.push(FieldError::new(
                "family",
                format!("家族「{}」の続柄を入力してください。", fm.name),
            ));
        }
        let bd = opt_date("family", "家族の生年月日", &f.birth_date, &mut errs);
        c.family.push(FamilyInput {
            birth_date: date_str(bd).unwrap_or_default(),
            ..fm
        });
    }
    let texts = [
        ("name", &c.name),
        ("disease_name", &c.disease_name),
        ("school", &c.school),
        ("grade", &c.grade),
        ("workplace", &c.workplace),
        ("medical_care", &c.medical_care),
        ("household_notes", &c.household_notes),
    ];
    let texts: Vec<(&str, &str)> = texts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    check_texts(&mut errs, &texts, 4000);
    match birth {
        Some(b) if errs.is_empty() => {
            c.birth_date = b.format("%Y-%m-%d").to_string();
            c.certificate_from = date_str(cert_from).unwrap_or_default();
            c.certificate_to = date_str(cert_to).unwrap_or_default();
            Ok(CleanChild {
                input: c,
                birth: b,
                cert_from,
                cert_to,
            })
        }
        _ => Err(errs),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildSummary {
    pub id: String,
    pub name: String,
    pub reading: String,
    pub birth_date: String,
    pub age: i32,
    pub disease_group: i64,
    pub disease_name: String,
    pub certificate_to: Option<String>,
    /// 令和8年3月31日
    pub certificate_to_label: String,
    pub status: String,
    pub primary_worker: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub is_primary: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    pub id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub purpose: String,
    pub items: Vec<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub method: String,
    pub given_by: String,
    pub recorded_by: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: String,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub id: String,
    #[serde(flatten)]
    pub input: ChildInput,
    pub age: i32,
    pub eligibility: String,
    pub eligibility_warning: Option<String>,
    pub status: String,
    pub version: i64,
    pub workers: Vec<Worker>,
    pub consents: Vec<Consent>,
    pub created_at: String,
    pub updated_at: String,
}

pub(crate) const CHILD_COLS: &str = "id, name, reading, birth_date, sex, disease_group, disease_name, certificate_number, \
     certificate_from, certificate_to, certified_at_18, school, grade, workplace, medical_care, household_notes, status, \
     version, created_at, updated_at";

pub(crate) fn child_input_from_row<'r, R>(r: &'r R) -> AppResult<ChildInput>
where
    R: sqlx::Row,
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ChildInput {
        name: r.try_get("name")?,
        reading: r.try_get("reading")?,
        birth_date: r.try_get("birth_date")?,
        sex: r.try_get("sex")?,
        disease_group: r.try_get("disease_group")?,
        disease_name: r.try_get("disease_name")?,
        certificate_number: r.try_get("certificate_number")?,
        certificate_from: r
            .try_get::<Option<String>, _>("certificate_from")?
            .unwrap_or_default(),
        certificate_to: r
            .try_get::<Option<String>, _>("certificate_to")?
            .unwrap_or_default(),
        certified_at_18: r.try_get::<i64, _>("certified_at_18")? != 0,
        school: r.try_get("school")?,
        grade: r.try_get("grade")?,
        workplace: r.try_get("workplace")?,
        medical_care: r.try_get("medical_care")?,
        household_notes: r.try_get("household_notes")?,
        family: vec![],
    })
}

pub fn eligibility_text(birth: &str, certified_at_18: bool) -> (String, Option<String>) {
    match parse_ymd(birth) {
        Some(b) => match model::eligibility(b, time::today_jst(), certified_at_18) {
            model::Eligibility::Eligible => ("対象（18歳未満）".into(), None),
            model::Eligibility::Continued => {
                ("対象（18歳時点の認定により20歳未満まで継続）".into(), None)
            }
            model::Eligibility::NotEligible(w) => ("対象外の可能性".into(), Some(w)),
        },
        None => (String::new(), None),
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ChildFilter {
    #[serde(default)]
    pub q: String,
    /// Only children assigned to the caller.
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

pub async fn list_children(
    db: &Db,
    ctx: &Ctx,
    f: &ChildFilter,
) -> AppResult<(Vec<ChildSummary>, i64)> {
    let t = reader(ctx)?;
    let only_assigned = f.mine || ctx.role == Role::Contractor;
    let q = crate::text::search_key(&f.q);
    // After `c.tenant_id = $1 AND ` in both statements.
    let mut where_ = String::new();
    if only_assigned {
        where_.push_str(
            "EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = c.id AND w.user_id = $2)",
        );
    } else {
        where_.push_str("$2 = $2");
    }
    if !q.is_empty() {
        where_
            .push_str(" AND (c.reading LIKE $3 OR c.name LIKE $4 OR c.certificate_number LIKE $4)");
    } else {
        where_.push_str(" AND $3 = $3 AND $4 = $4");
    }
    let like_reading = format!("%{}%", q);
    let like_name = format!("%{}%", clean(&f.q));
    let limit = f.limit.unwrap_or(100).clamp(1, 500);
    let offset = f.offset.unwrap_or(0).max(0);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM children c WHERE c.tenant_id = $1 AND {where_}"
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(&like_reading)
    .bind(&like_name)
    .fetch_one(&db.pool)
    .await?;
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.name, c.reading, c.birth_date, c.disease_group, c.disease_name, c.certificate_to, c.status, \
         (SELECT u.display_name FROM child_workers w JOIN users u ON u.id = w.user_id \
           WHERE w.child_id = c.id AND w.tenant_id = c.tenant_id AND w.is_primary = 1 LIMIT 1) AS primary_worker \
         FROM children c WHERE c.tenant_id = $1 AND {where_} ORDER BY c.reading, c.id LIMIT $5 OFFSET $6"
    ))
    .bind(t)
    .bind(&ctx.user_id)
    .bind(&like_reading)
    .bind(&like_name)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let today = time::today_jst();
    let items = rows
        .iter()
        .map(|r| {
            let birth: String = r.try_get("birth_date")?;
            Ok(ChildSummary {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                reading: r.try_get("reading")?,
                age: parse_ymd(&birth)
                    .map(|b| model::age_on(b, today))
                    .unwrap_or(0),
                birth_date: birth,
                disease_group: r.try_get("disease_group")?,
                disease_name: r.try_get("disease_name")?,
                certificate_to_label: r
                    .try_get::<Option<String>, _>("certificate_to")?
                    .as_deref()
                    .and_then(parse_ymd)
                    .map(time::format_wareki)
                    .unwrap_or_default(),
                certificate_to: r.try_get("certificate_to")?,
                status: r.try_get("status")?,
                primary_worker: r.try_get("primary_worker")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    audit::record(
        db,
        Entry::new(ctx, Some(t), "child.list", "child", "-").detail(&format!(
            "{} 件{}",
            total,
            if q.is_empty() {
                String::new()
            } else {
                " 検索".into()
            }
        )),
    )
    .await?;
    Ok((items, total))
}

/// A child's whole record (audited as a read of the record).
pub async fn get_child(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Child> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, id).await?;
    let child = load_child(&mut conn, &t, id).await?;
    drop(conn);
    audit::record(db, Entry::new(ctx, Some(&t), "child.view", "child", id)).await?;
    Ok(child)
}

/// Children with the same reading and birth date (possible duplicates).
pub async fn possible_duplicates(
    db: &Db,
    ctx: &Ctx,
    reading: &str,
    birth_date: &str,
    except: Option<&str>,
) -> AppResult<Vec<(String, String)>> {
    let t = reader(ctx)?;
    let reading = crate::agencies::model::clean_reading(reading);
    let birth = time::parse_date(birth_date)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let rows = sqlx::query("SELECT id, name FROM children WHERE tenant_id = $1 AND reading = $2 AND birth_date = $3 AND id <> $4")
        .bind(t)
        .bind(&reading)
        .bind(&birth)
        .bind(except.unwrap_or(""))
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

fn family_rows(t: &str, child_id: &str, fam: &[FamilyInput]) -> Vec<Vec<crate::db::Val>> {
    fam.iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                new_id().into(),
                t.into(),
                child_id.into(),
                (&f.relation).into(),
                (&f.name).into(),
                Some(f.birth_date.clone()).filter(|s| !s.is_empty()).into(),
                (&f.phone).into(),
                f.is_guardian.into(),
                f.supported.into(),
                (&f.notes).into(),
                (i as i64).into(),
            ]
        })
        .collect()
}

pub struct Created {
    pub id: String,
    pub duplicates: Vec<(String, String)>,
    pub warning: Option<String>,
}

/// Registers a child; the caller becomes the primary worker.
pub async fn create_child(db: &Db, ctx: &Ctx, input: &ChildInput) -> AppResult<Created> {
    policy::require(ctx, Action::ManageChildren)?;
    let t = ctx.tenant()?.clone();
    let c = validate_child(input).map_err(AppError::Validation)?;
    let duplicates =
        possible_duplicates(db, ctx, &c.input.reading, &c.input.birth_date, None).await?;
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    insert_child(&mut tx, &t, &id, &c, &now).await?;
    sqlx::query("INSERT INTO child_workers (tenant_id, child_id, user_id, is_primary, assigned_at) VALUES ($1, $2, $3, 1, $4)")
        .bind(&t)
        .bind(&id)
        .bind(&ctx.user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    commit_child_write(tx, ctx, &t, "child.create", &id, "").await?;
    let (_, warning) = eligibility_text(&c.input.birth_date, c.input.certified_at_18);
    Ok(Created {
        id,
        duplicates,
        warning,
    })
}

async fn insert_child(
    tx: &mut crate::db::Tx,
    t: &str,
    id: &str,
    c: &CleanChild,
    now: &str,
) -> AppResult<()> {
    let i = &c.input;
    sqlx::query(
        "INSERT INTO children (id, tenant_id, name, reading, birth_date, sex, disease_group, disease_name, \
         certificate_number, certificate_from, certificate_to, certified_at_18, school, grade, workplace, \
         medical_care, household_notes, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active', 1, $18, $18)",
    )
    .bind(id)
    .bind(t)
    .bind(&i.name)
    .bind(&i.reading)
    .bind(c.birth.format("%Y-%m-%d").to_string())
    .bind(&i.sex)
    .bind(i.disease_group)
    .bind(&i.disease_name)
    .bind(&i.certificate_number)
    .bind(date_str(c.cert_from))
    .bind(date_str(c.cert_to))
    .bind(i.certified_at_18 as i64)
    .bind(&i.school)
    .bind(&i.grade)
    .bind(&i.workplace)
    .bind(&i.medical_care)
    .bind(&i.household_notes)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    crate::db::insert_many(
        tx,
        "family_members",
        &columns::FAMILY,
        family_rows(t, id, &i.family),
    )
    .await?;
    Ok(())
}

pub async fn update_child(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    input: &ChildInput,
    expected_version: Option<i64>,
) -> AppResult<()> {
    let c = validate_child(input).map_err(AppError::Validation)?;
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, id).await?;
    let version: i64 =
        sqlx::query_scalar("SELECT version FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(&t)
            .fetch_one(&mut *tx)
            .await?;
    if expected_version.is_some_and(|v| v != version) {
        return Err(AppError::Conflict("この記録は、あなたが編集している間に他の人が更新しました。最新の内容を確認してから、もう一度保存してください。".into()));
    }
    let i = &c.input;
    sqlx::query(
        "UPDATE children SET name = $1, reading = $2, birth_date = $3, sex = $4, disease_group = $5, disease_name = $6, \
         certificate_number = $7, certificate_from = $8, certificate_to = $9, certified_at_18 = $10, school = $11, grade = $12, \
         workplace = $13, medical_care = $14, household_notes = $15, version = version + 1, updated_at = $16 WHERE id = $17 AND tenant_id = $18",
    )
    .bind(&i.name)
    .bind(&i.reading)
    .bind(c.birth.format("%Y-%m-%d").to_string())
    .bind(&i.sex)
    .bind(i.disease_group)
    .bind(&i.disease_name)
    .bind(&i.certificate_number)
    .bind(date_str(c.cert_from))
    .bind(date_str(c.cert_to))
    .bind(i.certified_at_18 as i64)
    .bind(&i.school)
    .bind(&i.grade)
    .bind(&i.workplace)
    .bind(&i.medical_care)
    .bind(&i.household_notes)
    .bind(time::now_db())
    .bind(id)
    .bind(&t)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM family_members WHERE child_id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    crate::db::insert_many(
        &mut tx,
        "family_members",
        &columns::FAMILY,
        family_rows(&t, id, &i.family),
    )
    .await?;
    commit_child_write(tx, ctx, &t, "child.update", id, "").await?;
    Ok(())
}

/// A family member from a row with the columns relation, name, birth_date, phone,
/// is_guardian, supported, notes (load_child, or a 'family' row of the record page's
/// statement).
pub(crate) fn family_from(r: &impl Cols) -> AppResult<FamilyInput> {
    Ok(FamilyInput {
        relation: r.text("relation")?,
        name: r.text("name")?,
        birth_date: r.text("birth_date")?,
        phone: r.text("phone")?,
        is_guardian: r.flag("is_guardian")?,
        supported: r.flag("supported")?,
        notes: r.text("notes")?,
    })
}

/// A worker of the child from a row with the columns user_id, display_name, role,
/// is_primary.
pub(crate) fn worker_from(r: &impl Cols) -> AppResult<Worker> {
    Ok(Worker {
        user_id: r.text("user_id")?,
        name: r.text("display_name")?,
        role: Role::parse(&r.text("role")?)
            .map(|r| r.label())
            .unwrap_or("")
            .to_string(),
        is_primary: r.flag("is_primary")?,
    })
}

/// The record of a child whose access has been checked, with family, workers and consents.
pub(crate) async fn load_child(conn: &mut Conn, t: &str, id: &str) -> AppResult<Child> {
    let r = sqlx::query(&format!(
        "SELECT {CHILD_COLS} FROM children WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(t)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let mut input = child_input_from_row(&r)?;
    let fam = sqlx::query("SELECT relation, name, birth_date, phone, is_guardian, supported, notes FROM family_members WHERE child_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
    input.family = fam.iter().map(family_from).collect::<AppResult<_>>()?;
    let mut workers = sqlx::query("SELECT w.user_id, u.display_name, u.role, w.is_primary FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.tenant_id = $2 ORDER BY w.is_primary DESC, u.display_name, w.user_id")
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(worker_from)
        .collect::<AppResult<Vec<_>>>()?;
    sort_workers(&mut workers);
    let consents = load_consents(conn, t, id).await?;
    let (eligibility, warning) = eligibility_text(&input.birth_date, input.certified_at_18);
    Ok(Child {
        id: r.try_get("id")?,
        age: parse_ymd(&input.birth_date)
            .map(|b| model::age_on(b, time::today_jst()))
            .unwrap_or(0),
        eligibility,
        eligibility_warning: warning,
        input,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        workers,
        consents,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
