//! Demo needs survey (実態把握調査) of each demo tenant: the families' template, sent
//! with the 受給者証 renewal letters (420 invitation codes in デモ市, 210 in デモ県),
//! closed, with 300 (150) answers: most by code on a phone, some on paper keyed in by
//! staff. The answers follow the demo's children — the 疾患群 and age bands are drawn in
//! the proportions of the children on record, 医療的ケア as often as there — and show
//! what the demo's goals are about: caregivers carrying a heavy load, siblings waiting,
//! and respite (療養生活支援) the service most asked for.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use crate::auth::{sha256_hex, TenantId};
use crate::db::{insert_many, Tx, Val};
use crate::error::AppResult;
use crate::surveys::engine::answers::{read, Answers};
use crate::surveys::engine::def::Definition;
use crate::surveys::engine::invite::new_code;
use crate::surveys::store::new_token;
use crate::time;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
    /// true with probability p percent.
    fn pct(&mut self, p: u64) -> bool {
        self.below(100) < p
    }
    /// A key by weights.
    fn weighted<'a>(&mut self, w: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = w.iter().map(|x| x.1).sum();
        let mut r = self.below(total);
        for (k, n) in w {
            if r < *n {
                return k;
            }
            r -= n;
        }
        w[0].0
    }
}

fn age_band(birth: NaiveDate, today: NaiveDate) -> &'static str {
    match crate::cases::model::age_on(birth, today) {
        0..=5 => "0_5",
        6..=11 => "6_11",
        12..=14 => "12_14",
        15..=17 => "15_17",
        _ => "18_19",
    }
}

const FREE_TEXT: &[&str] = &[
    "入院中の勉強が遅れて、退院してから学校に行くのがこわいと言っています。",
    "きょうだいを預ける所がなく、通院のたびに学校を休ませてしまいます。",
    "夜の吸引で眠れない日が続いています。少しでも休める日がほしいです。",
    "同じ病気の子の親と話せる場があれば参加したいです。",
    "高校を卒業したあと、どこに相談すればよいのかわかりません。",
    "学校の先生が変わるたびに、病気のことを一から説明しています。",
    "医療費の助成が20歳で終わったあとが心配です。",
    "体育の見学が多く、友だちとの関係を気にしています。",
];

