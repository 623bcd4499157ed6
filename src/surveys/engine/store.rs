//! SQL of the survey engine. Staff functions take `&Ctx` and carry its tenant; the
//! public ones (`public`, `submit`) take the link's token only, and find the survey's
//! tenant through it. Every change appends its audit entry in the same transaction; an
//! answer is one row, written once per `submission` key (the same form sent twice is
//! one answer), and a personal invitation code is spent in the answer's transaction.

use serde::Serialize;
use sqlx::Row;

use super::answers::{self, Answers};
use super::def::Definition;
use crate::audit::{self, Entry};
use crate::auth::{policy, sha256_hex, Action, Ctx, Role, Tenancy, TenantId};
use crate::db::{Conn, Db, Tx};
use crate::error::{AppResult, FieldError};
use crate::surveys::store::{canonical_token, new_token};
use crate::{time, AppError};

/// Most answers one survey takes (a city's 受給者 are hundreds to a few thousand;
/// a prefecture's tens of thousands).
pub const MAX_RESPONSES: i64 = 200_000;

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn reader(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ViewSurveys)?;
    ctx.tenant()
}

pub(crate) fn writer(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ManageSurveys)?;
    ctx.tenant()
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub id: String,
    pub title: String,
    /// 問い合わせ先 (on the handout and the answer page)
    pub contact: String,
    /// needs | training | other
    pub purpose: String,
    pub purpose_label: &'static str,
    pub anonymous: bool,
    pub invitation_only: bool,
    pub version: i64,
    /// draft | open | closed (as set); `accepting` also weighs the dates.
    pub status: String,
    pub status_label: &'static str,
    pub accepting: bool,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    /// `/s/{token}` (managers only).
    pub path: Option<String>,
    pub responses: i64,
    pub invitations: i64,
    pub invitations_used: i64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<Definition>,
}

pub fn purpose_label(p: &str) -> &'static str {
    match p {
        "needs" => "実態把握調査",
        "training" => "研修会アンケート",
        _ => "その他の調査",
    }
}

fn status_label(s: &str) -> &'static str {
    match s {
        "open" => "受付中",
        "closed" => "締め切り",
        _ => "準備中",
    }
}

/// Whether a survey set to `status` takes answers on `today` (YYYY-MM-DD).
pub fn accepting(
    status: &str,
    opens_on: Option<&str>,
    closes_on: Option<&str>,
    today: &str,
) -> bool {
    status == "open" && opens_on.is_none_or(|o| o <= today) && closes_on.is_none_or(|c| c >= today)
}

const SELECT: &str = "SELECT s.id, s.title, s.contact, s.purpose, s.anonymous, s.invitation_only, s.version, s.status, \
     s.opens_on, s.closes_on, s.token, s.created_by, s.created_at, s.updated_at, s.definition, \
     (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id AND r.tenant_id = s.tenant_id) AS responses, \
     (SELECT COUNT(*) FROM survey_invitations i WHERE i.survey_id = s.id AND i.tenant_id = s.tenant_id) AS invitations, \
     (SELECT COUNT(*) FROM survey_invitations i WHERE i.survey_id = s.id AND i.tenant_id = s.tenant_id AND i.used_at IS NOT NULL) AS invitations_used \
     FROM surveys s WHERE s.tenant_id = $1";

