//! What the registry import needs of the store: rows to insert in bulk, loading an agency
//! and updating it.

use super::read::{contact_from_row, input_from_row, AGENCY_COLS};
use super::write::{
    agency_row, apply_update, contact_rows, history_row, AGENCY_INSERT_COLS, CONTACT_COLS,
    HISTORY_COLS,
};
use crate::agencies::model::AgencyInput;
use crate::auth::Ctx;
use crate::db::{insert_many, Conn, Val};
use crate::error::AppResult;
use crate::AppError;

// ---- helpers for import ----

pub(crate) fn agency_row_for_import(
    tenant_id: &str,
    id: &str,
    a: &AgencyInput,
    now: &str,
) -> Vec<Val> {
    agency_row(tenant_id, id, a, 1, now)
}

pub(crate) fn contact_rows_for_import(
    tenant_id: &str,
    agency_id: &str,
    a: &AgencyInput,
) -> Vec<Vec<Val>> {
    contact_rows(tenant_id, agency_id, a)
}

pub(crate) fn history_row_for_import(
    tenant_id: &str,
    agency_id: &str,
    version: i64,
    action: &str,
    by: &str,
    a: &AgencyInput,
    now: &str,
) -> Vec<Val> {
    history_row(tenant_id, agency_id, version, action, by, a, now)
}

pub(crate) async fn insert_agencies(
    conn: &mut Conn,
    agencies: Vec<Vec<Val>>,
    contacts: Vec<Vec<Val>>,
    history: Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_many(conn, "agencies", &AGENCY_INSERT_COLS, agencies).await?;
    insert_many(conn, "agency_contacts", &CONTACT_COLS, contacts).await?;
    insert_many(conn, "agency_history", &HISTORY_COLS, history).await?;
    Ok(())
}

/// An agency's input (with contacts) inside a transaction.
pub(crate) async fn load_input(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
) -> AppResult<AgencyInput> {
    let row = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL"))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut input = input_from_row(&row)?;
    let contacts = sqlx::query("SELECT name, department, phone, email, best_time FROM agency_contacts WHERE agency_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
    input.contacts = contacts
        .iter()
        .map(contact_from_row)
        .collect::<AppResult<_>>()?;
    Ok(input)
}

pub(crate) async fn apply_update_pub(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    t: &str,
    id: &str,
    a: &AgencyInput,
    action: &str,
) -> AppResult<()> {
    apply_update(tx, ctx, t, id, a, None, action).await
}
