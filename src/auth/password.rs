//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), on blocking
//! threads: a sign-in's verification waits for one of a few permits (`Verifier`), so a
//! flood of sign-ins cannot take every core from signed-in users, and is answered at
//! once with 429 when the short queue in front of them is full.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::db::Db;
use crate::error::AppResult;
use crate::AppError;

pub const MIN_LEN: usize = crate::validate::PASSWORD_MIN_CHARS;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the login is unknown, so that unknown logins take
/// as long as wrong passwords.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash("yorube-dummy-password").unwrap_or_default())
}

/// Checks a new password of the user `login` (validate::new_password); the message is
/// shown to the user.
pub fn check_strength(password: &str, login: &str) -> Result<(), String> {
    crate::validate::new_password(password, login)
}

/// The message when every verification permit and queue place is taken.
pub const MSG_BUSY: &str = "混み合っています。少し待ってから、もう一度ログインしてください。";

/// Verifications allowed at once: half the cores (at least one), so that a flood of
/// sign-ins leaves the other half to signed-in users. Beyond those, `QUEUE` more may wait;
/// anything further is answered at once with 429.
pub struct Verifier {
    run: std::sync::Arc<tokio::sync::Semaphore>,
    admission: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Sign-ins that may wait for a permit (40 parallel attempts on one login all get counted).
pub const QUEUE: usize = 64;

impl Default for Verifier {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let permits = (cores / 2).max(1);
        Verifier {
            run: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
            admission: std::sync::Arc::new(tokio::sync::Semaphore::new(permits + QUEUE)),
        }
    }
}

impl Verifier {
    /// Takes every place (tests: to see the 429). Dropping the result gives them back.
    pub fn hold_all(&self) -> Vec<tokio::sync::OwnedSemaphorePermit> {
        let mut held = vec![];
        while let Ok(p) = self.admission.clone().try_acquire_owned() {
            held.push(p);
        }
        held
    }
}

/// A place in the verifier's queue, taken before any other work of a sign-in.
pub struct Admission(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// Takes a place in the database's `Verifier` queue, or Busy (429) at once when it is
/// full: before the attempt is counted or anything read, so a flood beyond the queue
/// costs no database write.
pub fn admit(db: &Db) -> AppResult<Admission> {
    db.ext::<Verifier>()
        .admission
        .clone()
        .try_acquire_owned()
        .map(Admission)
        .map_err(|_| AppError::Busy(MSG_BUSY.into()))
}

/// Verifies a password on a blocking thread once one of the verifier's permits is free
/// (the caller holds its `Admission`).
pub async fn verify_admitted(
    db: &Db,
    _place: &Admission,
    password: &str,
    phc: &str,
) -> AppResult<bool> {
    let _run = db
        .ext::<Verifier>()
        .run
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("verifier closed: {e}")))?;
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password check failed: {e}")))
}

/// `admit` and `verify_admitted` in one.
pub async fn verify_limited(db: &Db, password: &str, phc: &str) -> AppResult<bool> {
    let place = admit(db)?;
    verify_admitted(db, &place, password, phc).await
}

/// `hash` on a blocking thread (creating, resetting or changing a password).
pub async fn hash_blocking(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))?
        .map_err(AppError::Internal)
}

/// `dummy_hash` made on a blocking thread the first time.
pub async fn dummy_hash_blocking() -> AppResult<&'static str> {
    tokio::task::spawn_blocking(dummy_hash)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// A readable random password for generated accounts (no 0/O, 1/l/I).
pub fn generate() -> String {
    use rand::seq::SliceRandom;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let chunk = |rng: &mut rand::rngs::OsRng| -> String {
        (0..4)
            .map(|_| *ALPHABET.choose(rng).unwrap_or(&b'x') as char)
            .collect()
    };
    format!(
        "{}-{}-{}",
        chunk(&mut rng),
        chunk(&mut rng),
        chunk(&mut rng)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn strength_rules() {
        assert!(check_strength("short", "x").is_err());
        assert!(check_strength("123456789012", "x").is_err());
        assert!(check_strength("kodomo-2026-x", "x").is_ok());
        assert_eq!(generate().len(), 14);
    }
}
