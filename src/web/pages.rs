//! The page shell (layout context and navigation), sign-in, sign-out, home and error pages.

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::csrf::{cookie, removal, set_cookie};
use super::{AppState, Session};
use crate::auth::{policy, session, Action, Ctx};
use crate::{time, AppError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct UserBar {
    pub name: String,
    pub role: &'static str,
    pub tenant: String,
    pub login: String,
}

/// What every page's layout needs.
pub struct Page {
    pub title: String,
    pub user: Option<UserBar>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    pub notice: Option<String>,
    /// Unread notices about the user's credentials: a link in the header.
    pub unread_notices: i64,
}

/// The navigation lists only what exists and what the caller may use.
pub fn nav_for(ctx: &Ctx, path: &str) -> Vec<NavItem> {
    let items: [(&'static str, &'static str, Action); 18] = [
        ("/", "ホーム", Action::UseApp),
        ("/children", "子ども・家族", Action::ViewChildren),
        ("/follow-ups", "フォローアップ", Action::ViewChildren),
        ("/referrals", "つなぐ支援", Action::ViewChildren),
        ("/agencies", "関係機関", Action::ViewAgencies),
        ("/network", "連携・協議会", Action::ViewNetwork),
        ("/services", "努力義務事業", Action::ViewServices),
        ("/surveys", "調査", Action::ViewSurveys),
        ("/contracts", "委託・月次報告", Action::SubmitReports),
        (
            "/agencies/mine",
            "自機関の情報",
            Action::ProposeAgencyChange,
        ),
        ("/referrals", "紹介の受付", Action::ReceiveReferrals),
        ("/contracts", "委託契約", Action::ManageContracts),
        ("/reports", "実績・統計", Action::ViewReports),
        ("/reports/rollup", "全体の実績", Action::ViewRollup),
        ("/privacy", "個人情報の管理", Action::AdministerPrivacy),
        ("/users", "利用者", Action::ViewUsers),
        ("/audit", "監査ログ", Action::ViewAudit),
        ("/tenants", "実施主体", Action::ManageTenants),
    ];
    items
        .into_iter()
        .filter(|(_, _, a)| policy::can(ctx, *a))
        .map(|(href, label, _)| NavItem {
            href,
            label,
            current: if href == "/" {
                path == "/"
            } else {
                path == href || path.starts_with(&format!("{href}/"))
            },
        })
        .collect()
}

impl Page {
    pub fn new(title: impl Into<String>, ctx: Option<&Ctx>, csrf: &str, path: &str) -> Page {
        Page {
            title: title.into(),
            user: ctx.map(|c| UserBar {
                name: c.display_name.clone(),
                role: c.role.label(),
                tenant: c.tenant_name.clone().unwrap_or_else(|| "全体".into()),
                login: c.login.clone(),
            }),
            nav: ctx.map(|c| nav_for(c, path)).unwrap_or_default(),
            csrf: csrf.to_string(),
            notice: None,
            unread_notices: 0,
        }
    }

    pub fn for_auth(title: impl Into<String>, a: &Auth) -> Page {
        let mut p = Page::new(title, Some(&a.ctx), &a.csrf, &a.path);
        p.unread_notices = a.unread_notices;
        p
    }

    pub fn notice(mut self, n: Option<String>) -> Page {
        self.notice = n;
        self
    }
}

/// A signed-in caller of a page; anyone else is sent to the sign-in page.
pub struct Auth {
    pub ctx: Ctx,
    pub csrf: String,
    pub path: String,
    /// Unread notices about the user's credentials (shown in every page's header).
    pub unread_notices: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned();
        let path = parts.uri.path().to_string();
        match session {
            Some(Session {
                ctx: Some(ctx),
                csrf,
                unread_notices,
                ..
            }) => {
                super::read_audit::set_actor(&ctx);
                Ok(Auth {
                    ctx,
                    csrf,
                    path,
                    unread_notices,
                })
            }
            Some(s) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let mut url = format!("/login?next={}", urlencode(next));
                if s.expired {
                    url.push_str("&expired=1");
                }
                Err(Redirect::to(&url).into_response())
            }
            None => Err(error_page(
                None,
                &AppError::Internal(anyhow::anyhow!("session layer missing")),
            )),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(None, &AppError::Internal(anyhow::anyhow!("template: {e}"))),
    }
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage<'a> {
    page: Page,
    status: u16,
    heading: &'a str,
    message: String,
}