fn from_row(ctx: &Ctx, r: &sqlx::any::AnyRow, with_def: bool) -> AppResult<Survey> {
    let status: String = r.try_get("status")?;
    let purpose: String = r.try_get("purpose")?;
    let opens_on: Option<String> = r.try_get("opens_on")?;
    let closes_on: Option<String> = r.try_get("closes_on")?;
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    let definition = if with_def {
        let json: String = r.try_get("definition")?;
        Some(serde_json::from_str(&json).map_err(anyhow::Error::from)?)
    } else {
        None
    };
    Ok(Survey {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        contact: r.try_get("contact")?,
        purpose_label: purpose_label(&purpose),
        purpose,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        invitation_only: r.try_get::<i64, _>("invitation_only")? != 0,
        version: r.try_get("version")?,
        accepting: accepting(&status, opens_on.as_deref(), closes_on.as_deref(), &today),
        status_label: status_label(&status),
        status,
        opens_on,
        closes_on,
        path: policy::can(ctx, Action::ManageSurveys)
            .then(|| r.try_get::<String, _>("token").map(|t| format!("/s/{t}")))
            .transpose()?,
        responses: r.try_get("responses")?,
        invitations: r.try_get("invitations")?,
        invitations_used: r.try_get("invitations_used")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        definition,
    })
}

/// The tenant's surveys, newest first (without their questions).
pub async fn list(db: &Db, ctx: &Ctx) -> AppResult<Vec<Survey>> {
    let t = reader(ctx)?;
    let rows = sqlx::query(&format!("{SELECT} ORDER BY s.created_at DESC, s.id DESC"))
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(|r| from_row(ctx, r, false)).collect()
}

async fn load(conn: &mut Conn, ctx: &Ctx, t: &TenantId, id: &str) -> AppResult<Survey> {
    let r = sqlx::query(&format!("{SELECT} AND s.id = $2"))
        .bind(t)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    from_row(ctx, &r, true)
}

/// One survey with its current questions.
pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Survey> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    load(&mut conn, ctx, t, id).await
}

/// What a new survey starts from.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSurvey {
    pub title: String,
    #[serde(default)]
    pub contact: String,
    /// needs | training | other (from the template when absent)
    #[serde(default)]
    pub purpose: Option<String>,
    /// A template's key (needs, training, blank) when `definition` is absent.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub definition: Option<Definition>,
    #[serde(default = "yes")]
    pub anonymous: bool,
    #[serde(default)]
    pub invitation_only: bool,
    #[serde(default)]
    pub opens_on: Option<String>,
    #[serde(default)]
    pub closes_on: Option<String>,
}

fn yes() -> bool {
    true
}

fn check_settings(
    title: &str,
    contact: &str,
    opens_on: &Option<String>,
    closes_on: &Option<String>,
) -> Result<(Option<String>, Option<String>), Vec<FieldError>> {
    let mut errs = vec![];
    if title.trim().is_empty() {
        errs.push(FieldError::new("title", "調査の名前を入れてください。"));
    }
    crate::validate::check_line(&mut errs, "title", title, 100);
    crate::validate::check_line(&mut errs, "contact", contact, 200);
    let o = crate::validate::opt_date_db(
        "opens_on",
        "受付の開始日",
        opens_on.as_deref().unwrap_or(""),
        &mut errs,
    );
    let c = crate::validate::opt_date_db(
        "closes_on",
        "受付の終了日",
        closes_on.as_deref().unwrap_or(""),
        &mut errs,
    );
    if let (Some(a), Some(b)) = (&o, &c) {
        if a > b {
            errs.push(FieldError::new(
                "closes_on",
                "受付の終了日は開始日より後にしてください。",
            ));
        }
    }
    if errs.is_empty() {
        Ok((o, c))
    } else {
        Err(errs)
    }
}

