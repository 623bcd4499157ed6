//! SQLite's direct path: read-only rusqlite connections for the hottest read paths (a
//! child's record page, the follow-up list), the read audits' write connection, and the
//! background WAL checkpoints.
//!
//! sqlx runs each SQLite connection on its own worker thread and hands every query and
//! every row across threads; on these machines that hand-over, not SQLite, was about
//! half of a record page's CPU. A page's reads here run in one call, in one read
//! transaction (so its queries see one snapshot), on a connection opened read-only
//! (`SQLITE_OPEN_READ_ONLY`: it cannot write even by mistake), with its statements
//! prepared once per connection. The SQL text is the same as on PostgreSQL.
//!
//! The same type holds the audit's direct write connection (`write`) and the
//! background WAL checkpoints (`start_checkpoints`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::error::{AppError, AppResult};

/// Read connections kept open between reads (at most one read per async thread runs at
/// a time; a few more are kept for bursts).
const IDLE_READERS: usize = 8;

pub struct Direct {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The connection that checkpoints the WAL (see `start_checkpoints`).
    checkpointer: Mutex<Option<Connection>>,
    /// The connection that appends group-committed audit entries (`audit::record`).
    audit_writer: Mutex<Option<Connection>>,
}

/// How often the WAL is checkpointed in the background.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// WAL frames after which the background checkpoint also restarts the WAL (see
/// `checkpoint`): 16,000 frames are 64 MB.
const RESTART_AFTER_FRAMES: i64 = 16_000;

/// The write connections' own checkpoint threshold (pages): a backstop only, should
/// the background checkpoints stop (SQLite's default is 1,000).
pub const WAL_AUTOCHECKPOINT_PAGES: i64 = 100_000;

impl Direct {
    pub fn new(path: PathBuf) -> Direct {
        Direct {
            path,
            idle: Mutex::new(vec![]),
            checkpointer: Mutex::new(None),
            audit_writer: Mutex::new(None),
        }
    }

    /// Checkpoints the WAL every `CHECKPOINT_EVERY` in the background while `self` lives.
    /// A commit that reaches SQLite's checkpoint threshold checkpoints the WAL itself,
    /// and every request waiting for that commit (the audit's group commit) waits with
    /// it; so the write connections' threshold is set far higher
    /// (`WAL_AUTOCHECKPOINT_PAGES`) and this task copies the WAL back in between, and
    /// starts it over when it has grown (`RESTART_AFTER_FRAMES`).
    pub fn start_checkpoints(self: &std::sync::Arc<Self>) {
        let me = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(direct) = me.upgrade() else { break };
                let done = tokio::task::spawn_blocking(move || direct.checkpoint()).await;
                if let Ok(Err(e)) = done {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
    }

    fn checkpoint(&self) -> rusqlite::Result<()> {
        let mut slot = self.checkpointer.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let conn = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            // RESTART waits this long at most for a writer or readers to finish.
            conn.busy_timeout(Duration::from_millis(200))?;
            *slot = Some(conn);
        }
        if let Some(conn) = slot.as_ref() {
            // PASSIVE: copies what it can without waiting for readers or writers.
            let frames: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
            // Under a steady stream of commits the WAL is never wholly copied at the
            // moment a writer starts, so SQLite never starts it over and it grows (and
            // every read looks through more of it). RESTART holds writers back for the
            // moment it takes to copy the little PASSIVE left and to wait for readers
            // (each under a millisecond), then the next commit writes from the start.
            if frames > RESTART_AFTER_FRAMES {
                conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
            }
        }
        Ok(())
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(32);
        // Pages of the database file straight from the OS's cache, without a read()
        // and a copy each: every audit commit empties a connection's own page cache, so a
        // page's reads go back to the file (`cargo bench --bench cases` without the record
        // cache: 20% more pages per second). SQLite caps the size at its build's maximum.
        conn.pragma_update(None, "mmap_size", 1i64 << 31)?;
        Ok(conn)
    }

    /// Runs `f` in a read transaction on a pooled read-only connection.
    ///
    /// It runs on the calling async thread, like the page rendering that follows it:
    /// a record page's reads take about 0.1 ms of CPU, and handing them to a blocking
    /// thread and back cost more than that (two thread switches per page, measured with
    /// `cargo bench --bench cases`). In WAL mode a reader does not wait for writers or
    /// PASSIVE checkpoints; it may retry for a moment while `checkpoint` starts the WAL
    /// over, and the busy timeout covers the rare WAL recovery after a crash.
    /// Writes (which may wait for the write lock) go to a blocking thread (`write`).
    pub fn read<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> AppResult<T>) -> AppResult<T> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match taken {
            Some(c) => c,
            None => self.open().map_err(internal)?,
        };
        let out = {
            let tx = conn.transaction().map_err(internal)?;
            let out = f(&tx);
            // Read-only: ending it either way releases the snapshot.
            tx.rollback().map_err(internal)?;
            out
        };
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

impl Direct {
    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`: it holds SQLite's write lock
    /// from its first statement, as `Db::begin_write` does) on this process's one
    /// direct write connection, off the async threads. Used by the audit's group commit,
    /// whose five statements would otherwise be five hand-overs to a sqlx thread while
    /// every waiting request waits for them.
    pub async fn write<T, F>(self: &std::sync::Arc<Self>, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction) -> AppResult<T> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut slot = me.audit_writer.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                let conn = Connection::open_with_flags(
                    &me.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(internal)?;
                conn.busy_timeout(Duration::from_secs(10))
                    .map_err(internal)?;
                conn.execute_batch(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
                ))
                .map_err(internal)?;
                *slot = Some(conn);
            }
            let conn = slot.as_mut().expect("opened above");
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(internal)?;
            let out = f(&tx)?;
            tx.commit().map_err(internal)?;
            Ok(out)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
    }
}

pub fn internal(e: rusqlite::Error) -> AppError {
    AppError::Internal(e.into())
}

/// A column as text (integers and reals written out; NULL as None).
pub fn text(r: &rusqlite::Row, i: usize) -> AppResult<Option<String>> {
    Ok(match r.get_ref(i).map_err(internal)? {
        ValueRef::Null => None,
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
    })
}

/// A column as an integer (NULL and text that is not a number as None).
pub fn int(r: &rusqlite::Row, i: usize) -> AppResult<Option<i64>> {
    Ok(match r.get_ref(i).map_err(internal)? {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(|s| s.parse().ok()),
        _ => None,
    })
}

/// Binds `$1`-style parameters by name (SQLite numbers `$N` parameters in order of first
/// appearance, not by N), skipping those the statement does not use.
pub fn bind(
    stmt: &mut rusqlite::CachedStatement,
    params: &[&dyn rusqlite::ToSql],
) -> AppResult<()> {
    for (k, p) in params.iter().enumerate() {
        if let Some(i) = stmt
            .parameter_index(&format!("${}", k + 1))
            .map_err(internal)?
        {
            stmt.raw_bind_parameter(i, p).map_err(internal)?;
        }
    }
    Ok(())
}
