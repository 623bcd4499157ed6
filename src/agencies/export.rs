//! The registry exported as a file (XLSX, CSV in UTF-8 or Shift_JIS, HSDS 3.0), for
//! pages, the API and the CLI alike.

use super::store;
use crate::db::Db;
use crate::AppError;

/// Builds an export file: (bytes, content type, file name).
pub async fn export_file(
    db: &Db,
    ctx: &crate::auth::Ctx,
    format: &str,
) -> Result<(Vec<u8>, &'static str, String), AppError> {
    let (agencies, links) = store::export_data(db, ctx).await?;
    let tenant = ctx.tenant_code.clone().unwrap_or_default();
    let date = crate::time::today_jst().format("%Y%m%d").to_string();
    let base = format!("kankei-kikan_{tenant}_{date}");
    match format {
        "xlsx" => Ok((
            super::io::write_xlsx(&agencies, &links).map_err(AppError::Internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{base}.xlsx"),
        )),
        "csv" => Ok((
            super::io::write_csv(&agencies, &links, false)
                .map_err(|m| AppError::invalid("format", m))?,
            "text/csv; charset=utf-8",
            format!("{base}.csv"),
        )),
        "csv-sjis" => Ok((
            super::io::write_csv(&agencies, &links, true)
                .map_err(|m| AppError::invalid("format", m))?,
            "text/csv; charset=shift_jis",
            format!("{base}_sjis.csv"),
        )),
        "hsds" => Ok((
            super::io::write_hsds_bytes(
                &agencies,
                &links,
                ctx.tenant_name.as_deref().unwrap_or(""),
            ),
            "application/json",
            format!("{base}_hsds.json"),
        )),
        _ => Err(AppError::invalid(
            "format",
            "形式は xlsx, csv, csv-sjis, hsds のいずれかを指定してください。",
        )),
    }
}