/// Creates a survey (draft) from a template or a definition; returns its id.
pub async fn create(db: &Db, ctx: &Ctx, n: NewSurvey) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let (opens_on, closes_on) = check_settings(&n.title, &n.contact, &n.opens_on, &n.closes_on)
        .map_err(AppError::Validation)?;
    let (def, purpose) = match (n.definition, n.template.as_deref()) {
        (Some(d), _) => {
            d.check().map_err(AppError::Validation)?;
            (d, n.purpose.unwrap_or_else(|| "other".into()))
        }
        (None, key) => {
            let (_, purpose, d) = Definition::template(key.unwrap_or("needs")).ok_or_else(|| {
                AppError::invalid("template", "ひな形は needs（実態把握調査）、training（研修会）、blank（白紙）のどれかです。")
            })?;
            (d, n.purpose.unwrap_or_else(|| purpose.into()))
        }
    };
    if !["needs", "training", "other"].contains(&purpose.as_str()) {
        return Err(AppError::invalid(
            "purpose",
            "目的は needs、training、other のどれかです。",
        ));
    }
    let id = new_id();
    let now = time::now_db();
    let token = new_token();
    let json = def.to_json();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO surveys (id, tenant_id, title, purpose, anonymous, invitation_only, version, definition, status, opens_on, closes_on, token, token_hash, created_by, created_at, updated_at, contact) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, 'draft', $8, $9, $10, $11, $12, $13, $13, $14)",
    )
    .bind(&id)
    .bind(&t)
    .bind(n.title.trim())
    .bind(&purpose)
    .bind(n.anonymous as i64)
    .bind(n.invitation_only as i64)
    .bind(&json)
    .bind(&opens_on)
    .bind(&closes_on)
    .bind(&token)
    .bind(sha256_hex(&token))
    .bind(&ctx.display_name)
    .bind(&now)
    .bind(n.contact.trim())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO survey_versions (survey_id, tenant_id, version, definition, created_at) VALUES ($1, $2, 1, $3, $4)")
        .bind(&id)
        .bind(&t)
        .bind(&json)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "survey.create", "survey", &id).detail(n.title.trim()),
    )
    .await?;
    Ok(id)
}

/// A copy of a survey's current questions and settings, as a new draft without answers.
pub async fn copy(db: &Db, ctx: &Ctx, id: &str) -> AppResult<String> {
    let s = get(db, ctx, id).await?;
    let new = create(
        db,
        ctx,
        NewSurvey {
            title: format!("{}（コピー）", s.title).chars().take(100).collect(),
            contact: s.contact.clone(),
            purpose: Some(s.purpose.clone()),
            template: None,
            definition: s.definition,
            anonymous: s.anonymous,
            invitation_only: s.invitation_only,
            opens_on: None,
            closes_on: None,
        },
    )
    .await?;
    Ok(new)
}

/// New questions. Once answers have arrived, the survey is locked to them: the change
/// becomes a new version (the answers keep the version they answered). `version` is the
/// one the editor started from (409 when someone else changed it since).
pub async fn set_definition(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    version: i64,
    def: &Definition,
) -> AppResult<i64> {
    let t = writer(ctx)?.clone();
    def.check().map_err(AppError::Validation)?;
    let mut tx = db.begin_write().await?;
    let s = load(&mut tx, ctx, &t, id).await?;
    if s.version != version {
        return Err(AppError::Conflict("ほかの人がこの調査の質問を変えました。画面を開き直して、変更を確かめてから、もう一度保存してください。".into()));
    }
    if s.definition.as_ref() == Some(def) {
        return Ok(s.version);
    }
    let answered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND tenant_id = $2 AND version = $3")
        .bind(id)
        .bind(&t)
        .bind(s.version)
        .fetch_one(&mut *tx)
        .await?;
    let now = time::now_db();
    let json = def.to_json();
    let v = if answered > 0 {
        s.version + 1
    } else {
        s.version
    };
    if answered > 0 {
        sqlx::query("INSERT INTO survey_versions (survey_id, tenant_id, version, definition, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(&t)
            .bind(v)
            .bind(&json)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE survey_versions SET definition = $1 WHERE survey_id = $2 AND tenant_id = $3 AND version = $4")
            .bind(&json)
            .bind(id)
            .bind(&t)
            .bind(v)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE surveys SET definition = $1, version = $2, updated_at = $3 WHERE id = $4 AND tenant_id = $5")
        .bind(&json)
        .bind(v)
        .bind(&now)
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    let detail = if answered > 0 {
        format!("第{v}版（回答のある第{}版は保存）", s.version)
    } else {
        format!("第{v}版を変更")
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "survey.questions", "survey", id).detail(&detail),
    )
    .await?;
    Ok(v)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Settings {
    pub title: String,
    pub contact: String,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub anonymous: bool,
    pub invitation_only: bool,
}

/// Title, dates and modes. Anonymity cannot be switched off once answers arrived
/// (those who answered were told their answer was anonymous).
pub async fn set_settings(db: &Db, ctx: &Ctx, id: &str, s: &Settings) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let (o, c) = check_settings(&s.title, &s.contact, &s.opens_on, &s.closes_on)
        .map_err(AppError::Validation)?;
    let mut tx = db.begin_write().await?;
    let cur = load(&mut tx, ctx, &t, id).await?;
    if cur.anonymous && !s.anonymous && cur.responses > 0 {
        return Err(AppError::invalid("anonymous", "回答が届いた調査は、無記名のまま変えられません（回答した人には無記名と伝えています）。"));
    }
    sqlx::query("UPDATE surveys SET title = $1, opens_on = $2, closes_on = $3, anonymous = $4, invitation_only = $5, updated_at = $6, contact = $9 WHERE id = $7 AND tenant_id = $8")
        .bind(s.title.trim())
        .bind(&o)
        .bind(&c)
        .bind(s.anonymous as i64)
        .bind(s.invitation_only as i64)
        .bind(time::now_db())
        .bind(id)
        .bind(&t)
        .bind(s.contact.trim())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "survey.settings", "survey", id).detail(s.title.trim()),
    )
    .await?;
    Ok(())
}

