//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_LEN: usize = 10;

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

/// Checks a new password; the message is shown to the user.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LEN {
        return Err(format!("パスワードは{MIN_LEN}文字以上にしてください。"));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err("数字だけのパスワードは使えません。英字や記号を含めてください。".into());
    }
    Ok(())
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
        assert!(check_strength("short").is_err());
        assert!(check_strength("1234567890").is_err());
        assert!(check_strength("kodomo-2026").is_ok());
        assert_eq!(generate().len(), 14);
    }
}
