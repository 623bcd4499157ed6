//! The optional services' line of a contractor's monthly report (業務報告).

use sqlx::Row;

use crate::auth::TenantId;
use crate::db::Conn;
use crate::error::AppResult;

/// One line for a contractor's monthly report: the contract's services held in the
/// month (YYYY-MM, JST dates), with the people who took part (absences not counted).
/// None when nothing was held.
pub async fn month_summary(
    conn: &mut Conn,
    t: &TenantId,
    contract_id: &str,
    month: &str,
) -> AppResult<Option<String>> {
    let rows = sqlx::query(
        "SELECT s.name, COUNT(DISTINCT e.id) AS events, COUNT(p.id) AS people, COUNT(DISTINCT p.child_id) AS children \
         FROM service_events e JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
         LEFT JOIN service_participants p ON p.event_id = e.id AND p.tenant_id = e.tenant_id AND p.status <> 'absent' \
         WHERE e.tenant_id = $1 AND s.contract_id = $2 AND e.date >= $3 AND e.date <= $4 GROUP BY s.name ORDER BY s.name",
    )
    .bind(t)
    .bind(contract_id)
    .bind(format!("{month}-01"))
    .bind(format!("{month}-31"))
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let parts = rows
        .iter()
        .map(|r| {
            Ok(format!(
                "{} {}回（参加 延べ{}人・子ども{}人）",
                r.try_get::<String, _>("name")?,
                r.try_get::<i64, _>("events")?,
                r.try_get::<i64, _>("people")?,
                r.try_get::<i64, _>("children")?
            ))
        })
        .collect::<AppResult<Vec<String>>>()?;
    Ok(Some(format!("努力義務事業: {}", parts.join("、"))))
}
