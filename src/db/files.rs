//! SQLite files: the data directory's lock (one server per data directory, and no
//! restore under a running one), the online backup (SQLite's backup API), the integrity
//! check and the swap of a restored copy into place.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};

/// The database file in a data directory.
pub fn db_file(data_dir: &Path) -> PathBuf {
    data_dir.join("yorube.db")
}

/// An exclusive lock on `DIR/yorube.lock`, held while it lives (the server holds one;
/// `yorube restore` takes it before it replaces anything). The file holds the PID.
pub struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(data_dir: &Path) -> anyhow::Result<DirLock> {
        std::fs::create_dir_all(data_dir).with_context(|| {
            format!("データディレクトリ {} を作成できません", data_dir.display())
        })?;
        let path = data_dir.join("yorube.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("{} を開けません", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                bail!(
                    "データディレクトリ {} は別の yorube（PID {}）が使用中です",
                    data_dir.display(),
                    pid.trim()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{} をロックできません", path.display()))
            }
        }
        file.set_len(0)?;
        write!(file, "{}", std::process::id())?;
        file.sync_data()?;
        Ok(DirLock { _file: file })
    }
}

/// A consistent copy of the SQLite database `src` at `out`, made while others write:
/// SQLite's backup API in one step (one read transaction, so one snapshot; in WAL mode
/// writers do not wait for it), then the copy is made a single file (no WAL), checked
/// (`integrity_check`), synced and moved into place.
pub fn online_copy(src: &Path, out: &Path) -> anyhow::Result<()> {
    if !src.exists() {
        bail!("データベース {} がありません", src.display());
    }
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let from = Connection::open_with_flags(
            src,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        from.busy_timeout(Duration::from_secs(10))?;
        let mut to = Connection::open(&partial)
            .with_context(|| format!("{} を作成できません", partial.display()))?;
        {
            let b = rusqlite::backup::Backup::new(&from, &mut to)?;
            loop {
                match b.step(-1)? {
                    rusqlite::backup::StepResult::Done => break,
                    rusqlite::backup::StepResult::More => {}
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        to.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
        integrity_check(&to)?;
    }
    File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, out)
        .with_context(|| format!("{} に書き込めません", out.display()))?;
    sync_dir(out);
    Ok(())
}

/// `PRAGMA integrity_check`: Err with SQLite's first findings unless it says ok.
pub fn integrity_check(conn: &Connection) -> anyhow::Result<()> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let found: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if found != ["ok"] {
        bail!(
            "データベースの整合性検査で異常が見つかりました: {}",
            found.into_iter().take(5).collect::<Vec<_>>().join(" / ")
        );
    }
    Ok(())
}

/// SHA-256 of a file, as hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Makes the SQLite file at `path` a single file (its WAL copied back and removed),
/// so that it can be moved without its companions. Nothing else may have it open.
pub fn to_single_file(path: &Path) -> anyhow::Result<()> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    Ok(())
}

/// Puts the checked copy `staged` in place of the data directory's database. The
/// database it replaces (with its WAL) is kept beside it as `yorube.db.before-restore-…`.
/// Returns where the old one went, if there was one.
pub fn swap_in(data_dir: &Path, staged: &Path) -> anyhow::Result<Option<PathBuf>> {
    let target = db_file(data_dir);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = data_dir.join(format!("yorube.db.before-restore-{stamp}"));
    let had = target.exists();
    if had {
        std::fs::rename(&target, &kept)?;
    }
    for ext in ["-wal", "-shm"] {
        let side = data_dir.join(format!("yorube.db{ext}"));
        if side.exists() {
            std::fs::rename(
                &side,
                data_dir.join(format!("yorube.db.before-restore-{stamp}{ext}")),
            )?;
        }
    }
    std::fs::rename(staged, &target)?;
    sync_dir(&target);
    Ok(had.then_some(kept))
}

fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent() {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}
