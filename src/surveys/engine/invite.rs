//! Personal invitation codes (回答コード): eight characters of Crockford's base32 (40
//! random bits, `7KQ2-M9XD`), printed on a letter that goes out with, for example, the
//! 受給者証 renewal notice. A code opens the form once; who it was sent to (the label)
//! stays in the staff's list and is never stored with the answer, so that a reminder can
//! go to those who have not answered while the answers stay anonymous.

use serde::Serialize;
use sqlx::Row;

use super::store::{new_id, reader, writer};
use crate::audit::{self, Entry};
use crate::auth::{sha256_hex, Ctx};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::{time, AppError};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Most codes made at once.
pub const MAX_BATCH: usize = 5000;

pub fn new_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let v = u64::from_le_bytes(b);
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        s.push(ALPHABET[((v >> (5 * i)) & 31) as usize] as char);
    }
    s
}

/// The code as typed (case, hyphens and spaces, O → 0, I/L → 1 forgiven), or None.
pub fn canonical_code(code: &str) -> Option<String> {
    let t = crate::text::nfkc(code);
    if t.len() > 32 {
        return None;
    }
    let mut out = String::with_capacity(9);
    let mut n = 0;
    for c in t.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        if n == 4 {
            out.push('-');
        }
        out.push(c);
        n += 1;
    }
    (n == 8).then_some(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub code: String,
    pub label: String,
    pub created_at: String,
    pub used_at: Option<String>,
}

/// Makes one code per label (a label: who the letter goes to, e.g. a 受給者番号 or
/// 「12月更新分 3」); returns them in the order given.
pub async fn add(
    db: &Db,
    ctx: &Ctx,
    survey_id: &str,
    labels: &[String],
) -> AppResult<Vec<Invitation>> {
    let t = writer(ctx)?.clone();
    let mut errs = vec![];
    if labels.is_empty() {
        errs.push(FieldError::new(
            "labels",
            "送る相手を一行に一人ずつ入れてください（番号だけでもかまいません）。",
        ));
    }
    if labels.len() > MAX_BATCH {
        errs.push(FieldError::new(
            "labels",
            format!(
                "一度に作れる回答コードは {MAX_BATCH} までです（{} 行あります）。",
                labels.len()
            ),
        ));
    }
    for (i, l) in labels.iter().enumerate() {
        crate::validate::check_line(&mut errs, "labels", l, 100);
        if errs.len() > 5 {
            errs.truncate(5);
            errs.push(FieldError::new(
                "labels",
                format!("{} 行目などに直すところがあります。", i + 1),
            ));
            break;
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query_scalar::<_, String>("SELECT id FROM surveys WHERE id = $1 AND tenant_id = $2")
        .bind(survey_id)
        .bind(&t)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut out = Vec::with_capacity(labels.len());
    for l in labels {
        let code = new_code();
        sqlx::query("INSERT INTO survey_invitations (id, tenant_id, survey_id, code, code_hash, label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(new_id())
            .bind(&t)
            .bind(survey_id)
            .bind(&code)
            .bind(sha256_hex(&code))
            .bind(l.trim())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        out.push(Invitation {
            code,
            label: l.trim().to_string(),
            created_at: now.clone(),
            used_at: None,
        });
    }
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "survey.invite", "survey", survey_id)
            .detail(&format!("回答コード {} 件", labels.len())),
    )
    .await?;
    Ok(out)
}

/// The survey's codes (unanswered first when `unanswered_only` is false, then answered).
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    survey_id: &str,
    unanswered_only: bool,
) -> AppResult<Vec<Invitation>> {
    let t = reader(ctx)?;
    // The codes themselves are for those who send the letters.
    super::store::writer(ctx)?;
    let rows = sqlx::query(
        "SELECT code, label, created_at, used_at FROM survey_invitations WHERE survey_id = $1 AND tenant_id = $2 ORDER BY created_at, label, code",
    )
    .bind(survey_id)
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in &rows {
        let used_at: Option<String> = r.try_get("used_at")?;
        if unanswered_only && used_at.is_some() {
            continue;
        }
        out.push(Invitation {
            code: r.try_get("code")?,
            label: r.try_get("label")?,
            created_at: r.try_get("created_at")?,
            used_at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_back_as_typed_on_paper() {
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(c.len(), 9);
            assert_eq!(canonical_code(&c).as_deref(), Some(c.as_str()));
            assert_eq!(
                canonical_code(&c.to_lowercase().replace('-', " ")).as_deref(),
                Some(c.as_str())
            );
        }
        assert_eq!(
            canonical_code("ｏｉｌ2-ABCD").as_deref(),
            Some("0112-ABCD"),
            "全角, O/I/L forgiven"
        );
        assert_eq!(
            canonical_code("ABCD-EFGU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(canonical_code("ABC"), None);
        assert_eq!(canonical_code(&"A".repeat(100)), None);
    }
}
