//! Named columns of a row, whichever way it was read: `Cols` lets one decoder per kind
//! of row (a family member, a consent, a referral …) read an sqlx row or one row of the
//! record page's single statement (record::store::Part) by the same column names.
//! Reading a column never panics: a missing column or a wrong type is an error.

use sqlx::Row;

use crate::error::AppResult;

pub trait Cols {
    /// A text column; None for NULL.
    fn opt_text(&self, c: &str) -> AppResult<Option<String>>;
    /// An integer column; None for NULL.
    fn opt_int(&self, c: &str) -> AppResult<Option<i64>>;

    /// A text column, "" for NULL.
    fn text(&self, c: &str) -> AppResult<String> {
        Ok(self.opt_text(c)?.unwrap_or_default())
    }
    /// An integer column, 0 for NULL.
    fn int(&self, c: &str) -> AppResult<i64> {
        Ok(self.opt_int(c)?.unwrap_or(0))
    }
    /// A 0/1 column.
    fn flag(&self, c: &str) -> AppResult<bool> {
        Ok(self.int(c)? != 0)
    }
}

impl Cols for sqlx::any::AnyRow {
    fn opt_text(&self, c: &str) -> AppResult<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(c)?)
    }
    fn opt_int(&self, c: &str) -> AppResult<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(c)?)
    }
}

impl Cols for sqlx::postgres::PgRow {
    fn opt_text(&self, c: &str) -> AppResult<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(c)?)
    }
    fn opt_int(&self, c: &str) -> AppResult<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(c)?)
    }
}