/// Opens (`open`) or closes (`closed`) the survey; the same status again changes nothing.
pub async fn set_status(db: &Db, ctx: &Ctx, id: &str, status: &str) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    if status != "open" && status != "closed" {
        return Err(AppError::invalid(
            "status",
            "status は open（受付を始める）か closed（締め切る）です。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let cur = load(&mut tx, ctx, &t, id).await?;
    if cur.status == status {
        return Ok(());
    }
    sqlx::query("UPDATE surveys SET status = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
        .bind(status)
        .bind(time::now_db())
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    let action = if status == "open" {
        "survey.open"
    } else {
        "survey.close"
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), action, "survey", id).detail(&cur.title),
    )
    .await?;
    Ok(())
}

/// What the public answer page needs, found by the link's token.
#[derive(Debug, Clone)]
pub struct PublicSurvey {
    pub id: String,
    pub tenant: TenantId,
    pub tenant_name: String,
    pub title: String,
    pub contact: String,
    pub version: i64,
    pub definition: Definition,
    pub invitation_only: bool,
    pub anonymous: bool,
    pub accepting: bool,
    pub closes_on: Option<String>,
}

/// The survey a token opens (open or not: the page says which), or None.
pub async fn public(db: &Db, token: &str) -> AppResult<Option<PublicSurvey>> {
    let Some(token) = canonical_token(token) else {
        return Ok(None);
    };
    let mut conn = db.pool.acquire().await?;
    public_in(&mut conn, &token).await
}

async fn public_in(conn: &mut Conn, token: &str) -> AppResult<Option<PublicSurvey>> {
    let Some(r) = sqlx::query(
        "SELECT s.id, s.tenant_id, s.title, s.contact, s.version, s.definition, s.invitation_only, s.anonymous, s.status, s.opens_on, s.closes_on, n.name AS tenant_name \
         FROM surveys s JOIN tenants n ON n.id = s.tenant_id WHERE s.token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let tenant_name: String = r.try_get("tenant_name")?;
    // No account: the survey's tenant, found by its token, is the one answered in.
    let tenant = Ctx::system_in(
        Role::Partner,
        Tenancy {
            id: r.try_get("tenant_id")?,
            code: String::new(),
            name: tenant_name.clone(),
        },
    )
    .tenant()?
    .clone();
    let status: String = r.try_get("status")?;
    let opens_on: Option<String> = r.try_get("opens_on")?;
    let closes_on: Option<String> = r.try_get("closes_on")?;
    let today = time::today_jst().format("%Y-%m-%d").to_string();
    if status == "draft" {
        return Ok(None);
    }
    Ok(Some(PublicSurvey {
        id: r.try_get("id")?,
        tenant,
        tenant_name,
        title: r.try_get("title")?,
        contact: r.try_get("contact")?,
        version: r.try_get("version")?,
        definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
            .map_err(anyhow::Error::from)?,
        invitation_only: r.try_get::<i64, _>("invitation_only")? != 0,
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        accepting: accepting(&status, opens_on.as_deref(), closes_on.as_deref(), &today),
        closes_on,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    New,
    /// The same form (submission key) was already saved: nothing added.
    Again,
}

/// `submission`: the key the form carried (16–64 of [A-Za-z0-9-]).
fn check_submission(s: &str) -> AppResult<()> {
    if (16..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(())
    } else {
        Err(AppError::invalid(
            "submission",
            "送信の控えが読み取れません。画面を開き直してから、もう一度送信してください。",
        ))
    }
}

/// Saves one answer through a public link. Everything is checked first; the survey must
/// be taking answers when it is written, an invitation code (when given, or when the
/// survey takes only those) must be unspent, and the same submission key is saved once.
pub async fn submit(
    db: &Db,
    token: &str,
    code: &str,
    submission: &str,
    sent: &std::collections::BTreeMap<String, Vec<String>>,
) -> AppResult<Saved> {
    let token = canonical_token(token).ok_or(AppError::NotFound)?;
    check_submission(submission)?;
    let s = public(db, &token).await?.ok_or(AppError::NotFound)?;
    let answers = answers::read(&s.definition, sent).map_err(AppError::Validation)?;
    let mut tx = db.begin_write().await?;
    let now_s = public_in(&mut tx, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    if now_s.id != s.id || now_s.version != s.version {
        return Err(AppError::Conflict("回答のあいだに質問が変わりました。お手数ですが、画面を開き直して、もう一度答えてください。".into()));
    }
    if !now_s.accepting {
        return Err(AppError::Conflict(
            "この調査の受付は終わっています。".into(),
        ));
    }
    save(
        &mut tx,
        &s.tenant,
        &s.id,
        s.version,
        s.invitation_only,
        code,
        submission,
        &answers,
        "web",
        None,
        s.anonymous,
    )
    .await
    .and_then_commit(
        tx,
        Entry::anonymous(
            "調査の回答者（無記名）",
            Some(s.tenant.as_str()),
            "survey.answer",
            "survey",
            &s.id,
        ),
    )
    .await
}

/// An answer written in `tx` (and its code spent), or Saved::Again.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn save(
    tx: &mut Tx,
    tenant: &TenantId,
    survey_id: &str,
    version: i64,
    invitation_only: bool,
    code: &str,
    submission: &str,
    answers: &Answers,
    source: &str,
    entered_by: Option<&str>,
    anonymous: bool,
) -> AppResult<Saved> {
    let seen: Option<String> = sqlx::query_scalar("SELECT id FROM survey_responses WHERE survey_id = $1 AND tenant_id = $2 AND submission = $3")
        .bind(survey_id)
        .bind(tenant)
        .bind(submission)
        .fetch_optional(&mut **tx)
        .await?;
    if seen.is_some() {
        return Ok(Saved::Again);
    }
    let code = code.trim();
    if invitation_only || !code.is_empty() {
        let Some(c) = super::invite::canonical_code(code) else {
            return Err(AppError::invalid(
                "code",
                if code.is_empty() {
                    "この調査は、お手紙に書いてある「回答コード」を入れて答えます。"
                } else {
                    "回答コードが正しくありません。お手紙に書いてある 8 文字を、もう一度確かめてください。"
                },
            ));
        };
        let spent = sqlx::query("UPDATE survey_invitations SET used_at = $1 WHERE survey_id = $2 AND tenant_id = $3 AND code_hash = $4 AND used_at IS NULL")
            .bind(time::now_db())
            .bind(survey_id)
            .bind(tenant)
            .bind(sha256_hex(&c))
            .execute(&mut **tx)
            .await?;
        if spent.rows_affected() != 1 {
            return Err(AppError::invalid(
                "code",
                "この回答コードは使えません（すでに回答があったか、正しくありません）。",
            ));
        }
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND tenant_id = $2",
    )
    .bind(survey_id)
    .bind(tenant)
    .fetch_one(&mut **tx)
    .await?;
    if n >= MAX_RESPONSES {
        return Err(AppError::Conflict(format!(
            "この調査は回答数の上限（{MAX_RESPONSES}件）に達しました。"
        )));
    }
    sqlx::query("INSERT INTO survey_responses (id, tenant_id, survey_id, version, submission, source, answers, entered_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(new_id())
        .bind(tenant)
        .bind(survey_id)
        .bind(version)
        .bind(submission)
        .bind(source)
        .bind(serde_json::to_string(answers).map_err(anyhow::Error::from)?)
        .bind(if anonymous { None } else { entered_by })
        .bind(time::now_db())
        .execute(&mut **tx)
        .await?;
    Ok(Saved::New)
}

/// Commits `tx` with `e` when the save added an answer (rolls back otherwise).
trait ThenCommit {
    async fn and_then_commit(self, tx: Tx, e: Entry) -> AppResult<Saved>;
}

impl ThenCommit for AppResult<Saved> {
    async fn and_then_commit(self, tx: Tx, e: Entry) -> AppResult<Saved> {
        match self? {
            Saved::New => {
                audit::commit(tx, e).await?;
                Ok(Saved::New)
            }
            Saved::Again => Ok(Saved::Again),
        }
    }
}

/// A paper answer keyed in by staff (the same checks as the public form).
pub async fn enter_paper(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    code: &str,
    submission: &str,
    sent: &std::collections::BTreeMap<String, Vec<String>>,
) -> AppResult<Saved> {
    let t = writer(ctx)?.clone();
    check_submission(submission)?;
    let s = get(db, ctx, id).await?;
    let def = s.definition.as_ref().ok_or(AppError::NotFound)?;
    let answers = answers::read(def, sent).map_err(AppError::Validation)?;
    let mut tx = db.begin_write().await?;
    let cur = load(&mut tx, ctx, &t, id).await?;
    if cur.version != s.version {
        return Err(AppError::Conflict(
            "入力のあいだに質問が変わりました。画面を開き直してください。".into(),
        ));
    }
    save(
        &mut tx,
        &t,
        id,
        s.version,
        false,
        code,
        submission,
        &answers,
        "paper",
        Some(&ctx.display_name),
        s.anonymous,
    )
    .await
    .and_then_commit(
        tx,
        Entry::new(ctx, Some(&t), "survey.paper_answer", "survey", id).detail(&s.title),
    )
    .await
}

/// A stored answer.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub id: String,
    pub version: i64,
    pub source: String,
    pub answers: Answers,
    pub submitted_at: String,
}

/// Every answer of a survey, oldest first.
pub async fn responses(db: &Db, ctx: &Ctx, id: &str) -> AppResult<(Survey, Vec<Response>)> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    let s = load(&mut conn, ctx, t, id).await?;
    let rows = sqlx::query("SELECT id, version, source, answers, submitted_at FROM survey_responses WHERE survey_id = $1 AND tenant_id = $2 ORDER BY submitted_at, id")
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Response {
            id: r.try_get("id")?,
            version: r.try_get("version")?,
            source: r.try_get("source")?,
            answers: serde_json::from_str(&r.try_get::<String, _>("answers")?)
                .map_err(anyhow::Error::from)?,
            submitted_at: r.try_get("submitted_at")?,
        });
    }
    Ok((s, out))
}
