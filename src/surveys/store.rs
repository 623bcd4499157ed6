//! SQL of the training survey. Staff functions take `&Ctx` and carry the caller's
//! tenant; the two public functions (`public_link`, `submit`) take only the link's
//! token, and everything they touch is found through it.
//!
//! Links: one per phase, a 125-bit random token (base32, see `new_token`). The token is stored so that staff can
//! show and print the link again at any time (it lets its holder do one thing only:
//! answer that phase anonymously while it is open); it is looked up by its SHA-256
//! (`token_hash`), so no comparison ever runs on the secret itself. Closing a phase, or
//! issuing a new link, stops the old one at once.

use serde::Serialize;
use sqlx::Row;

use super::model::{self, Aggregate, Answered, Phase, QuestionSet, Response, Sent};
use crate::audit::{self, Entry};
use crate::auth::{policy, sha256_hex, Action, Ctx, Role, Tenancy, TenantId};
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::{time, AppError};

/// Most answers one phase accepts (a training has tens of participants).
pub const MAX_ANSWERS: i64 = 1000;

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn reader(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ViewNetwork)?;
    ctx.tenant()
}

fn writer(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ManageNetwork)?;
    ctx.tenant()
}

/// Crockford's base32: no i, l, o, u, so that a printed link is read and typed back
/// without doubt.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const TOKEN_CHARS: usize = 25;

/// A new link token: 125 random bits as 25 base32 characters in groups of five
/// (`k7m2q-9xa0d-…`), short enough to type from a printed handout.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let v = u128::from_le_bytes(b);
    let mut s = String::with_capacity(TOKEN_CHARS + 4);
    for i in 0..TOKEN_CHARS {
        if i > 0 && i % 5 == 0 {
            s.push('-');
        }
        s.push(ALPHABET[((v >> (5 * i)) & 31) as usize] as char);
    }
    s
}

