//! Trainings (研修会): the programme, the group work's case scenarios (the guide's
//! four), and the participants with their attendance. Their questionnaire is
//! `surveys`.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_list, new_id, reader, writer};
use crate::audit::{self, Entry};
use crate::auth::Ctx;
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::network::model;
use crate::text::clean;
use crate::validate::{check_texts, opt_date_db};
use crate::{time, AppError};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// 13:00-13:30
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub speaker: String,
    #[serde(default)]
    pub content: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Participant {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub field: String,
    /// Group for the group work (1, 2 …).
    #[serde(default)]
    pub group: i64,
    #[serde(default)]
    pub attended: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub curriculum: Vec<Session>,
    /// Keys of model::SCENARIOS used in the group work.
    #[serde(default)]
    pub scenarios: Vec<String>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Training {
    pub id: String,
    #[serde(flatten)]
    pub input: TrainingInput,
    pub created_at: String,
}

fn validate_training(t: &TrainingInput) -> Result<TrainingInput, Vec<FieldError>> {
    let mut errs = vec![];
    let title = clean(&t.title);
    if title.is_empty() {
        errs.push(FieldError::new("title", "研修会の名称を入力してください。"));
    }
    let date = if t.date.trim().is_empty() {
        errs.push(FieldError::new("date", "開催日を入力してください。"));
        None
    } else {
        opt_date_db("date", "開催日", &t.date, &mut errs)
    };
    let curriculum: Vec<Session> = t
        .curriculum
        .iter()
        .map(|s| Session {
            time: clean(&s.time),
            title: clean(&s.title),
            speaker: clean(&s.speaker),
            content: s.content.trim().to_string(),
        })
        .filter(|s| !s.title.is_empty() || !s.time.is_empty())
        .collect();
    for (i, s) in curriculum.iter().enumerate() {
        if s.title.is_empty() {
            errs.push(FieldError::new(
                "curriculum",
                format!("プログラム {} の内容を書いてください。", i + 1),
            ));
        }
    }
    let scenarios: Vec<String> = t
        .scenarios
        .iter()
        .filter(|k| model::scenario(k).is_some())
        .cloned()
        .collect();
    let participants: Vec<Participant> = t
        .participants
        .iter()
        .map(|p| Participant {
            name: clean(&p.name),
            affiliation: clean(&p.affiliation),
            field: clean(&p.field),
            ..p.clone()
        })
        .filter(|p| !p.name.is_empty())
        .collect();
    for p in &participants {
        if p.affiliation.is_empty() {
            errs.push(FieldError::new(
                "participants",
                format!("参加者「{}」の所属を入力してください。", p.name),
            ));
        }
    }
    let mut texts: Vec<(&str, &str)> =
        vec![("title", &title), ("place", &t.place), ("notes", &t.notes)];
    for s in &curriculum {
        texts.push(("curriculum", &s.title));
        texts.push(("curriculum", &s.content));
        texts.push(("curriculum", &s.speaker));
    }
    for p in &participants {
        texts.push(("participants", &p.name));
        texts.push(("participants", &p.affiliation));
    }
    check_texts(&mut errs, &texts, 10_000);
    match date {
        Some(d) if errs.is_empty() => Ok(TrainingInput {
            title,
            date: d,
            place: clean(&t.place),
            curriculum,
            scenarios,
            participants,
            notes: t.notes.trim().to_string(),
        }),
        _ => Err(errs),
    }
}

pub async fn list_trainings(db: &Db, ctx: &Ctx) -> AppResult<Vec<Training>> {
    let t = reader(ctx)?;
    let rows = sqlx::query("SELECT id, title, date, place, curriculum, scenarios, participants, notes, created_at FROM trainings WHERE tenant_id = $1 ORDER BY date DESC")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(training_from_row).collect()
}

fn training_from_row(r: &AnyRow) -> AppResult<Training> {
    Ok(Training {
        id: r.try_get("id")?,
        input: TrainingInput {
            title: r.try_get("title")?,
            date: r.try_get("date")?,
            place: r.try_get("place")?,
            curriculum: json_list(r, "curriculum")?,
            scenarios: json_list(r, "scenarios")?,
            participants: json_list(r, "participants")?,
            notes: r.try_get("notes")?,
        },
        created_at: r.try_get("created_at")?,
    })
}

pub async fn get_training(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Training> {
    let t = reader(ctx)?;
    let r = sqlx::query("SELECT id, title, date, place, curriculum, scenarios, participants, notes, created_at FROM trainings WHERE id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(t)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    training_from_row(&r)
}

pub async fn save_training(
    db: &Db,
    ctx: &Ctx,
    id: Option<&str>,
    input: &TrainingInput,
) -> AppResult<String> {
    let t = writer(ctx)?.clone();
    let v = validate_training(input).map_err(AppError::Validation)?;
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    let id = match id {
        Some(id) => {
            let n = sqlx::query("UPDATE trainings SET title = $1, date = $2, place = $3, curriculum = $4, scenarios = $5, participants = $6, notes = $7, updated_at = $8 WHERE id = $9 AND tenant_id = $10")
                .bind(&v.title)
                .bind(&v.date)
                .bind(&v.place)
                .bind(serde_json::to_string(&v.curriculum).unwrap_or_default())
                .bind(serde_json::to_string(&v.scenarios).unwrap_or_default())
                .bind(serde_json::to_string(&v.participants).unwrap_or_default())
                .bind(&v.notes)
                .bind(&now)
                .bind(id)
                .bind(&t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound);
            }
            id.to_string()
        }
        None => {
            let id = new_id();
            sqlx::query("INSERT INTO trainings (id, tenant_id, title, date, place, curriculum, scenarios, participants, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
                .bind(&id)
                .bind(&t)
                .bind(&v.title)
                .bind(&v.date)
                .bind(&v.place)
                .bind(serde_json::to_string(&v.curriculum).unwrap_or_default())
                .bind(serde_json::to_string(&v.scenarios).unwrap_or_default())
                .bind(serde_json::to_string(&v.participants).unwrap_or_default())
                .bind(&v.notes)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            id
        }
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "training.save", "training", &id).detail(&v.title),
    )
    .await?;
    Ok(id)
}
