//! The ecomap of a demo child: the family, the hospital, the school, a family group
//! and the tenant's office, each with what they can do and how strong the tie is.

use super::{Agencies, Child, Load, Rows};
use crate::db::Val;

/// The child's ecomap nodes.
pub(super) fn nodes(rows: &mut Rows, l: &Load<'_>, c: &Child<'_>, ag: &Agencies) {
    let tenant_id = l.tenant;
    let now = &l.now;
    let i = c.i;
    let id = &c.id;
    let primary_name = c.primary_name;
    let hospital = &c.hospital;
    let school_agency = &c.school_agency;
    let mother = &c.mother;
    let sur = c.sur;
    // Ecomap: family, hospital, school and a few others.
    let mut node = |agency: Option<&(String, String, String)>,
                    name: &str,
                    person: &str,
                    aff: &str,
                    when: &str,
                    can: &str,
                    field: &str,
                    strength: i64| {
        rows.ecomap.push(vec![
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
        mother,
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
        Some(hospital),
        &hospital.1,
        "主治医",
        "小児科",
        "体調の変化、学校生活の相談",
        "診断、学校生活管理指導表",
        "医療",
        3,
    );
    node(
        Some(school_agency),
        &school_agency.1,
        "担任・養護教諭",
        "",
        "欠席が続くとき、行事の前",
        "校内の配慮、緊急時対応",
        "教育",
        2,
    );
    if let Some(fg) = ag.family_groups.get(i % ag.family_groups.len().max(1)) {
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
}