/// The Japanese error page for any error; internal details are logged, never shown.
pub fn error_page(ctx: Option<&Ctx>, err: &AppError) -> Response {
    err.log_if_internal();
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let t = ErrorPage {
        page: Page::new(err.title(), ctx, "", "/error"),
        status: err.status(),
        heading: err.title(),
        message: err.detail(),
    };
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            err.detail(),
        )
            .into_response(),
    }
}

/// Page handlers return this: errors become the Japanese error page.
pub struct PageError {
    pub ctx: Option<Ctx>,
    pub err: AppError,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.ctx.as_ref(), &self.err)
    }
}

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError {
            ctx: None,
            err: e.into(),
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Attaches the caller to an error so the error page keeps the navigation.
pub trait WithCtx<T> {
    fn page_err(self, a: &Auth) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> WithCtx<T> for Result<T, E> {
    fn page_err(self, a: &Auth) -> Result<T, PageError> {
        self.map_err(|e| PageError {
            ctx: Some(a.ctx.clone()),
            err: e.into(),
        })
    }
}

// ---- home ----

pub struct Card {
    pub href: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    today_wareki: String,
    today_seireki: String,
    fiscal_year: String,
    cards: Vec<Card>,
}

async fn home(a: Auth) -> Response {
    let today = time::today_jst();
    let mut cards = vec![];
    if policy::can(&a.ctx, Action::ViewChildren) {
        cards.push(Card {
            href: "/children",
            title: "子ども・家族",
            text: "相談の記録、自立支援計画、同意、頼れる人マップ、これまでの経過を一つの画面で。",
        });
        cards.push(Card {
            href: "/follow-ups",
            title: "フォローアップ",
            text: "再連絡、計画の見直し、受給者証の更新、18歳・20歳などの節目を期日順に。",
        });
        cards.push(Card {
            href: "/referrals",
            title: "つなぐ支援",
            text: "関係機関への紹介を、受付・対応・完了まで見届けます。",
        });
    }
    if policy::can(&a.ctx, Action::ReceiveReferrals) {
        cards.push(Card { href: "/referrals", title: "紹介の受付", text: "自機関あての紹介を確認し、受付・対応・完了を連絡します（家族が同意した情報だけが表示されます）。" });
    }
    if policy::can(&a.ctx, Action::ViewAgencies) {
        cards.push(Card { href: "/agencies", title: "関係機関台帳", text: "地域の関係機関の役割・強み・窓口担当者と、連携場面ごとの役割分担を探し、整理します。" });
    }
    if policy::can(&a.ctx, Action::ProposeAgencyChange) {
        cards.push(Card {
            href: "/agencies/mine",
            title: "自機関の情報",
            text: "台帳に載っている自機関の紹介や窓口担当者を確認し、変更を提案します。",
        });
    }
    if policy::can(&a.ctx, Action::ViewNetwork) {
        cards.push(Card { href: "/network", title: "連携・協議会", text: "連携目的と中核機関、協議会の構成員と会議（次第・議事録・アクション）、研修会を準備し、記録します。" });
    }
    if policy::can(&a.ctx, Action::ViewServices) {
        cards.push(Card {
            href: "/services",
            title: "努力義務事業",
            text: "レスパイト・交流会・就職支援などの回（日程）と定員、参加した子ども・きょうだい・家族を記録します。",
        });
    }
    if policy::can(&a.ctx, Action::SubmitReports) || policy::can(&a.ctx, Action::ManageContracts) {
        cards.push(Card {
            href: "/contracts",
            title: "委託契約と月次報告",
            text: "委託先の月次報告を支援の記録から作り、提出・承認します。",
        });
    }
    if policy::can(&a.ctx, Action::ViewReports) {
        cards.push(Card {
            href: "/reports",
            title: "実績・統計",
            text: "相談の件数・方法・疾患群・年齢、つなぐ支援の日数などを期間ごとに集計し、実績報告と委託の費用比較を作ります。",
        });
    }
    if policy::can(&a.ctx, Action::ViewUsers) {
        cards.push(Card {
            href: "/users",
            title: "利用者",
            text: "職員や関係機関の担当者のアカウントと役割を管理します。",
        });
    }
    if policy::can(&a.ctx, Action::ViewAudit) {
        cards.push(Card {
            href: "/audit",
            title: "監査ログ",
            text: "ログインや記録の閲覧・変更の履歴を確認します。",
        });
    }
    if policy::can(&a.ctx, Action::ManageTenants) {
        cards.push(Card {
            href: "/tenants",
            title: "実施主体",
            text: "都道府県・指定都市・中核市・児童相談所設置市を登録します。",
        });
    }
    render(&Home {
        page: Page::for_auth("ホーム", &a),
        today_wareki: time::format_wareki(today),
        today_seireki: time::format_seireki(today),
        fiscal_year: time::format_fiscal_year(time::fiscal_year(today)),
        cards,
    })
}

// ---- sign-in ----

#[derive(Template)]
#[template(path = "auth/login.html")]
struct Login {
    page: Page,
    login: String,
    next: String,
    error: Option<String>,
    info: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    bye: Option<String>,
}

/// Only same-site paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

async fn login_form(Extension(s): Extension<Session>, Query(q): Query<LoginQuery>) -> Response {
    if s.ctx.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let info = if q.expired.is_some() || s.expired {
        Some(
            "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
                .to_string(),
        )
    } else if q.bye.is_some() {
        Some("ログアウトしました。".to_string())
    } else {
        None
    };
    render(&Login {
        page: Page::new("ログイン", None, &s.csrf, "/login"),
        login: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        info,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: Option<String>,
    password: Option<String>,
    /// The second factor's code (or a recovery code), for users who have one.
    otp: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<LoginForm>,
) -> Response {
    let login = f.login.unwrap_or_default();
    let next = safe_next(f.next.as_deref());
    let password = f.password.unwrap_or_default();
    let otp = f.otp.unwrap_or_default();
    match session::authenticate(&st.db, &login, &password, &otp, "web", &s.addr).await {
        Ok(signed) => match session::start(
            &st.db,
            &signed.ctx,
            st.config.session_idle_minutes,
            &s.addr,
            &s.user_agent,
        )
        .await
        {
            Ok(new) => {
                let to = if signed.must_change_password {
                    "/account/password?required=1".to_string()
                } else if signed.must_enrol_totp {
                    "/account/totp?required=1".to_string()
                } else {
                    next
                };
                let mut res = Redirect::to(&to).into_response();
                set_cookie(&mut res, cookie(session::COOKIE, new.token, s.secure));
                res
            }
            Err(e) => error_page(None, &e),
        },
        Err(e @ (AppError::Unauthorized(_) | AppError::Busy(_))) => render_status(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED),
            &Login {
                page: Page::new("ログイン", None, &s.csrf, "/login"),
                login,
                next,
                error: Some(e.to_string()),
                info: None,
            },
        ),
        Err(e) => error_page(None, &e),
    }
}

async fn logout(State(st): State<AppState>, Extension(s): Extension<Session>) -> Response {
    if let (Some(ctx), Some(token)) = (&s.ctx, &s.token) {
        if let Err(e) = session::end(&st.db, ctx, token).await {
            return error_page(Some(ctx), &e);
        }
    }
    let mut res = Redirect::to("/login?bye=1").into_response();
    set_cookie(&mut res, removal(session::COOKIE, s.secure));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next(Some("/users")), "/users");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
