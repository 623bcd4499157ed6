//! SQL of the cost comparison: the last twelve months of consultations (to fill the
//! counts and minutes), and the saved scenarios (`cost_scenarios`).

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use sqlx::Row;

use super::model::{CostForm, CostInput};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::reports::scope::{scope, Scope};
use crate::{time, AppError};

/// The consultations of a period grouped as the comparison groups them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MethodFigure {
    /// 訪問, 面接, 電話, その他
    pub label: &'static str,
    /// The record's methods counted under it.
    pub methods: &'static str,
    pub count: i64,
    pub minutes: i64,
}

impl MethodFigure {
    /// Minutes per contact, rounded half up (0 when there were none).
    pub fn average(&self) -> i64 {
        if self.count == 0 {
            0
        } else {
            super::model::round_half_up(i128::from(self.minutes), i128::from(self.count))
        }
    }
}

/// The recorded methods under each line of the comparison.
pub const GROUPS: [(&str, &str, &[&str]); 4] = [
    ("訪問", "訪問・同行・巡回", &["訪問", "同行", "巡回"]),
    ("面接", "来所面接・オンライン", &["来所面接", "オンライン"]),
    ("電話", "電話", &["電話"]),
    ("その他", "メールなど", &[]),
];

#[derive(Debug, Clone, Serialize)]
pub struct FromRecords {
    /// 令和7年12月3日〜令和8年12月2日
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<MethodFigure>,
    /// The page's form filled with these figures (wage, contract, subsidy kept).
    pub form: CostForm,
}

/// Counts and average minutes per method over the twelve months up to yesterday (JST).
pub async fn from_records(db: &Db, ctx: &Ctx, keep: &CostForm) -> AppResult<FromRecords> {
    let s: Scope = scope(db, ctx, None).await?;
    let to = time::today_jst() - Duration::days(1);
    let from = to - Duration::days(364);
    let (lo, hi) = (
        time::jst_midnight_db(from),
        time::jst_midnight_db(to + Duration::days(1)),
    );
    let mut q = crate::db::Sql::new(
        "SELECT c.method AS method, COUNT(*) AS n, CAST(COALESCE(SUM(c.minutes), 0) AS BIGINT) AS m FROM consultations c WHERE c.tenant_id = ",
    );
    q.bind(&s.tenant);
    q.push(" AND c.at >= ")
        .bind(lo)
        .push(" AND c.at < ")
        .bind(hi);
    s.staff_filter(&mut q, "c");
    q.push(" GROUP BY c.method");
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut lines: Vec<MethodFigure> = GROUPS
        .iter()
        .map(|(label, methods, _)| MethodFigure {
            label,
            methods,
            count: 0,
            minutes: 0,
        })
        .collect();
    for r in &rows {
        let method: String = r.try_get("method")?;
        let i = GROUPS
            .iter()
            .position(|(_, _, ms)| ms.contains(&method.as_str()))
            .unwrap_or(3);
        lines[i].count += r.try_get::<i64, _>("n")?;
        lines[i].minutes += r.try_get::<i64, _>("m")?;
    }
    let n = |i: usize| lines[i].count.to_string();
    let a = |i: usize| lines[i].average().to_string();
    let form = CostForm {
        visits: n(0),
        visit_minutes: a(0),
        interviews: n(1),
        interview_minutes: a(1),
        calls: n(2),
        call_minutes: a(2),
        other_label: if lines[3].count > 0 {
            "メールなど".into()
        } else {
            String::new()
        },
        others: if lines[3].count > 0 {
            n(3)
        } else {
            String::new()
        },
        other_minutes: if lines[3].count > 0 {
            a(3)
        } else {
            String::new()
        },
        ..keep.clone()
    };
    Ok(FromRecords {
        label: format!("{}〜{}", time::format_wareki(from), time::format_wareki(to)),
        from,
        to,
        lines,
        form,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub id: String,
    pub name: String,
    pub form: CostForm,
    pub input: CostInput,
    pub created_by: String,
    pub created_at: String,
}

pub const MAX_SCENARIOS: i64 = 50;

/// Saves the comparison under a name (tenant admins, who decide on contracts).
pub async fn save_scenario(db: &Db, ctx: &Ctx, name: &str, f: &CostForm) -> AppResult<String> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let name = name.trim();
    let mut errs = vec![];
    if name.is_empty() {
        errs.push(FieldError::new(
            "name",
            "案の名前を入力してください（例: 直営・現状）。",
        ));
    }
    crate::validate::check_line(&mut errs, "name", name, 60);
    let input = match f.parse() {
        Ok(i) => Some(i),
        Err(e) => {
            errs.extend(e);
            None
        }
    };
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let input = input.expect("checked");
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin_write().await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cost_scenarios WHERE tenant_id = $1")
        .bind(&t)
        .fetch_one(&mut *tx)
        .await?;
    if n >= MAX_SCENARIOS {
        return Err(AppError::invalid(
            "name",
            format!("保存できる案は{MAX_SCENARIOS}件までです。使わない案を削除してください。"),
        ));
    }
    sqlx::query("INSERT INTO cost_scenarios (id, tenant_id, name, inputs, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&t)
        .bind(name)
        .bind(serde_json::to_string(&CostForm::from_input(&input)).map_err(anyhow::Error::from)?)
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "cost_scenario.create", "cost_scenario", &id).detail(name),
    )
    .await?;
    Ok(id)
}

pub async fn scenarios(db: &Db, ctx: &Ctx) -> AppResult<Vec<Scenario>> {
    policy::require(ctx, Action::ViewReports)?;
    if ctx.role == crate::auth::Role::Contractor {
        return Ok(vec![]);
    }
    let rows = sqlx::query(
        "SELECT id, name, inputs, created_by, created_at FROM cost_scenarios WHERE tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(ctx.tenant()?)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in &rows {
        let form: CostForm =
            serde_json::from_str(r.try_get::<String, _>("inputs")?.as_str()).unwrap_or_default();
        // A saved scenario was valid when saved; one that no longer reads is skipped
        // rather than shown with made-up figures.
        let Ok(input) = form.parse() else { continue };
        out.push(Scenario {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            form,
            input,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
        });
    }
    Ok(out)
}

pub async fn delete_scenario(db: &Db, ctx: &Ctx, id: &str) -> AppResult<()> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let mut tx = db.begin_write().await?;
    let name: Option<String> = sqlx::query_scalar(
        "DELETE FROM cost_scenarios WHERE id = $1 AND tenant_id = $2 RETURNING name",
    )
    .bind(id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else {
        return Err(AppError::NotFound);
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "cost_scenario.delete", "cost_scenario", id).detail(&name),
    )
    .await
}