/// The canonical form of a token as typed (case, hyphens, and o → 0, i/l → 1 forgiven),
/// or None when it cannot be one.
pub fn canonical_token(token: &str) -> Option<String> {
    if token.len() > 64 {
        return None;
    }
    let mut out = String::with_capacity(TOKEN_CHARS + 4);
    let mut n = 0;
    for c in token.chars().filter(|c| *c != '-') {
        let c = match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        if n > 0 && n % 5 == 0 {
            out.push('-');
        }
        out.push(c);
        n += 1;
    }
    (n == TOKEN_CHARS).then_some(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub phase: Phase,
    pub phase_label: &'static str,
    /// not_started / open / closed
    pub status: &'static str,
    pub status_label: &'static str,
    /// `/s/TOKEN`: only for those who may manage the training (None otherwise, and
    /// before the phase was first opened).
    pub path: Option<String>,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub answers: i64,
}

impl Link {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    pub fn started(&self) -> bool {
        self.status != "not_started"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub training_id: String,
    /// None until a phase is first opened.
    pub survey_id: Option<String>,
    pub questions: QuestionSet,
    /// Always two: pre, then post.
    pub links: Vec<Link>,
}

impl Survey {
    pub fn link(&self, phase: Phase) -> &Link {
        &self.links[if phase == Phase::Pre { 0 } else { 1 }]
    }
}

async fn training_in_tenant(conn: &mut crate::db::Conn, t: &TenantId, id: &str) -> AppResult<()> {
    sqlx::query("SELECT id FROM trainings WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(t)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(())
}

/// The survey of a training: its questions (the default set until a phase is first
/// opened), and each phase's link status and answer count.
pub async fn get(db: &Db, ctx: &Ctx, training_id: &str) -> AppResult<Survey> {
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    training_in_tenant(&mut conn, t, training_id).await?;
    let row = sqlx::query(
        "SELECT id, questions FROM training_surveys WHERE training_id = $1 AND tenant_id = $2",
    )
    .bind(training_id)
    .bind(t)
    .fetch_optional(&mut *conn)
    .await?;
    let manage = policy::can(ctx, Action::ManageNetwork);
    let mut links: Vec<Link> = Phase::ALL
        .iter()
        .map(|p| Link {
            phase: *p,
            phase_label: p.label(),
            status: "not_started",
            status_label: "未開始",
            path: None,
            opened_at: None,
            closed_at: None,
            answers: 0,
        })
        .collect();
    let Some(row) = row else {
        return Ok(Survey {
            training_id: training_id.to_string(),
            survey_id: None,
            questions: QuestionSet::default_set(),
            links,
        });
    };
    let survey_id: String = row.try_get("id")?;
    let questions = QuestionSet::parse(row.try_get::<String, _>("questions")?.as_str())
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    let rows = sqlx::query(
        "SELECT l.phase, l.token, l.is_open, l.opened_at, l.closed_at, \
         (SELECT COUNT(*) FROM training_survey_answers a WHERE a.survey_id = l.survey_id AND a.tenant_id = l.tenant_id AND a.phase = l.phase) AS answers \
         FROM training_survey_links l WHERE l.survey_id = $1 AND l.tenant_id = $2",
    )
    .bind(&survey_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let Some(p) = Phase::parse(r.try_get::<String, _>("phase")?.as_str()) else {
            continue;
        };
        let l = &mut links[if p == Phase::Pre { 0 } else { 1 }];
        let opened_at: Option<String> = r.try_get("opened_at")?;
        let open = r.try_get::<i64, _>("is_open")? == 1;
        (l.status, l.status_label) = match (open, opened_at.is_some()) {
            (true, _) => ("open", "受付中"),
            (false, true) => ("closed", "締め切り"),
            (false, false) => ("not_started", "未開始"),
        };
        if manage && opened_at.is_some() {
            l.path = Some(format!("/s/{}", r.try_get::<String, _>("token")?));
        }
        l.opened_at = opened_at;
        l.closed_at = r.try_get("closed_at")?;
        l.answers = r.try_get("answers")?;
    }
    Ok(Survey {
        training_id: training_id.to_string(),
        survey_id: Some(survey_id),
        questions,
        links,
    })
}

fn not_started(phase: Phase) -> AppError {
    AppError::invalid(
        "phase",
        format!(
            "{}アンケートはまだ受付を始めていません。先に「受付を始める」を押してください。",
            phase.label()
        ),
    )
}

/// Creates the survey (with the default question set) and both links, once.
async fn ensure(tx: &mut Tx, tenant: &TenantId, training_id: &str, now: &str) -> AppResult<String> {
    if let Some(id) = sqlx::query_scalar::<_, String>(
        "SELECT id FROM training_surveys WHERE training_id = $1 AND tenant_id = $2",
    )
    .bind(training_id)
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?
    {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query("INSERT INTO training_surveys (id, tenant_id, training_id, questions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(&id)
        .bind(tenant)
        .bind(training_id)
        .bind(serde_json::to_string(&QuestionSet::default_set()).map_err(anyhow::Error::from)?)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    for p in Phase::ALL {
        let token = new_token();
        sqlx::query("INSERT INTO training_survey_links (survey_id, phase, tenant_id, token, token_hash, is_open) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(&id)
            .bind(p.as_str())
            .bind(tenant)
            .bind(&token)
            .bind(sha256_hex(&token))
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Opens or closes one phase's link (creating the survey on first opening).
/// Opening what is open, or closing what is closed, changes nothing.
pub async fn set_open(
    db: &Db,
    ctx: &Ctx,
    training_id: &str,
    phase: Phase,
    open: bool,
) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    training_in_tenant(&mut tx, &t, training_id).await?;
    let survey_id = if open {
        ensure(&mut tx, &t, training_id, &now).await?
    } else {
        match sqlx::query_scalar::<_, String>(
            "SELECT id FROM training_surveys WHERE training_id = $1 AND tenant_id = $2",
        )
        .bind(training_id)
        .bind(&t)
        .fetch_optional(&mut *tx)
        .await?
        {
            Some(id) => id,
            None => return Err(not_started(phase)),
        }
    };
    let (is_open, opened_at): (i64, Option<String>) = sqlx::query_as(
        "SELECT is_open, opened_at FROM training_survey_links WHERE survey_id = $1 AND tenant_id = $2 AND phase = $3",
    )
    .bind(&survey_id)
    .bind(&t)
    .bind(phase.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if !open && opened_at.is_none() {
        return Err(not_started(phase));
    }
    if (is_open == 1) == open {
        return Ok(()); // already so; the transaction is rolled back
    }
    if open {
        sqlx::query("UPDATE training_survey_links SET is_open = 1, opened_at = $1, closed_at = NULL WHERE survey_id = $2 AND tenant_id = $3 AND phase = $4")
            .bind(&now)
            .bind(&survey_id)
            .bind(&t)
            .bind(phase.as_str())
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE training_survey_links SET is_open = 0, closed_at = $1 WHERE survey_id = $2 AND tenant_id = $3 AND phase = $4")
            .bind(&now)
            .bind(&survey_id)
            .bind(&t)
            .bind(phase.as_str())
            .execute(&mut *tx)
            .await?;
    }
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if open {
                "training_survey.open"
            } else {
                "training_survey.close"
            },
            "training_survey",
            &survey_id,
        )
        .detail(phase.label()),
    )
    .await?;
    Ok(())
}

/// Issues a new link for a phase: the old one stops working at once (for a link that
/// reached the wrong people). The phase stays open or closed as it was.
pub async fn reissue(db: &Db, ctx: &Ctx, training_id: &str, phase: Phase) -> AppResult<()> {
    let t = writer(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    training_in_tenant(&mut tx, &t, training_id).await?;
    let survey_id: String = sqlx::query_scalar(
        "SELECT id FROM training_surveys WHERE training_id = $1 AND tenant_id = $2",
    )
    .bind(training_id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| not_started(phase))?;
    let token = new_token();
    sqlx::query("UPDATE training_survey_links SET token = $1, token_hash = $2 WHERE survey_id = $3 AND tenant_id = $4 AND phase = $5")
        .bind(&token)
        .bind(sha256_hex(&token))
        .bind(&survey_id)
        .bind(&t)
        .bind(phase.as_str())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            "training_survey.reissue",
            "training_survey",
            &survey_id,
        )
        .detail(phase.label()),
    )
    .await?;
    Ok(())
}

/// What the public answer page shows.
#[derive(Debug, Clone)]
pub struct PublicSurvey {
    pub survey_id: String,
    /// The link's tenant, as the link names it.
    pub tenant: TenantId,
    pub tenant_name: String,
    pub training_title: String,
    pub training_date: String,
    pub phase: Phase,
    pub questions: QuestionSet,
    /// The tenant's 分野 (for the optional affiliation).
    pub fields: Vec<String>,
}

/// The tenant's 分野 list (the registry's, else the default list).
async fn tenant_fields(conn: &mut crate::db::Conn, t: &TenantId) -> AppResult<Vec<String>> {
    let fields: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM agency_fields WHERE tenant_id = $1 ORDER BY position, name",
    )
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    Ok(if fields.is_empty() {
        crate::agencies::model::DEFAULT_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        fields
    })
}

/// The open phase a token answers, or None (unknown, malformed, or closed: the caller
/// shows the same page for all three).
pub async fn public_link(db: &Db, token: &str) -> AppResult<Option<PublicSurvey>> {
    let Some(token) = canonical_token(token) else {
        return Ok(None);
    };
    let mut conn = db.pool.acquire().await?;
    let Some(r) = sqlx::query(
        "SELECT l.survey_id, l.tenant_id, l.phase, s.questions, t.title, t.date, n.name AS tenant_name \
         FROM training_survey_links l \
         JOIN training_surveys s ON s.id = l.survey_id AND s.tenant_id = l.tenant_id \
         JOIN trainings t ON t.id = s.training_id AND t.tenant_id = s.tenant_id \
         JOIN tenants n ON n.id = l.tenant_id \
         WHERE l.token_hash = $1 AND l.is_open = 1",
    )
    .bind(sha256_hex(&token))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let Some(phase) = Phase::parse(r.try_get::<String, _>("phase")?.as_str()) else {
        return Ok(None);
    };
    let tenant_name: String = r.try_get("tenant_name")?;
    // The respondent has no account: the link's tenant, looked up by its token, is
    // the tenant they answer in (as the CLI acts in a tenant it looked up).
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
    let fields = tenant_fields(&mut conn, &tenant).await?;
    Ok(Some(PublicSurvey {
        survey_id: r.try_get("survey_id")?,
        tenant_name,
        training_title: r.try_get("title")?,
        training_date: r.try_get("date")?,
        phase,
        questions: QuestionSet::parse(r.try_get::<String, _>("questions")?.as_str())
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        fields,
        tenant,
    }))
}

/// Saves one anonymous answer through a link. Every value is checked first (nothing is
/// saved when one is wrong); the link must still be open when the answer is written
/// (NotFound otherwise), and a phase takes at most MAX_ANSWERS answers.
pub async fn submit(db: &Db, token: &str, sent: &Sent) -> AppResult<()> {
    let token = canonical_token(token).ok_or(AppError::NotFound)?;
    let s = public_link(db, &token).await?.ok_or(AppError::NotFound)?;
    let mut errs = vec![];
    let field = match model::check_field(&sent.field, &s.fields) {
        Ok(f) => f,
        Err(e) => {
            errs.push(e);
            String::new()
        }
    };
    let response = match model::read_answer(&s.questions, s.phase, sent) {
        Ok(r) => Some(r),
        Err(e) => {
            errs.extend(e);
            None
        }
    };
    let Some(response) = response.filter(|_| errs.is_empty()) else {
        return Err(AppError::Validation(errs));
    };
    let mut tx = db.begin_write().await?;
    let still_open: Option<String> = sqlx::query_scalar(
        "SELECT survey_id FROM training_survey_links WHERE token_hash = $1 AND is_open = 1",
    )
    .bind(sha256_hex(&token))
    .fetch_optional(&mut *tx)
    .await?;
    if still_open.as_deref() != Some(s.survey_id.as_str()) {
        return Err(AppError::NotFound);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM training_survey_answers WHERE survey_id = $1 AND tenant_id = $2 AND phase = $3",
    )
    .bind(&s.survey_id)
    .bind(&s.tenant)
    .bind(s.phase.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if n >= MAX_ANSWERS {
        return Err(AppError::Conflict(format!(
            "このアンケートは回答数が上限（{MAX_ANSWERS}件）に達したため、これ以上受け付けられません。研修会の担当者にお知らせください。"
        )));
    }
    let id = new_id();
    sqlx::query("INSERT INTO training_survey_answers (id, tenant_id, survey_id, phase, field, answers, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&id)
        .bind(&s.tenant)
        .bind(&s.survey_id)
        .bind(s.phase.as_str())
        .bind(&field)
        .bind(serde_json::to_string(&response).map_err(anyhow::Error::from)?)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::anonymous(
            "アンケート回答者（無記名）",
            Some(s.tenant.as_str()),
            "training_survey.answer",
            "training_survey",
            &s.survey_id,
        )
        .detail(s.phase.label()),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredAnswer {
    pub id: String,
    pub phase: Phase,
    pub field: String,
    pub response: Response,
    pub submitted_at: String,
}

/// Every answer of a training's survey, oldest first.
pub async fn answers(
    db: &Db,
    ctx: &Ctx,
    training_id: &str,
) -> AppResult<(Survey, Vec<StoredAnswer>)> {
    let survey = get(db, ctx, training_id).await?;
    let t = reader(ctx)?;
    let Some(sid) = &survey.survey_id else {
        return Ok((survey, vec![]));
    };
    let rows = sqlx::query("SELECT id, phase, field, answers, submitted_at FROM training_survey_answers WHERE survey_id = $1 AND tenant_id = $2 ORDER BY submitted_at, id")
        .bind(sid)
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    let mut answers = vec![];
    for r in &rows {
        let Some(phase) = Phase::parse(r.try_get::<String, _>("phase")?.as_str()) else {
            continue;
        };
        let Ok(response) = serde_json::from_str(r.try_get::<String, _>("answers")?.as_str()) else {
            continue;
        };
        answers.push(StoredAnswer {
            id: r.try_get("id")?,
            phase,
            field: r.try_get("field")?,
            response,
            submitted_at: r.try_get("submitted_at")?,
        });
    }
    Ok((survey, answers))
}

/// The survey with its aggregate (pre and post side by side, the headline changes).
pub async fn aggregate(db: &Db, ctx: &Ctx, training_id: &str) -> AppResult<(Survey, Aggregate)> {
    let (survey, list) = answers(db, ctx, training_id).await?;
    let t = reader(ctx)?;
    let mut conn = db.pool.acquire().await?;
    let fields = tenant_fields(&mut conn, t).await?;
    let answered: Vec<Answered> = list
        .iter()
        .map(|a| Answered {
            phase: a.phase,
            field: &a.field,
            response: &a.response,
        })
        .collect();
    let agg = model::aggregate(&survey.questions, &answered, &fields);
    Ok((survey, agg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_readable_and_forgiving() {
        let t = new_token();
        assert_eq!(t.len(), 29, "{t}");
        assert_eq!(t.matches('-').count(), 4);
        assert_ne!(t, new_token());
        assert_eq!(canonical_token(&t).as_deref(), Some(t.as_str()));
        let typed = t
            .replace('-', "")
            .to_uppercase()
            .replace('0', "O")
            .replace('1', "l");
        assert_eq!(canonical_token(&typed).as_deref(), Some(t.as_str()));
        assert_eq!(canonical_token("abc"), None);
        assert_eq!(
            canonical_token(&"u".repeat(25)),
            None,
            "u is not in the alphabet"
        );
        assert_eq!(canonical_token(&"0".repeat(26)), None);
        assert_eq!(
            canonical_token(&"0".repeat(25)).unwrap(),
            "00000-00000-00000-00000-00000"
        );
    }
}
