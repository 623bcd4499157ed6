use yorube::app::{AppState, Config};
use yorube::db::{Db, Engine};

pub const PW: &str = "test-Passw0rd-2026";

pub struct TestApp {
    pub url: String,
    pub db: Db,
    pub engine: Engine,
    /// The --data-dir / --database-url arguments that reach the same database (for the CLI).
    pub db_args: Vec<String>,
    _dir: tempfile::TempDir,
}

/// The second factor the demo enrols for its administrators in the tests.
pub const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The current code of `TOTP` (sent with every sign-in; ignored for users without one).
pub fn otp() -> String {
    yorube::auth::totp::code_at(TOTP, chrono::Utc::now().timestamp() as u64).expect("code")
}

fn pg_base() -> String {
    std::env::var("YORUBE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The audit key of every test app in this process (one process, one key, as in a
/// deployment; each database's checkpoints are told apart by its chain id).
pub fn audit_key_file() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("key dir"));
    let path = dir.path().join("yorube-audit.key");
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INSTALLED.get_or_init(|| {
        yorube::audit::key::install_file(&path, true).expect("audit key");
    });
    path
}

/// A fresh database of the given engine, migrated, with the demo loaded and the app
/// listening on a random port. None when PostgreSQL is unreachable outside CI (said loudly).
pub async fn spawn(engine: Engine) -> Option<TestApp> {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn,yorube=info")
        .try_init();
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, db_args) = match engine {
        Engine::Sqlite => {
            let db = Db::connect(Some(dir.path()), None).await.expect("sqlite");
            (
                db,
                vec!["--data-dir".to_string(), dir.path().display().to_string()],
            )
        }
        Engine::Postgres => {
            let base = pg_base();
            let admin = match Db::connect(None, Some(&base)).await {
                Ok(d) => d,
                Err(e) => {
                    if in_ci() {
                        panic!("PostgreSQL at {base} is unreachable and CI=true: {e:#}");
                    }
                    eprintln!("\n!!!!! PostgreSQL at {base} is unreachable: the PostgreSQL half of this test was SKIPPED ({e:#}) !!!!!\n");
                    return None;
                }
            };
            let schema = format!("yt_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await
                .expect("create schema");
            admin.pool.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
            let db = Db::connect(None, Some(&url)).await.expect("postgres");
            (db, vec!["--database-url".to_string(), url])
        }
    };
    db.migrate().await.expect("migrate");
    let key = audit_key_file();
    let mut db_args = db_args;
    db_args.extend(["--audit-key-file".to_string(), key.display().to_string()]);
    yorube::agencies::store::seed_all_tenants(&db)
        .await
        .expect("seed");
    yorube::demo::run_with_totp(&db, Some(PW), Some(TOTP))
        .await
        .expect("demo");
    let state = AppState::new(db.clone(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        axum::serve(listener, yorube::app::router(state))
            .await
            .expect("serve");
    });
    Some(TestApp {
        url,
        db,
        engine,
        db_args,
        _dir: dir,
    })
}

/// Runs `async fn NAME(app: TestApp)` once on SQLite and once on PostgreSQL.
macro_rules! dual {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = crate::helpers::spawn(yorube::db::Engine::Sqlite).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = crate::helpers::spawn(yorube::db::Engine::Postgres).await {
                    super::$name(app).await
                }
            }
        }
    };
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn token(&self, login: &str) -> String {
        self.token_with(login, PW).await
    }

    pub async fn token_with(&self, login: &str, password: &str) -> String {
        let res = client()
            .post(format!("{}/api/v1/auth/token", self.url))
            .json(&serde_json::json!({"login": login, "password": password, "otp": otp()}))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 200, "token for {login}");
        let v: serde_json::Value = res.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let res = client()
            .get(format!("{}{}", self.url, path))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        let status = res.status().as_u16();
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    pub async fn api_put(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.api_send(reqwest::Method::PUT, token, path, body).await
    }

    pub async fn api_post(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.api_send(reqwest::Method::POST, token, path, body)
            .await
    }

    async fn api_send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let res = client()
            .request(method, format!("{}{}", self.url, path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = res.status().as_u16();
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }

    /// Signs in through the login form and returns a client holding the session cookie.
    pub async fn browser_login(&self, login: &str) -> reqwest::Client {
        let c = client();
        let csrf = csrf_of(&c, &format!("{}/login", self.url)).await;
        let res = c
            .post(format!("{}/login", self.url))
            .form(&[
                ("login", login),
                ("password", PW),
                ("otp", &otp()),
                ("_csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 303, "login as {login}");
        c
    }

    pub async fn user_ids_of(&self, tenant_code: &str) -> Vec<String> {
        sqlx::query_scalar::<_, String>(
            "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.code = $1 ORDER BY u.login",
        )
        .bind(tenant_code)
        .fetch_all(&self.db.pool)
        .await
        .expect("ids")
    }
}

/// Fetches a page and returns the value of its first `_csrf` hidden field.
pub async fn csrf_of(c: &reqwest::Client, url: &str) -> String {
    let html = c
        .get(url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let marker = "name=\"_csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a _csrf field");
    html[start..start + 64].to_string()
}

pub const TENANT_ROLES: [&str; 6] = [
    "tenant_admin",
    "nurse",
    "support_worker",
    "contractor",
    "partner",
    "auditor",
];

pub async fn audit_ok(app: &TestApp) -> bool {
    matches!(
        yorube::audit::verify(&app.db).await,
        Ok(yorube::audit::Verdict::Intact { .. })
    )
}