/// One family's answer as form fields (then read through the survey's own checks).
fn answer(r: &mut Rng, group: i64, band: &str, care: bool) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut put = |k: &str, v: &str| m.entry(format!("q_{k}")).or_default().push(v.to_string());
    put(
        "disease_group",
        &if r.pct(4) {
            "unknown".to_string()
        } else {
            group.to_string()
        },
    );
    put("age_band", band);
    put("medical_care", if care { "yes" } else { "no" });
    if care {
        for (k, p) in [
            ("1", 70),
            ("2", 45),
            ("3", 12),
            ("4", 30),
            ("5", 15),
            ("6", 10),
        ] {
            if r.pct(p) {
                put("medical_care_kinds", k);
            }
        }
    }
    if !r.pct(8) {
        put(
            "visits",
            &(if care { 2 + r.below(6) } else { r.below(4) }).to_string(),
        );
    }
    let hard = if care {
        r.weighted(&[("2", 1), ("3", 2), ("4", 4), ("5", 4)])
    } else {
        r.weighted(&[("1", 2), ("2", 4), ("3", 4), ("4", 3), ("5", 1)])
    };
    put("daily_hard", hard);
    for (k, p) in [
        ("1", 25),
        ("2", if care { 45 } else { 15 }),
        ("3", 30),
        ("4", 40),
        ("5", if care { 50 } else { 15 }),
        ("6", 18),
        ("7", 22),
    ] {
        if r.pct(p) {
            put("daily_topics", k);
        }
    }
    put(
        "consult",
        r.weighted(&[("yes", 45), ("some", 38), ("no", 17)]),
    );
    let school = match band {
        "0_5" => r.weighted(&[("1", 80), ("8", 20)]),
        "6_11" => r.weighted(&[("2", 80), ("5", 17), ("8", 3)]),
        "12_14" => r.weighted(&[("3", 82), ("5", 15), ("8", 3)]),
        "15_17" => r.weighted(&[("4", 78), ("5", 15), ("8", 7)]),
        _ => r.weighted(&[("6", 35), ("7", 40), ("8", 25)]),
    };
    put("school", school);
    if ["2", "3", "4", "5"].contains(&school) {
        put(
            "absence",
            r.weighted(&[("1", 40), ("2", 35), ("3", 17), ("4", 8)]),
        );
    }
    if ["2", "3", "4", "5", "6"].contains(&school) {
        let mut any = false;
        for (k, p) in [("1", 22), ("2", 18), ("3", 20), ("4", 38), ("5", 30)] {
            if r.pct(p) {
                put("study_worry", k);
                any = true;
            }
        }
        if !any {
            put("study_worry", "6");
        }
    }
    if ["12_14", "15_17", "18_19"].contains(&band) {
        for (k, p) in [
            ("1", 45),
            ("2", 50),
            ("3", 40),
            ("4", 35),
            ("5", 38),
            ("6", 20),
        ] {
            if r.pct(p) {
                put("future_worry", k);
            }
        }
        put(
            "self_care",
            r.weighted(&[("1", 2), ("2", 4), ("3", 4), ("4", 5), ("5", 3)]),
        );
    }
    let sibling = r.pct(62);
    put("sibling", if sibling { "yes" } else { "no" });
    if sibling {
        for (k, p) in [("1", 48), ("2", 40), ("3", 30), ("4", 22)] {
            if r.pct(p) {
                put("sibling_worry", k);
            }
        }
    }
    put(
        "caregiver_burden",
        if care {
            r.weighted(&[("2", 1), ("3", 3), ("4", 6), ("5", 5)])
        } else {
            r.weighted(&[("1", 1), ("2", 4), ("3", 6), ("4", 5), ("5", 2)])
        },
    );
    put(
        "caregiver_rest",
        if care {
            r.weighted(&[("1", 2), ("2", 4), ("3", 6)])
        } else {
            r.weighted(&[("1", 5), ("2", 6), ("3", 3)])
        },
    );
    put(
        "caregiver_work",
        r.weighted(&[("1", 14), ("2", 26), ("3", 45), ("4", 15)]),
    );
    let need = |r: &mut Rng, hi: u64| {
        if r.pct(hi) {
            "1"
        } else {
            r.weighted(&[("2", 3), ("3", 5), ("4", 2)])
        }
    };
    put("need_respite", need(r, if care { 62 } else { 30 }));
    put("need_exchange", need(r, 28));
    put(
        "need_employment",
        need(
            r,
            if ["15_17", "18_19"].contains(&band) {
                40
            } else {
                6
            },
        ),
    );
    put("need_caregiver", need(r, if sibling { 38 } else { 14 }));
    put(
        "need_learning",
        need(
            r,
            if ["6_11", "12_14", "15_17"].contains(&band) {
                30
            } else {
                5
            },
        ),
    );
    put("need_peer", need(r, 24));
    if r.pct(22) {
        put("wish", FREE_TEXT[r.below(FREE_TEXT.len() as u64) as usize]);
    }
    m
}

