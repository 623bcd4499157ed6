//! Storage: one schema on embedded SQLite (default) or PostgreSQL.
//!
//! All queries go through sqlx's `Any` driver with `$1`-style placeholders, which both
//! engines accept, so every store function has a single SQL text. Values crossing the
//! boundary are TEXT (ids, UTC timestamps, dates), BIGINT and BOOLEAN only.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Conn = sqlx::AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens the database: PostgreSQL when `database_url` is a `postgres://` URL,
    /// otherwise `yorube.db` in `data_dir` (created when missing).
    pub async fn connect(data_dir: Option<&Path>, database_url: Option<&str>) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (url, engine) = match database_url.filter(|u| !u.trim().is_empty()) {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (u.to_string(), Engine::Postgres)
            }
            Some(u) if u.starts_with("sqlite:") => (u.to_string(), Engine::Sqlite),
            Some(u) => anyhow::bail!(
                "データベースURLは postgres:// で始まる必要があります（指定値: {}）",
                redact_url(u)
            ),
            None => {
                let dir = data_dir.context("--data-dir（または YORUBE_DATA_DIR）を指定してください")?;
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("データディレクトリ {} を作成できません", dir.display()))?;
                let file = dir.join("yorube.db");
                (format!("sqlite://{}?mode=rwc", file.display()), Engine::Sqlite)
            }
        };
        let opts = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("データベースURLを解釈できません: {}", redact_url(&url)))?;
        let pool_opts = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = pool_opts.connect_with(opts).await.with_context(|| {
            format!("データベースに接続できません: {}", redact_url(&url))
        })?;
        Ok(Db { pool, engine })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATOR,
            Engine::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator.run(&self.pool).await.context("マイグレーションに失敗しました")?;
        Ok(())
    }

    /// Begins a write transaction. Its first statement takes the database-wide write
    /// lock (the audit head row), so that on SQLite a later read-then-write inside the
    /// transaction never fails with SQLITE_BUSY, and on PostgreSQL audit entries are
    /// appended in commit order.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

/// Hides a password in a database URL before it is shown to anyone.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            let user = cred.split(':').next().unwrap_or("");
            if cred.contains(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// Whether an error is a unique-constraint violation (either engine).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().map(|c| c == "23505" || c == "2067" || c == "1555").unwrap_or(false)
                || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
