//! The second factor (RFC 6238 TOTP: 6 digits, 30-second steps, SHA-1, as every
//! authenticator app reads it; totp-rs) and its recovery codes. Enrolment shows the
//! secret as a QR code drawn here as SVG (qrcode), never fetched from a service.
//! A code is accepted one step either side of now; the step last used is kept, and a
//! code already used is refused unless it comes again from the same address within its
//! step (so that a script can take two tokens in one step, but an observed code cannot
//! be replayed from elsewhere). Ten recovery codes, kept only as SHA-256, each once.

use rand::Rng;
use sqlx::Row;
use totp_rs::{Algorithm, Secret, TOTP};

use super::{sha256_hex, Ctx, Role};
use crate::audit::{self, Entry};
use crate::db::Db;
use crate::error::AppResult;
use crate::{time, AppError};

pub const ISSUER: &str = "yorube";
const STEP: u64 = 30;

/// A new random secret (160 bits), base32 without padding.
pub fn new_secret() -> String {
    match Secret::generate_secret().to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded gives Encoded"),
    }
}

/// The secret in base32 (spaces and case ignored), checked: at least 128 bits.
pub fn parse_secret(b32: &str) -> Option<Vec<u8>> {
    let s: String = b32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = Secret::Encoded(s).to_bytes().ok()?;
    (bytes.len() >= 16).then_some(bytes)
}

fn totp(secret: Vec<u8>, login: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some(ISSUER.into()),
        login.replace(':', "_"),
    )
    .ok()
}

/// The code of `secret` at unix time `t` (tests, the demo's printout).
pub fn code_at(b32: &str, t: u64) -> Option<String> {
    Some(totp(parse_secret(b32)?, "x")?.generate(t))
}

/// The step (unix time / 30) whose code `code` is, within one step of `t`.
pub fn step_of(b32: &str, code: &str, t: u64) -> Option<u64> {
    let code: String = crate::text::nfkc(code)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let tp = totp(parse_secret(b32)?, "x")?;
    let now = t / STEP;
    (now.saturating_sub(1)..=now + 1).find(|s| {
        let want = tp.generate(s * STEP);
        // Constant-time enough for six digits: compare every byte.
        want.bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    })
}

/// The otpauth:// address of an enrolment, for the QR code.
pub fn url(b32: &str, login: &str) -> Option<String> {
    Some(totp(parse_secret(b32)?, login)?.get_url())
}

/// The QR code of `text` as an SVG element (dark modules on white, with a quiet zone).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(c) => c
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build()
            .split_once("<svg")
            .map(|(_, rest)| format!("<svg{rest}"))
            .unwrap_or_default()
            .replacen(
                "<svg ",
                "<svg role=\"img\" aria-label=\"認証アプリで読み取るQRコード\" class=\"totp-qr\" ",
                1,
            ),
        Err(_) => String::new(),
    }
}

/// Ten recovery codes like 「k7q2-9fxm」 (no 0/o/1/l).
pub fn new_recovery_codes() -> Vec<String> {
    const A: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let mut r = rand::thread_rng();
    (0..10)
        .map(|_| {
            let mut s: String = (0..8).map(|_| A[r.gen_range(0..A.len())] as char).collect();
            s.insert(4, '-');
            s
        })
        .collect()
}

