//! SQL built with its parameters: values bound on either engine (`Val`), a statement
//! whose `$n` are numbered as values are pushed (`Sql`), and many-row inserts.

use super::Conn;

/// A value bound to a statement (sqlx on either engine, or rusqlite).
#[derive(Debug, Clone)]
pub enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    /// Stored as 0/1 in a BIGINT column on both engines.
    Bool(bool),
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Val {
        Val::Text(s.clone())
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Val {
        Val::OptText(s)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::OptInt(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Bool(v)
    }
}

/// Inserts many rows with multi-row VALUES statements, so that a 30,000-row import is
/// a few thousand statements, not 30,000. Statements are kept to about 600 parameters:
/// binding numbered parameters costs time quadratic in their count on SQLite
/// (measured: 11,000 parameters per statement made a 30,000-agency import 4× slower).
pub async fn insert_many(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_stmt = (600 / columns.len().max(1)).clamp(1, 100);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per_stmt).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (ri, _) in chunk.iter().enumerate() {
            if ri > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for ci in 0..columns.len() {
                if ci > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len());
            q = row.into_iter().fold(q, bind_val);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Val::Text(s) | Val::OptText(Some(s)) => {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }
            Val::OptText(None) | Val::OptInt(None) => ToSqlOutput::Owned(Value::Null),
            Val::Int(i) | Val::OptInt(Some(i)) => ToSqlOutput::Owned(Value::Integer(*i)),
            Val::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
        })
    }
}

fn bind_val<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    v: Val,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    match v {
        Val::Text(s) => q.bind(s),
        Val::OptText(s) => q.bind(s),
        Val::Int(i) => q.bind(i),
        Val::OptInt(i) => q.bind(i),
        Val::Bool(b) => q.bind(b as i64),
    }
}

/// A statement whose parameters are numbered as they are pushed, so that optional
/// conditions need no `$n = $n` padding to keep the bind list fixed:
///
/// ```text
/// let mut q = Sql::new("SELECT id FROM follow_ups WHERE tenant_id = ");
/// q.bind(tenant);
/// if let Some(c) = child {
///     q.push(" AND child_id = ").bind(c);
/// }
/// let rows = q.query().fetch_all(&db.pool).await?;
/// ```
///
/// The same text runs on both engines (and on rusqlite through `params`).
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Val>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: vec![],
        }
    }

    /// Appends SQL text (never a value: values go through `bind`).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next parameter (`$1`, `$2`, …) and its value.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Sql {
        self.args.push(v.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `$n, $n+1, …` for each value (for `IN (…)`); nothing for none.
    pub fn bind_list<V: Into<Val>>(&mut self, vs: impl IntoIterator<Item = V>) -> &mut Sql {
        for (i, v) in vs.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The values in order, for rusqlite (`params_from_iter`).
    pub fn params(&self) -> &[Val] {
        &self.args
    }

    /// The statement with its values bound, for sqlx's `Any` driver.
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        self.args
            .iter()
            .cloned()
            .fold(sqlx::query(&self.text), bind_val)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_order() {
        let mut q = Sql::new("SELECT 1 FROM t WHERE a = ");
        q.bind("x")
            .push(" AND b IN (")
            .bind_list([1i64, 2, 3])
            .push(")");
        q.push(" AND c = ").bind(Some("y".to_string()));
        assert_eq!(
            q.text(),
            "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3, $4) AND c = $5"
        );
        assert_eq!(q.params().len(), 5);
        let mut empty = Sql::new("x IN (");
        empty.bind_list(Vec::<i64>::new()).push(")");
        assert_eq!(empty.text(), "x IN ()");
    }
}
