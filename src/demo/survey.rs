//! Demo pre/post questionnaire of the demo training: both phases held and closed,
//! 24 anonymous answers each, shaped like the guide's 熊本県 results
//! (連携のハードルを「感じている」 29.2% → 0%, 役割分担を「理解していなかった」
//! 「あまり理解していなかった」 58.3% → 4.2%, イメージが「なかった」「あまりなかった」
//! 79.2% → 20.8%, knowledge and network useful for everyone).

use chrono::{Duration, NaiveDate, TimeZone};

use crate::auth::sha256_hex;
use crate::auth::TenantId;
use crate::db::{insert_many, Tx, Val};
use crate::error::AppResult;
use crate::surveys::model::{Phase, QuestionSet, Response};
use crate::time;

/// Each key repeated its count of times, e.g. [("1", 2), ("2", 1)] → 1, 1, 2.
fn expand(counts: &[(&str, usize)]) -> Vec<String> {
    counts
        .iter()
        .flat_map(|(k, n)| std::iter::repeat_n(k.to_string(), *n))
        .collect()
}

/// The same multiset in another order (so that questions are not lined up).
fn spread(mut v: Vec<String>, step: usize) -> Vec<String> {
    let n = v.len();
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while !v.is_empty() {
        i = (i + step) % v.len();
        out.push(v.remove(i));
    }
    debug_assert_eq!(out.len(), n);
    out
}

pub async fn load(
    tx: &mut Tx,
    tenant_id: &TenantId,
    training_id: &str,
    held: NaiveDate,
) -> AppResult<()> {
    const N: usize = 24;
    let at = |hour: u32, minute: i64| {
        let local = held.and_hms_opt(hour, 0, 0).unwrap_or_default() + Duration::minutes(minute);
        time::to_db(
            time::jst()
                .from_local_datetime(&local)
                .single()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(time::now),
        )
    };
    let survey = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO training_surveys (id, tenant_id, training_id, questions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(&survey)
        .bind(tenant_id)
        .bind(training_id)
        .bind(serde_json::to_string(&QuestionSet::default_set()).map_err(anyhow::Error::from)?)
        .bind(at(9, 0))
        .execute(&mut **tx)
        .await?;
    for (phase, opened, closed) in [
        (Phase::Pre, at(9, 0), at(14, 0)),
        (Phase::Post, at(16, 25), at(23, 0)),
    ] {
        let token = crate::surveys::store::new_token();
        sqlx::query("INSERT INTO training_survey_links (survey_id, phase, tenant_id, token, token_hash, is_open, opened_at, closed_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7)")
            .bind(&survey)
            .bind(phase.as_str())
            .bind(tenant_id)
            .bind(&token)
            .bind(sha256_hex(&token))
            .bind(opened)
            .bind(closed)
            .execute(&mut **tx)
            .await?;
    }
    let fields = spread(
        expand(&[
            ("医療", 5),
            ("福祉", 4),
            ("教育", 4),
            ("行政", 5),
            ("障害", 3),
            ("就労", 1),
            ("", 2),
        ]),
        5,
    );
    let mut rows: Vec<Vec<Val>> = vec![];
    let mut push = |phase: Phase, i: usize, r: &Response, minute: i64| {
        rows.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            survey.as_str().into(),
            phase.as_str().into(),
            fields[i].as_str().into(),
            serde_json::to_string(r).unwrap_or_default().into(),
            at(if phase == Phase::Pre { 13 } else { 16 }, minute).into(),
        ]);
    };
    // Before: hurdle 7 感じている of 24; roles 14 (あまり)理解していなかった; image 19 (あまり)なかった.
    let hurdle = spread(expand(&[("1", 7), ("2", 10), ("3", 5), ("4", 2)]), 3);
    let roles = spread(expand(&[("1", 2), ("2", 8), ("3", 10), ("4", 4)]), 7);
    let image = spread(expand(&[("1", 1), ("2", 4), ("3", 11), ("4", 8)]), 11);
    for i in 0..N {
        let mut r = Response::default();
        r.choices.insert("hurdle".into(), vec![hurdle[i].clone()]);
        r.choices.insert("roles".into(), vec![roles[i].clone()]);
        r.choices.insert("image".into(), vec![image[i].clone()]);
        push(Phase::Pre, i, &r, (i * 2) as i64);
    }
    // After: nobody 感じている; 1 (あまり)理解していなかった; 5 (あまり)なかった.
    let hurdle = spread(expand(&[("2", 6), ("3", 12), ("4", 6)]), 5);
    let roles = spread(expand(&[("1", 9), ("2", 14), ("3", 1)]), 3);
    let image = spread(expand(&[("1", 6), ("2", 13), ("3", 4), ("4", 1)]), 7);
    let knowledge = spread(expand(&[("1", 15), ("2", 9)]), 5);
    let network = spread(expand(&[("1", 13), ("2", 11)]), 7);
    let viewpoint = spread(expand(&[("a", 15), ("b", 5), ("c", 4)]), 11);
    let next = spread(expand(&[("a", 9), ("b", 7), ("c", 6), ("other", 2)]), 5);
    let second = spread(expand(&[("b", 3), ("c", 3), ("", 18)]), 7);
    let others = [
        "所属内の会議で、研修会で知った関係機関を紹介したい",
        "きょうだい児の支援について、家族会と話をしてみたい",
    ];
    let comments = [
        "事例を通して、どの機関にどんな時に相談すればよいかが具体的にイメージできた。",
        "他の分野の方と顔を合わせて話せたのがよかった。年に1回は続けてほしい。",
        "頼れる人マップを職場でも使ってみたい。",
        "移行期医療の事例をもっと詳しく知りたい。",
        "グループワークの時間がもう少し長いとよかった。",
    ];
    let mut other_used = 0;
    for i in 0..N {
        let mut r = Response::default();
        r.choices.insert("hurdle".into(), vec![hurdle[i].clone()]);
        r.choices.insert("roles".into(), vec![roles[i].clone()]);
        r.choices.insert("image".into(), vec![image[i].clone()]);
        r.choices
            .insert("knowledge".into(), vec![knowledge[i].clone()]);
        r.choices.insert("network".into(), vec![network[i].clone()]);
        r.choices
            .insert("viewpoints".into(), vec![viewpoint[i].clone()]);
        let mut chosen = vec![next[i].clone()];
        if !second[i].is_empty() && second[i] != next[i] && next[i] != "other" {
            chosen.push(second[i].clone());
        }
        chosen.sort_by_key(|k| ["a", "b", "c", "other"].iter().position(|x| x == k));
        if next[i] == "other" {
            r.texts
                .insert("next".into(), others[other_used % others.len()].into());
            other_used += 1;
        }
        r.choices.insert("next".into(), chosen);
        if i % 5 == 1 {
            r.texts
                .insert("comment".into(), comments[(i / 5) % comments.len()].into());
        }
        push(Phase::Post, i, &r, 3 + i as i64);
    }
    insert_many(
        tx,
        "training_survey_answers",
        &[
            "id",
            "tenant_id",
            "survey_id",
            "phase",
            "field",
            "answers",
            "submitted_at",
        ],
        rows,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_the_counts() {
        let v = expand(&[("1", 7), ("2", 10), ("3", 5), ("4", 2)]);
        let mut s = spread(v.clone(), 3);
        assert_eq!(s.len(), 24);
        assert_ne!(s, v, "reordered");
        s.sort();
        assert_eq!(s, v);
    }
}