fn normalise_recovery(code: &str) -> String {
    crate::text::nfkc(code)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether the second factor is required of `role` (administrators) or by the tenant.
pub fn required(role: Role, tenant_requires: bool) -> bool {
    matches!(role, Role::TenantAdmin | Role::SystemAdmin) || tenant_requires
}

/// What the sign-in knows of a user's second factor.
pub struct Factor {
    pub secret: Option<String>,
    pub last_step: i64,
    pub last_addr: String,
}

pub async fn factor(db: &Db, user_id: &str) -> AppResult<Factor> {
    let r =
        sqlx::query("SELECT totp_secret, totp_last_step, totp_last_addr FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&db.pool)
            .await?;
    Ok(Factor {
        secret: r.try_get::<Option<String>, _>("totp_secret")?,
        last_step: r.try_get("totp_last_step")?,
        last_addr: r.try_get("totp_last_addr")?,
    })
}

/// Checks a code (or a recovery code) of a user with a second factor at sign-in from
/// `addr`; records its step, or uses up the recovery code. False when it is wrong or
/// replayed.
pub async fn check(db: &Db, user_id: &str, f: &Factor, code: &str, addr: &str) -> AppResult<bool> {
    let Some(secret) = &f.secret else {
        return Ok(true);
    };
    let now = time::now().timestamp().max(0) as u64;
    if let Some(step) = step_of(secret, code, now) {
        let step = step as i64;
        let replay = step < f.last_step || (step == f.last_step && f.last_addr != addr);
        if replay {
            return Ok(false);
        }
        // Moves forward only: two sign-ins at once cannot both move it back.
        sqlx::query(
            "UPDATE users SET totp_last_step = $1, totp_last_addr = $2 WHERE id = $3 AND totp_last_step <= $1",
        )
        .bind(step)
        .bind(addr)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
        return Ok(true);
    }
    let norm = normalise_recovery(code);
    if norm.len() != 8 {
        return Ok(false);
    }
    let used = sqlx::query(
        "UPDATE totp_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(time::now_db())
    .bind(user_id)
    .bind(sha256_hex(&norm))
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// Enrols `secret` for the caller (at `addr`) once `code` proves their app reads it;
/// returns the recovery codes to show once. Audited; the user gets a notice.
pub async fn enrol(
    db: &Db,
    ctx: &Ctx,
    secret: &str,
    code: &str,
    addr: &str,
) -> AppResult<Vec<String>> {
    if parse_secret(secret).is_none() {
        return Err(AppError::invalid(
            "code",
            "設定をやり直してください（秘密鍵が正しくありません）。",
        ));
    }
    let now = time::now().timestamp().max(0) as u64;
    let Some(step) = step_of(secret, code, now) else {
        return Err(AppError::invalid(
            "code",
            "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入れてください（端末の時刻がずれていないかも確かめてください）。",
        ));
    };
    let codes = new_recovery_codes();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3, totp_last_addr = $4 WHERE id = $5")
        .bind(secret)
        .bind(time::now_db())
        .bind(step as i64)
        .bind(addr)
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    store_codes(&mut tx, &ctx.user_id, &codes).await?;
    super::account::notify(
        &mut tx,
        &ctx.user_id,
        "2段階認証（認証アプリ）を設定しました。心当たりがない場合は、すぐに管理者へ連絡してください。",
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.totp_enrol",
            "user",
            &ctx.user_id,
        ),
    )
    .await?;
    super::session::forget_all();
    Ok(codes)
}

async fn store_codes(tx: &mut crate::db::Tx, user_id: &str, codes: &[String]) -> AppResult<()> {
    sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for c in codes {
        sqlx::query(
            "INSERT INTO totp_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(sha256_hex(&normalise_recovery(c)))
        .bind(time::now_db())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Enrols a known secret without a code (the demo loader and `yorube user`): no notice.
pub async fn enrol_known(tx: &mut crate::db::Tx, user_id: &str, secret: &str) -> AppResult<()> {
    if parse_secret(secret).is_none() {
        return Err(AppError::invalid(
            "totp_secret",
            "TOTP の秘密鍵は base32 で 128 ビット以上にしてください。",
        ));
    }
    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = 0, totp_last_addr = '' WHERE id = $3")
        .bind(secret)
        .bind(time::now_db())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Whether the caller's tenant requires the second factor of every user.
pub async fn tenant_requires(db: &Db, ctx: &Ctx) -> AppResult<bool> {
    let Some(t) = &ctx.tenant_id else {
        return Ok(false);
    };
    let v: Option<i64> = sqlx::query_scalar("SELECT require_totp FROM tenants WHERE id = $1")
        .bind(t)
        .fetch_optional(&db.pool)
        .await?;
    Ok(v.unwrap_or(0) != 0)
}

/// A tenant_admin requires the second factor of every user of the tenant (or stops
/// requiring it of those who are not administrators). Audited.
pub async fn set_tenant_requires(db: &Db, ctx: &Ctx, on: bool) -> AppResult<()> {
    super::policy::require(ctx, super::Action::ManageUsers)?;
    let t = ctx.tenant()?.clone();
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE tenants SET require_totp = $1 WHERE id = $2")
        .bind(on as i64)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "tenant.require_totp", "tenant", &t).detail(if on {
            "すべての利用者に2段階認証を求める"
        } else {
            "2段階認証は管理者だけに求める"
        }),
    )
    .await?;
    super::session::forget_all();
    Ok(())
}

/// How many unused recovery codes the caller has left.
pub async fn codes_left(db: &Db, user_id: &str) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1, 8 digits: 94287082 at 59 s; six digits are its tail.
    const RFC: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_vectors() {
        assert_eq!(code_at(RFC, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(RFC, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(code_at(RFC, 2_000_000_000).as_deref(), Some("279037"));
    }

    #[test]
    fn a_code_is_taken_one_step_either_side() {
        let t = 1_111_111_109;
        let c = code_at(RFC, t).unwrap();
        assert_eq!(step_of(RFC, &c, t), Some(t / 30));
        assert_eq!(step_of(RFC, &c, t + 30), Some(t / 30));
        assert_eq!(step_of(RFC, &c, t - 30), Some(t / 30));
        assert_eq!(step_of(RFC, &c, t + 90), None);
        assert_eq!(step_of(RFC, "１２３", t), None);
        assert_eq!(
            step_of(RFC, &format!(" {c} "), t),
            Some(t / 30),
            "spaces are ignored"
        );
    }

    #[test]
    fn secrets_and_recovery_codes() {
        assert!(
            parse_secret("JBSWY3DPEHPK3PXP").is_none(),
            "80 bits is too short"
        );
        assert!(parse_secret("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp").is_some());
        assert!(parse_secret(&new_secret()).is_some());
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes
            .iter()
            .all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'));
        assert_eq!(normalise_recovery("K7Q2-9FXM"), "k7q29fxm");
        assert!(
            qr_svg("otpauth://totp/yorube:a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
                .starts_with("<svg")
        );
        assert!(
            required(Role::TenantAdmin, false)
                && !required(Role::Nurse, false)
                && required(Role::Nurse, true)
        );
    }
}
