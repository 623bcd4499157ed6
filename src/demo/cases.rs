//! Demo casework: children with a year of realistic history (consultations, plans,
//! consents, referrals in every state, follow-ups, ecomaps, indicators). Deterministic
//! apart from ids; dates are relative to the day the demo is loaded.

use chrono::{Duration, NaiveDate};

use crate::auth::TenantId;
use crate::cases::model;
use crate::cases::store::columns;
use crate::db::{insert_many, Tx, Val};
use crate::error::AppResult;
use crate::time;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const SURNAMES: [(&str, &str); 24] = [
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("山本", "やまもと"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山田", "やまだ"),
    ("佐々木", "ささき"),
    ("山口", "やまぐち"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("林", "はやし"),
    ("斎藤", "さいとう"),
    ("清水", "しみず"),
    ("山崎", "やまざき"),
    ("森", "もり"),
    ("池田", "いけだ"),
    ("橋本", "はしもと"),
];
const GIRLS: [(&str, &str); 12] = [
    ("陽菜", "ひな"),
    ("結衣", "ゆい"),
    ("さくら", "さくら"),
    ("美咲", "みさき"),
    ("葵", "あおい"),
    ("凛", "りん"),
    ("芽依", "めい"),
    ("心春", "こはる"),
    ("莉子", "りこ"),
    ("楓", "かえで"),
    ("彩花", "あやか"),
    ("ひまり", "ひまり"),
];
const BOYS: [(&str, &str); 12] = [
    ("蓮", "れん"),
    ("大翔", "ひろと"),
    ("湊", "みなと"),
    ("悠真", "ゆうま"),
    ("陽翔", "はると"),
    ("樹", "いつき"),
    ("颯太", "そうた"),
    ("奏太", "かなた"),
    ("拓海", "たくみ"),
    ("健太", "けんた"),
    ("翔", "しょう"),
    ("律", "りつ"),
];
const MOTHERS: [&str; 8] = [
    "由美子",
    "真理",
    "恵",
    "直美",
    "智子",
    "裕子",
    "久美子",
    "明美",
];
const FATHERS: [&str; 6] = ["誠", "浩二", "健一", "大輔", "隆", "和也"];

/// (disease group, disease name, medical care)
const DISEASES: [(i64, &str, &str); 14] = [
    (
        7,
        "1型糖尿病",
        "血糖測定・インスリン注射（学校では昼食前に自己注射）",
    ),
    (
        2,
        "ネフローゼ症候群",
        "ステロイド内服。感染症流行時は登校を相談",
    ),
    (
        4,
        "ファロー四徴症（術後）",
        "運動制限あり（学校生活管理指導表 D）",
    ),
    (
        1,
        "急性リンパ性白血病",
        "維持療法中。感染予防のため体育は見学",
    ),
    (
        11,
        "てんかん（難治性）",
        "発作時の頓用薬（学校に預けている）",
    ),
    (3, "気管支ぜんそく（重症）", "吸入薬。発作時は保健室で吸入"),
    (9, "血友病A", "定期補充療法（週3回、家庭で静注）"),
    (12, "クローン病", "経腸栄養剤。トイレへの配慮が必要"),
    (5, "成長ホルモン分泌不全性低身長症", "毎晩の自己注射"),
    (13, "ダウン症候群（合併症あり）", "心疾患の経過観察"),
    (
        8,
        "フェニルケトン尿症",
        "低フェニルアラニン食（給食は除去食）",
    ),
    (
        11,
        "脊髄性筋萎縮症",
        "人工呼吸器（夜間）、吸引。医療的ケア看護職員が学校に配置",
    ),
    (
        6,
        "若年性特発性関節炎",
        "生物学的製剤の自己注射。関節痛の強い日は配慮",
    ),
    (4, "拡張型心筋症", "内服管理、運動制限"),
];

const SCHOOLS: [&str; 6] = [
    "デモ市立本町小学校",
    "デモ市立青葉小学校",
    "デモ市立中央中学校",
    "デモ県立みどり特別支援学校",
    "デモ県立デモ高等学校",
    "デモ市立緑ヶ丘中学校",
];

const NOTES: [&str; 16] = [
    "受給者証の更新手続きで来所。学校生活での困りごとを聞き取った。昼食前の注射を保健室でできるよう、学校と調整することにした。",
    "母から電話。体調が安定せず欠席が続いている。主治医の見立てを確認し、登校の段階的な再開を一緒に考える。",
    "家庭訪問。本人は進学の希望を話してくれた。きょうだい（妹）も寂しさを感じている様子。きょうだい会を紹介した。",
    "学校（担任・養護教諭）と面談に同行。緊急時の連絡体制と、体育の参加の仕方を確認した。",
    "本人と面談。将来の仕事について話した。アルバイトをしてみたいとの希望。就労の相談窓口の情報を伝えた。",
    "母と面談。介護の負担が大きく、睡眠がとれていない。レスパイトの利用について情報提供した。",
    "主治医の外来に同行。移行期医療について説明を受け、成人診療科への移行の準備を始めることになった。",
    "父から電話。医療費と仕事の両立について不安がある。医療費助成と利用できる制度を説明した。",
    "ピアカウンセリング（家族会の先輩保護者）につないだ。母の表情が明るくなったと本人談。",
    "復学支援会議に参加。院内学級から原籍校への復学に向けて、配慮事項を学校と共有した。",
    "オンラインで面談。受験に向けて、試験時の配慮申請について一緒に確認した。",
    "巡回相談。学校の先生方向けに病気の理解を深める説明をした。",
    "本人から メールで相談。友人関係の悩み。次回、直接会って話すことにした。",
    "ハローワークに同行。難病患者就職サポーターと面談し、職業訓練について説明を受けた。",
    "母から電話。災害時の電源確保について不安。市の災害時個別避難計画の担当につなぐ。",
    "定期の電話連絡。体調は安定。次回は受給者証の更新時に面談予定。",
];

pub struct Staff {
    pub nurse: String,
    pub support_worker: String,
    pub contractor: String,
    pub names: [String; 3],
}

/// Removes a tenant's casework (the demo reset; never used on real tenants).
pub async fn clear(tx: &mut Tx, tenant_id: &TenantId) -> AppResult<()> {
    // Case conferences are meetings of a child (removed with the child, explicitly here).
    for sql in [
        "DELETE FROM conference_participants WHERE tenant_id = $1",
        "DELETE FROM action_items WHERE tenant_id = $1 AND meeting_id IN (SELECT id FROM meetings WHERE child_id IS NOT NULL)",
        "DELETE FROM meetings WHERE tenant_id = $1 AND child_id IS NOT NULL",
    ] {
        sqlx::query(sql).bind(tenant_id).execute(&mut **tx).await?;
    }
    for table in [
        "ecomap_nodes",
        "indicators",
        "handovers",
        "referral_events",
        "referrals",
        "follow_ups",
        "support_plans",
        "consultations",
        "consents",
        "child_workers",
        "family_members",
        "children",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Loads `n` demo children into a tenant inside the demo transaction.
pub async fn load(
    tx: &mut Tx,
    tenant_id: &TenantId,
    code: &str,
    n: usize,
    staff: &Staff,
) -> AppResult<()> {
    clear(tx, tenant_id).await?;
    let agencies: Vec<(String, String, String)> = sqlx::query_as("SELECT id, name, field FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_key")
        .bind(tenant_id)
        .fetch_all(&mut **tx)
        .await?;
    let by_field = |f: &str| -> Vec<(String, String, String)> {
        agencies.iter().filter(|a| a.2 == f).cloned().collect()
    };
    let medical = by_field("医療");
    let education = by_field("教育");
    let family_groups = by_field("家族会・患者会");
    let work = by_field("就労");
    let welfare: Vec<_> = agencies
        .iter()
        .filter(|a| a.2 == "福祉" || a.2 == "障害" || a.2 == "医療的ケア")
        .cloned()
        .collect();
    let today = time::today_jst();
    let mut r = Rng(if code == "demo-city" {
        20251126
    } else {
        20251127
    });
    let (
        mut children,
        mut family,
        mut workers,
        mut consents,
        mut consultations,
        mut plans,
        mut follow_ups,
        mut referrals,
        mut events,
        mut ecomap,
        mut indicators,
        mut handovers,
    ) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let now = time::now_db();
    let ts = |d: NaiveDate, h: u32, m: u32| -> String {
        let local = d
            .and_hms_opt(h, m, 0)
            .and_then(|x| x.and_local_timezone(time::jst()).single());
        local
            .map(|l| time::to_db(l.with_timezone(&chrono::Utc)))
            .unwrap_or_else(time::now_db)
    };
    for i in 0..n {
        let id = uuid::Uuid::now_v7().to_string();
        let (sur, sur_r) = *r.pick(&SURNAMES);
        let girl = r.below(2) == 0;
        let (given, given_r) = if girl {
            *r.pick(&GIRLS)
        } else {
            *r.pick(&BOYS)
        };
        // Ages 1..19, a few over 18 (certified at 18).
        let age_days = 365 * (1 + r.below(19) as i64) + r.below(365) as i64;
        let birth = today - Duration::days(age_days);
        let age = model::age_on(birth, today);
        let (group, disease, care) = *r.pick(&DISEASES);
        let cert_to = today + Duration::days(r.below(150) as i64 - 20);
        let cert_from = cert_to - Duration::days(364);
        let school = if age >= 19 {
            ""
        } else if age >= 6 {
            *r.pick(&SCHOOLS)
        } else {
            "デモ市立ひかり保育園"
        };
        let grade = if (6..=11).contains(&age) {
            format!("小学{}年", age - 5)
        } else if (12..=14).contains(&age) {
            format!("中学{}年", age - 11)
        } else if (15..=17).contains(&age) {
            format!("高校{}年", age - 14)
        } else {
            String::new()
        };
        let workplace = if age >= 18 {
            "デモ市内の事業所（週3日のアルバイト）"
        } else {
            ""
        };
        let d = |x: NaiveDate| x.format("%Y-%m-%d").to_string();
        children.push(vec![
            Val::from(id.as_str()),
            tenant_id.into(),
            format!("{sur} {given}").into(),
            format!("{sur_r} {given_r}").into(),
            d(birth).into(),
            (if girl { "female" } else { "male" }).into(),
            group.into(),
            disease.into(),
            format!("{:07}", 1_200_000 + i * 37).into(),
            Val::OptText(Some(d(cert_from))),
            Val::OptText(Some(d(cert_to))),
            (age >= 18).into(),
            school.into(),
            grade.into(),
            workplace.into(),
            care.into(),
            (if r.below(4) == 0 {
                "共働き。祖母が近くに住み、送迎を手伝っている。"
            } else {
                ""
            })
            .into(),
            "active".into(),
            1i64.into(),
            now.as_str().into(),
            now.as_str().into(),
        ]);
        let mother = format!("{sur} {}", r.pick(&MOTHERS));
        let father = format!("{sur} {}", r.pick(&FATHERS));
        let phone = format!("090-0000-{:04}", 1000 + i);
        family.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "母".into(),
            mother.as_str().into(),
            Val::OptText(None),
            phone.as_str().into(),
            true.into(),
            false.into(),
            "".into(),
            0i64.into(),
        ]);
        family.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "父".into(),
            father.into(),
            Val::OptText(None),
            "".into(),
            true.into(),
            false.into(),
            "".into(),
            1i64.into(),
        ]);
        if r.below(3) == 0 {
            let (sib, _) = *r.pick(&GIRLS);
            family.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                "妹".into(),
                format!("{sur} {sib}").into(),
                Val::OptText(Some(d(birth + Duration::days(900)))),
                "".into(),
                false.into(),
                true.into(),
                "きょうだい会に参加".into(),
                2i64.into(),
            ]);
        }
        // Workers: a third each; contractor children also have the nurse as secondary.
        let (primary, primary_name) = match i % 3 {
            0 => (&staff.nurse, &staff.names[0]),
            1 => (&staff.support_worker, &staff.names[1]),
            _ => (&staff.contractor, &staff.names[2]),
        };
        workers.push(vec![
            tenant_id.into(),
            id.as_str().into(),
            primary.as_str().into(),
            true.into(),
            now.as_str().into(),
        ]);
        if i % 3 == 2 {
            workers.push(vec![
                tenant_id.into(),
                id.as_str().into(),
                staff.nurse.as_str().into(),
                false.into(),
                now.as_str().into(),
            ]);
        }
        // Consent with the hospital and the school (written, by the mother).
        let hospital = r.pick(&medical).clone();
        let school_agency = if education.is_empty() {
            hospital.clone()
        } else {
            r.pick(&education).clone()
        };
        for (a, items, purpose) in [
            (
                &hospital,
                "basic,disease,medical_care,school",
                "学校生活と在宅療養の支援のための情報共有",
            ),
            (
                &school_agency,
                "basic,disease,medical_care",
                "学校での配慮と緊急時対応の調整",
            ),
        ] {
            consents.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                a.0.as_str().into(),
                purpose.into(),
                items.into(),
                d(cert_from).into(),
                Val::OptText(Some(d(cert_to + Duration::days(365)))),
                "書面".into(),
                "母".into(),
                primary_name.as_str().into(),
                now.as_str().into(),
                "".into(),
            ]);
        }
        // A year of consultations: 3..10.
        let count = 3 + r.below(8) as i64;
        for k in 0..count {
            let day = today - Duration::days(365 - (k * 365 / count) - r.below(20) as i64);
            let method = *r.pick(&model::METHODS);
            let kind = if method == "巡回" {
                "巡回相談指導"
            } else {
                *r.pick(&model::KINDS[..4])
            };
            let note = *r.pick(&NOTES);
            consultations.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                ts(
                    day.min(today),
                    9 + r.below(8) as u32,
                    15 * r.below(4) as u32,
                )
                .into(),
                method.into(),
                kind.into(),
                (if r.below(2) == 0 {
                    "本人,保護者"
                } else {
                    "保護者"
                })
                .into(),
                (*r.pick(&[
                    "学校",
                    "医療",
                    "家族",
                    "進学",
                    "レスパイト",
                    "就労,移行期",
                    "きょうだい",
                ]))
                .into(),
                model::default_minutes(method).into(),
                (if method == "同行" { "学校" } else { "" }).into(),
                note.into(),
                (if k == count - 1 {
                    "次回、受給者証の更新時に面談"
                } else {
                    ""
                })
                .into(),
                primary.as_str().into(),
                primary_name.as_str().into(),
                now.as_str().into(),
            ]);
        }
        // Plans: most children have one, some two revisions.
        if r.below(5) != 0 {
            let revs = 1 + r.below(2) as i64;
            for rev in 1..=revs {
                let created = today - Duration::days(300 - (rev - 1) * 150);
                let actions = serde_json::json!([
                    {"description": "学校と緊急時の対応を確認する", "owner": school_agency.1, "due_date": d(created + Duration::days(60)), "status": if rev == revs { "実施中" } else { "完了" }},
                    {"description": "主治医に学校生活管理指導表を依頼する", "owner": hospital.1, "due_date": d(created + Duration::days(30)), "status": "完了"},
                    {"description": "家族会の交流会に参加してみる", "owner": "保護者", "due_date": d(created + Duration::days(120)), "status": "未着手"},
                ]);
                plans.push(vec![
                    uuid::Uuid::now_v7().to_string().into(), tenant_id.into(), id.as_str().into(), rev.into(),
                    (if age >= 12 { "友だちと同じように修学旅行に行きたい。" } else { "学校でみんなと給食を食べたい。" }).into(),
                    "体調を崩さずに学校生活を続けてほしい。困ったときに相談できる先がほしい。".into(),
                    (if age >= 15 { "自分の病気を説明でき、進学・就労に向けて自分で体調管理ができる。" } else { "学校で安心して過ごせる体制をつくる。" }).into(),
                    "・学校と緊急時の対応を共有する\n・欠席日数を前年より減らす\n・母の相談先を増やす".into(),
                    Val::OptText(Some(d(created + Duration::days(if rev == revs { 330 } else { 150 })))), actions.to_string().into(),
                    (if rev == 1 { "初回作成" } else { "半年の見直し。学校との調整が進んだため目標を更新" }).into(), primary_name.as_str().into(), ts(created, 14, 0).into(),
                ]);
            }
        }
        // Follow-ups: one pending re-contact (some overdue), one done.
        let due = today + Duration::days(r.below(40) as i64 - 10);
        follow_ups.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "recontact".into(),
            d(due).into(),
            "体調と学校生活の様子を電話で確認".into(),
            Val::OptText(Some(primary.clone())),
            Val::OptText(None),
            Val::OptText(None),
            now.as_str().into(),
        ]);
        follow_ups.push(vec![
            uuid::Uuid::now_v7().to_string().into(),
            tenant_id.into(),
            id.as_str().into(),
            "recontact".into(),
            d(today - Duration::days(90)).into(),
            "受診後の様子を確認".into(),
            Val::OptText(Some(primary.clone())),
            Val::OptText(Some(now.clone())),
            Val::OptText(Some(primary_name.clone())),
            now.as_str().into(),
        ]);
        // Referrals in every state.
        if r.below(3) != 0 {
            let target = match i % 4 {
                0 => r.pick(&family_groups).clone(),
                1 if !work.is_empty() && age >= 15 => r.pick(&work).clone(),
                2 if !welfare.is_empty() => r.pick(&welfare).clone(),
                _ => hospital.clone(),
            };
            let status = [
                "sent",
                "accepted",
                "in_progress",
                "completed",
                "declined",
                "completed",
                "in_progress",
            ][i % 7];
            let created = today - Duration::days(5 + r.below(120) as i64);
            let rid = uuid::Uuid::now_v7().to_string();
            let (reason, outcome) = match status {
                "declined" => ("定員に空きがないため、来年度に改めて相談してください", ""),
                "completed" => (
                    "",
                    "面談を行い、サービスの利用を開始した。本人も前向きに参加している。",
                ),
                _ => ("", ""),
            };
            if target.0 == hospital.0 {
                // The hospital has consent for basic, disease, medical_care, school.
            } else {
                consents.push(vec![
                    uuid::Uuid::now_v7().to_string().into(),
                    tenant_id.into(),
                    id.as_str().into(),
                    target.0.as_str().into(),
                    "紹介先での支援のための情報共有".into(),
                    "basic,disease".into(),
                    d(created - Duration::days(1)).into(),
                    Val::OptText(None),
                    "口頭".into(),
                    "母".into(),
                    primary_name.as_str().into(),
                    now.as_str().into(),
                    "".into(),
                ]);
            }
            referrals.push(vec![
                rid.as_str().into(),
                tenant_id.into(),
                id.as_str().into(),
                target.0.as_str().into(),
                "相談先の紹介と、家族の負担軽減".into(),
                "basic,disease".into(),
                "母の了承を得ています。平日の午後に母の携帯へ連絡をお願いします。".into(),
                status.into(),
                reason.into(),
                outcome.into(),
                primary_name.as_str().into(),
                ts(created, 10, 0).into(),
                ts(created + Duration::days(3), 10, 0).into(),
                Val::OptText(
                    (status != "sent" && status != "declined")
                        .then(|| ts(created + Duration::days(2), 11, 0)),
                ),
                Val::OptText(
                    matches!(status, "completed" | "declined")
                        .then(|| ts(created + Duration::days(3), 10, 0)),
                ),
            ]);
            let path: &[&str] = match status {
                "sent" => &["sent"],
                "accepted" => &["sent", "accepted"],
                "in_progress" => &["sent", "accepted", "in_progress"],
                "completed" => &["sent", "accepted", "in_progress", "completed"],
                _ => &["sent", "declined"],
            };
            for (k, st) in path.iter().enumerate() {
                let from = if k == 0 { "" } else { path[k - 1] };
                let actor = if k == 0 {
                    format!("{primary_name}（依頼）")
                } else {
                    format!("{}（窓口）", target.1)
                };
                let note = if *st == "declined" {
                    reason
                } else if *st == "completed" {
                    outcome
                } else {
                    ""
                };
                events.push(vec![
                    uuid::Uuid::now_v7().to_string().into(),
                    tenant_id.into(),
                    rid.as_str().into(),
                    ts(created + Duration::days(k as i64), 10 + k as u32, 0).into(),
                    actor.into(),
                    from.into(),
                    (*st).into(),
                    note.into(),
                ]);
            }
        }
        // Ecomap: family, hospital, school and a few others.
        let mut node = |agency: Option<&(String, String, String)>,
                        name: &str,
                        person: &str,
                        aff: &str,
                        when: &str,
                        can: &str,
                        field: &str,
                        strength: i64| {
            ecomap.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                Val::OptText(agency.map(|a| a.0.clone())),
                name.into(),
                person.into(),
                aff.into(),
                "".into(),
                when.into(),
                "".into(),
                can.into(),
                field.into(),
                strength.into(),
                now.as_str().into(),
            ]);
        };
        node(
            None,
            "",
            &mother,
            "母",
            "毎日",
            "通院の付き添い、服薬管理",
            "家族",
            3,
        );
        node(
            None,
            "",
            &format!("{sur}（父）"),
            "父",
            "休日・緊急時",
            "送迎",
            "家族",
            2,
        );
        node(
            Some(&hospital),
            &hospital.1,
            "主治医",
            "小児科",
            "体調の変化、学校生活の相談",
            "診断、学校生活管理指導表",
            "医療",
            3,
        );
        node(
            Some(&school_agency),
            &school_agency.1,
            "担任・養護教諭",
            "",
            "欠席が続くとき、行事の前",
            "校内の配慮、緊急時対応",
            "教育",
            2,
        );
        if let Some(fg) = family_groups.get(i % family_groups.len().max(1)) {
            node(
                Some(fg),
                &fg.1,
                "",
                "",
                "同じ病気の家族と話したいとき",
                "交流会、ピアサポート",
                "家族会・患者会",
                1,
            );
        }
        node(
            None,
            "デモ市 保健予防課",
            primary_name,
            "",
            "困ったときはいつでも",
            "相談、関係機関との調整",
            "行政",
            3,
        );
        // Indicators: absence days per term, family burden.
        for (k, term) in ["R6 3学期", "R7 1学期", "R7 2学期"].iter().enumerate() {
            let absent = (12i64 - 4 * k as i64 + r.below(4) as i64).max(0);
            indicators.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                "absence_days".into(),
                (*term).into(),
                absent.into(),
                "".into(),
                primary_name.as_str().into(),
                now.as_str().into(),
            ]);
            indicators.push(vec![
                uuid::Uuid::now_v7().to_string().into(),
                tenant_id.into(),
                id.as_str().into(),
                "family_burden".into(),
                (*term).into(),
                (4 - k as i64).max(1).into(),
                "".into(),
                primary_name.as_str().into(),
                now.as_str().into(),
            ]);
        }
        if i % 10 == 4 {
            handovers.push(vec![uuid::Uuid::now_v7().to_string().into(), tenant_id.into(), id.as_str().into(), "前任 保健師（異動）".into(), primary_name.as_str().into(),
                "母は電話よりメールを好む。受給者証の更新時期に必ず面談すること。学校の養護教諭とは関係良好。".into(), ts(today - Duration::days(200), 16, 0).into()]);
        }
    }
    insert_many(tx, "children", &columns::CHILDREN, children).await?;
    insert_many(tx, "family_members", &columns::FAMILY, family).await?;
    insert_many(tx, "child_workers", &columns::WORKERS, workers).await?;
    insert_many(tx, "consents", &columns::CONSENTS, consents).await?;
    insert_many(tx, "consultations", &columns::CONSULTATIONS, consultations).await?;
    insert_many(tx, "support_plans", &columns::PLANS, plans).await?;
    insert_many(tx, "follow_ups", &columns::FOLLOW_UPS, follow_ups).await?;
    insert_many(tx, "referrals", &columns::REFERRALS, referrals).await?;
    insert_many(tx, "referral_events", &columns::REFERRAL_EVENTS, events).await?;
    insert_many(
        tx,
        "ecomap_nodes",
        &[
            "id",
            "tenant_id",
            "child_id",
            "agency_id",
            "agency_name",
            "person_name",
            "affiliation",
            "contact",
            "when_to_contact",
            "strengths",
            "can_do",
            "field",
            "strength",
            "created_at",
        ],
        ecomap,
    )
    .await?;
    insert_many(tx, "indicators", &columns::INDICATORS, indicators).await?;
    insert_many(tx, "handovers", &columns::HANDOVERS, handovers).await?;
    Ok(())
}
