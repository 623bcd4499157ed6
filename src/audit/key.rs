//! The audit key: the secret of the keyed chain (HMAC-SHA256), kept in a file outside
//! the database so that someone who can write the database cannot re-hash the chain.
//!
//! Where the file is (`resolve`): `--audit-key-file` / `YORUBE_AUDIT_KEY_FILE`, else
//! `yorube-audit.key` in the data directory's parent (not in the data directory, so
//! that a copy of the data directory does not carry the key). It is created with mode
//! 0600 on first start when missing, and refused when group or others may read it.
//! The signed checkpoints (`checkpoint`) are appended to a file beside it.
//!
//! One process serves one deployment, so the key is installed once per process
//! (`install`) and read by every append, which has only its transaction at hand.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{bail, Context};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The default name of the key file (in the data directory's parent).
pub const FILE_NAME: &str = "yorube-audit.key";

pub struct Key {
    mac: HmacSha256,
    /// A short public name of the key (stored with each row): SHA-256 of the key, 16 hex.
    pub id: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish()
    }
}

static CURRENT: RwLock<Option<Arc<Key>>> = RwLock::new(None);

impl Key {
    fn from_bytes(bytes: &[u8], path: PathBuf) -> Key {
        let mut h = Sha256::new();
        h.update(b"yorube-audit-key-id\x1f");
        h.update(bytes);
        Key {
            mac: HmacSha256::new_from_slice(bytes).expect("HMAC takes any key length"),
            id: hex::encode(h.finalize())[..16].to_string(),
            path,
        }
    }

    /// HMAC-SHA256 over `parts`, separated by the unit separator, as hex.
    pub fn sign(&self, parts: &[&str]) -> String {
        let mut m = self.mac.clone();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                m.update(b"\x1f");
            }
            m.update(p.as_bytes());
        }
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether `mac` is `sign(parts)` (compared in constant time).
    pub fn check(&self, parts: &[&str], mac: &str) -> bool {
        let Ok(given) = hex::decode(mac) else {
            return false;
        };
        let mut m = self.mac.clone();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                m.update(b"\x1f");
            }
            m.update(p.as_bytes());
        }
        m.verify_slice(&given).is_ok()
    }

    /// The checkpoint file beside the key (`yorube-audit.key` → `yorube-audit.checkpoints`).
    pub fn checkpoint_path(&self) -> PathBuf {
        self.path.with_extension("checkpoints")
    }

    /// Reads the key file. Refused when group or others may read it.
    pub fn load(path: &Path) -> anyhow::Result<Key> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("監査ログの鍵ファイル {} を読めません", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                bail!(
                    "監査ログの鍵ファイル {} は他の利用者も読める権限です（{:o}）。chmod 600 にしてください",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() >= 32);
        let Some(bytes) = bytes else {
            bail!(
                "監査ログの鍵ファイル {} の形式が正しくありません（64 桁以上の16進数）",
                path.display()
            );
        };
        Ok(Key::from_bytes(&bytes, path.to_path_buf()))
    }

    /// Makes a new random key file (mode 0600; never overwrites one).
    pub fn create(path: &Path) -> anyhow::Result<Key> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{} を作成できません", dir.display()))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(path)
            .with_context(|| format!("監査ログの鍵ファイル {} を作成できません", path.display()))?;
        writeln!(f, "{}", hex::encode(bytes))?;
        f.sync_all()?;
        Ok(Key::from_bytes(&bytes, path.to_path_buf()))
    }
}

/// Where the key file is: the given file, else `yorube-audit.key` in the data
/// directory's parent. None when neither is known (PostgreSQL without either).
pub fn resolve(given: Option<&Path>, data_dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    let dir = data_dir?;
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let parent = abs.parent().map(Path::to_path_buf).unwrap_or(abs);
    Some(parent.join(FILE_NAME))
}

/// Makes `key` the key of this process's appends, checks and checkpoints.
pub fn install(key: Key) -> Arc<Key> {
    let key = Arc::new(key);
    *CURRENT.write().unwrap_or_else(|p| p.into_inner()) = Some(key.clone());
    key
}

/// Loads (or, when `create`, makes) the key file at `path` and installs it.
pub fn install_file(path: &Path, create: bool) -> anyhow::Result<Arc<Key>> {
    let key = if path.exists() || !create {
        Key::load(path)?
    } else {
        let k = Key::create(path)?;
        tracing::warn!(path = %path.display(), key_id = %k.id, "監査ログの鍵ファイルを作成しました（バックアップとは別に安全に保管してください）");
        k
    };
    Ok(install(key))
}

/// The installed key, if any.
pub fn current() -> Option<Arc<Key>> {
    CURRENT.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The installed key, or the error every append gives without one.
pub fn required() -> anyhow::Result<Arc<Key>> {
    current().context(
        "監査ログの鍵が読み込まれていません（--audit-key-file または YORUBE_AUDIT_KEY_FILE を指定してください）",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_checks() {
        let k = Key::from_bytes(&[7u8; 32], PathBuf::from("/x/yorube-audit.key"));
        let mac = k.sign(&["a", "b"]);
        assert!(k.check(&["a", "b"], &mac));
        assert!(!k.check(&["a", "c"], &mac));
        assert!(!k.check(&["ab"], &mac), "separator keeps fields apart");
        assert!(!k.check(&["a", "b"], "zz"));
        assert_eq!(
            k.checkpoint_path(),
            PathBuf::from("/x/yorube-audit.checkpoints")
        );
    }

    #[test]
    fn created_files_are_private_and_load_back() {
        let dir = tempfile_dir();
        let p = dir.join("k.key");
        let a = Key::create(&p).unwrap();
        let b = Key::load(&p).unwrap();
        assert_eq!(a.id, b.id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(Key::load(&p).is_err());
        }
        assert!(Key::create(&p).is_err(), "never overwritten");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn default_place_is_the_data_dirs_parent() {
        assert_eq!(
            resolve(None, Some(Path::new("/var/lib/yorube/data"))),
            Some(PathBuf::from("/var/lib/yorube/yorube-audit.key"))
        );
        assert_eq!(
            resolve(Some(Path::new("/etc/k")), Some(Path::new("/d"))),
            Some(PathBuf::from("/etc/k"))
        );
        assert_eq!(resolve(None, None), None);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("yorube-key-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
