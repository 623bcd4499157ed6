//! One error type for the whole application. Pages render it as a Japanese error page
//! (web::page_error), the API as RFC 9457 `application/problem+json` (web::api::ApiError).
//! Internal errors are logged with their detail and shown without it.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: signed in but the policy does not allow it (also: CSRF failure).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing — also what another tenant's ids look like.
    #[error("お探しのページまたはデータは見つかりません。")]
    NotFound,
    /// 409: conflicts with existing data.
    #[error("{0}")]
    Conflict(String),
    /// 413
    #[error("{0}")]
    TooLarge(String),
    /// 429: the server is busy with sign-ins; try again in a moment.
    #[error("{0}")]
    Busy(String),
    /// 422: well-formed but invalid values, field by field.
    #[error("入力内容に誤りがあります。")]
    Validation(Vec<FieldError>),
    /// 500: never shown in detail.
    #[error("内部エラー")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("この操作を行う権限がありません。".into())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::Busy(_) => 429,
            AppError::Validation(_) => 422,
            AppError::Internal(_) => 500,
        }
    }

    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge(_) => "too_large",
            AppError::Busy(_) => "too_many_requests",
            AppError::Validation(_) => "validation",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "リクエストの形式が正しくありません",
            AppError::Unauthorized(_) => "ログインが必要です",
            AppError::Forbidden(_) => "権限がありません",
            AppError::NotFound => "見つかりません",
            AppError::Conflict(_) => "既存のデータと重複しています",
            AppError::TooLarge(_) => "データが大きすぎます",
            AppError::Busy(_) => "混み合っています",
            AppError::Validation(_) => "入力内容に誤りがあります",
            AppError::Internal(_) => "システムエラーが発生しました",
        }
    }

    /// The Japanese sentence shown to the user.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "処理中に問題が発生しました。時間をおいてもう一度お試しください。続く場合は管理者にお問い合わせください。".into()
            }
            AppError::Validation(errs) => {
                let mut s = String::from("入力内容を確認してください。");
                for e in errs {
                    s.push_str(&format!(" {}", e.message));
                }
                s
            }
            other => other.to_string(),
        }
    }

    pub fn log_if_internal(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