pub async fn load(tx: &mut Tx, tenant_id: &TenantId, code: &str, contact: &str) -> AppResult<()> {
    let today = time::today_jst();
    let (n_answers, n_codes, paper) = if code == "demo-city" {
        (300usize, 420usize, 24usize)
    } else {
        (150, 210, 12)
    };
    for table in [
        "survey_responses",
        "survey_invitations",
        "survey_versions",
        "surveys",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    let children: Vec<(i64, String, String)> = sqlx::query_as("SELECT disease_group, birth_date, medical_care FROM children WHERE tenant_id = $1 ORDER BY id")
        .bind(tenant_id)
        .fetch_all(&mut **tx)
        .await?;
    if children.is_empty() {
        return Ok(());
    }
    let (_, _, def) =
        Definition::template("needs").ok_or_else(|| anyhow::anyhow!("needs template"))?;
    let id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    let opened = today - Duration::days(75);
    let closed = today - Duration::days(30);
    let d = |x: NaiveDate| x.format("%Y-%m-%d").to_string();
    let at = |x: NaiveDate, minute: i64| {
        time::to_db(
            x.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::minutes(minute),
        )
    };
    let year = crate::time::fiscal_year(opened);
    let title = format!(
        "令和{}年度 小児慢性特定疾病児童等 実態把握調査（ご家族向け）",
        year - 2018
    );
    let json = def.to_json();
    sqlx::query("INSERT INTO surveys (id, tenant_id, title, contact, purpose, anonymous, invitation_only, version, definition, status, opens_on, closes_on, token, token_hash, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 'needs', 1, 0, 1, $5, 'closed', $6, $7, $8, $9, '佐藤 由美', $10, $11)")
        .bind(&id)
        .bind(tenant_id)
        .bind(&title)
        .bind(contact)
        .bind(&json)
        .bind(d(opened))
        .bind(d(closed))
        .bind(&token)
        .bind(sha256_hex(&token))
        .bind(at(opened - Duration::days(14), 9 * 60))
        .bind(at(closed, 17 * 60 + 20))
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO survey_versions (survey_id, tenant_id, version, definition, created_at) VALUES ($1, $2, 1, $3, $4)")
        .bind(&id)
        .bind(tenant_id)
        .bind(&json)
        .bind(at(opened - Duration::days(14), 9 * 60))
        .execute(&mut **tx)
        .await?;
    let mut r = Rng(0x5eed_1234_abcd_0042 ^ code.len() as u64);
    let mut invitations = vec![];
    let mut responses = vec![];
    for i in 0..n_codes {
        let c = new_code();
        let answered = i < n_answers - paper;
        let day = opened + Duration::days(r.below(44) as i64);
        invitations.push(vec![
            Val::from(uuid::Uuid::now_v7().to_string().as_str()),
            tenant_id.into(),
            id.as_str().into(),
            c.as_str().into(),
            sha256_hex(&c).into(),
            format!(
                "受給者証更新のお知らせ {}月分 {:03}",
                (opened.format("%m").to_string().parse::<u32>().unwrap_or(10)
                    + (i as u32 * 3 / n_codes as u32)
                    - 1)
                    % 12
                    + 1,
                i + 1
            )
            .into(),
            at(opened - Duration::days(7), 10 * 60).into(),
            Val::OptText(answered.then(|| at(day, 8 * 60 + r.below(14 * 60) as i64))),
        ]);
    }
    for i in 0..n_answers {
        let (group, birth, care) = &children[r.below(children.len() as u64) as usize];
        let band = chrono::NaiveDate::parse_from_str(birth, "%Y-%m-%d")
            .map(|b| age_band(b, today))
            .unwrap_or("6_11");
        let care = care.contains("吸引")
            || care.contains("経管")
            || care.contains("人工呼吸")
            || care.contains("自己注射")
            || care.contains("導尿")
            || r.pct(8);
        let sent = answer(&mut r, *group, band, care);
        let a: Answers =
            read(&def, &sent).map_err(|e| anyhow::anyhow!("demo answer {i}: {e:?}"))?;
        let is_paper = i >= n_answers - paper;
        let day = opened + Duration::days(r.below(44) as i64);
        responses.push(vec![
            Val::from(uuid::Uuid::now_v7().to_string().as_str()),
            tenant_id.into(),
            id.as_str().into(),
            Val::from(1i64),
            crate::auth::random_token().into(),
            (if is_paper { "paper" } else { "web" }).into(),
            serde_json::to_string(&a)
                .map_err(anyhow::Error::from)?
                .into(),
            Val::OptText(None),
            at(day, 8 * 60 + r.below(14 * 60) as i64).into(),
        ]);
    }
    insert_many(
        tx,
        "survey_invitations",
        &[
            "id",
            "tenant_id",
            "survey_id",
            "code",
            "code_hash",
            "label",
            "created_at",
            "used_at",
        ],
        invitations,
    )
    .await?;
    insert_many(
        tx,
        "survey_responses",
        &[
            "id",
            "tenant_id",
            "survey_id",
            "version",
            "submission",
            "source",
            "answers",
            "entered_by",
            "submitted_at",
        ],
        responses,
    )
    .await?;
    Ok(())
}
