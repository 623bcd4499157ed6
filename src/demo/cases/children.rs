//! One demo child and the people around them: the child's row (name, disease,
//! certificate, school), the family (mother, father, sometimes a younger sister), the
//! workers (a third each; contractor children also have the nurse), and the consents
//! for the hospital and the school.

use chrono::Duration;

use super::names::{BOYS, DISEASES, FATHERS, GIRLS, MOTHERS, SCHOOLS, SURNAMES};
use super::{ymd, Agencies, Child, Load, Rng, Rows, Staff};
use crate::cases::model;
use crate::db::Val;

/// Makes child `i`: its rows, and what the rest of its history needs.
pub(super) fn child<'a>(
    r: &mut Rng,
    rows: &mut Rows,
    l: &Load<'_>,
    i: usize,
    staff: &'a Staff,
    ag: &Agencies,
) -> Child<'a> {
    let (tenant_id, today, now, d) = (l.tenant, l.today, &l.now, ymd);
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
    rows.children.push(vec![
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
    rows.family.push(vec![
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
    rows.family.push(vec![
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
        rows.family.push(vec![
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
    rows.workers.push(vec![
        tenant_id.into(),
        id.as_str().into(),
        primary.as_str().into(),
        true.into(),
        now.as_str().into(),
    ]);
    if i % 3 == 2 {
        rows.workers.push(vec![
            tenant_id.into(),
            id.as_str().into(),
            staff.nurse.as_str().into(),
            false.into(),
            now.as_str().into(),
        ]);
    } // Consent with the hospital and the school (written, by the mother).
    let hospital = r.pick(&ag.medical).clone();
    let school_agency = if ag.education.is_empty() {
        hospital.clone()
    } else {
        r.pick(&ag.education).clone()
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
        rows.consents.push(vec![
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
    Child {
        i,
        id,
        sur,
        age,
        mother,
        primary,
        primary_name,
        hospital,
        school_agency,
    }
}
