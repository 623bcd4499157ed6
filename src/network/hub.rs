//! The collaboration network drawn as SVG: the hub in the centre, connected agencies
//! on a ring grouped by 分野 (labels along the radius so they never overlap), edges
//! from the hub weighted by referrals and scene participation, edges between agencies
//! for shared scenes and councils, and agencies with no link yet listed apart.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::render::svg::{esc, field_colors, FIELD_ORDER};

pub use super::store::hub::{load, NetAgency, Network};

fn field_rank(f: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|x| *x == f)
        .unwrap_or(FIELD_ORDER.len())
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// Renders the network. Deterministic; all text escaped; no style attributes.
pub fn render(net: &Network, tenant: &str) -> String {
    let (w, h) = (1320.0_f64, 900.0_f64);
    let (cx, cy, r) = (480.0_f64, 460.0_f64, 200.0_f64);
    let mut connected: Vec<&NetAgency> = net
        .agencies
        .iter()
        .filter(|a| a.referrals > 0 || !a.scenes.is_empty() || !a.councils.is_empty())
        .collect();
    let apart: Vec<&NetAgency> = net
        .agencies
        .iter()
        .filter(|a| a.referrals == 0 && a.scenes.is_empty() && a.councils.is_empty())
        .collect();
    connected.sort_by(|a, b| {
        field_rank(&a.field)
            .cmp(&field_rank(&b.field))
            .then_with(|| a.field.cmp(&b.field))
            .then_with(|| a.name.cmp(&b.name))
    });
    let n = connected.len().max(1) as f64;
    let pos: Vec<(f64, f64, f64)> = connected
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let ang = -std::f64::consts::FRAC_PI_2 + 2.0 * std::f64::consts::PI * (i as f64) / n;
            (cx + r * ang.cos(), cy + r * ang.sin(), ang)
        })
        .collect();
    let hub_name = net
        .hub
        .as_ref()
        .map(|h| h.name.clone())
        .unwrap_or_else(|| "中核機関（未設定）".into());
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}の連携ネットワーク：つながっている機関 {} 件、まだつながっていない機関 {} 件" font-family="Noto Sans CJK JP, Noto Sans JP, sans-serif"><title>{}の連携ネットワーク</title><rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##,
        esc(tenant),
        connected.len(),
        apart.len(),
        esc(tenant)
    );
    let _ = write!(
        s,
        r##"<text x="24" y="36" font-size="22" font-weight="700" fill="#1b1f24">{}の連携ネットワーク</text>"##,
        esc(tenant)
    );
    // Edges between agencies sharing a scene or a council (drawn first, light).
    let mut pair_weight: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for i in 0..connected.len() {
        for j in (i + 1)..connected.len() {
            let shared = connected[i]
                .scenes
                .iter()
                .filter(|x| connected[j].scenes.contains(x))
                .count()
                + connected[i]
                    .councils
                    .iter()
                    .filter(|x| connected[j].councils.contains(x))
                    .count();
            if shared > 0 {
                pair_weight.insert((i, j), shared);
            }
        }
    }
    for ((i, j), wgt) in &pair_weight {
        let (x1, y1, _) = pos[*i];
        let (x2, y2, _) = pos[*j];
        let _ = write!(
            s,
            r##"<path d="M{x1:.1},{y1:.1} Q{cx:.1},{cy:.1} {x2:.1},{y2:.1}" fill="none" stroke="#9aa5b1" stroke-opacity="0.35" stroke-width="{:.1}"/>"##,
            0.6 + *wgt as f64 * 0.5
        );
    }
    // Hub edges weighted by referrals and scenes.
    for (i, a) in connected.iter().enumerate() {
        let (x, y, _) = pos[i];
        let weight = a.referrals as f64 + a.scenes.len() as f64;
        let sw = (1.0 + weight.sqrt() * 1.2).min(8.0);
        let _ = write!(
            s,
            r##"<line x1="{cx:.1}" y1="{cy:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#1f5f8b" stroke-opacity="0.55" stroke-width="{sw:.1}"/>"##
        );
    }
    // Nodes with labels along the radius.
    for (i, a) in connected.iter().enumerate() {
        let (x, y, ang) = pos[i];
        let (stroke, fill) = field_colors(&a.field);
        let deg = ang.to_degrees();
        let (rot, anchor, dx) = if ang.cos() >= 0.0 {
            (deg, "start", 12.0)
        } else {
            (deg + 180.0, "end", -12.0)
        };
        let _ = write!(
            s,
            r##"<g><title>{}（{}）紹介 {} 件、連携場面 {}、協議会 {}</title><circle cx="{x:.1}" cy="{y:.1}" r="8" fill="{fill}" stroke="{stroke}" stroke-width="2.5"/><text x="{x:.1}" y="{y:.1}" dx="{dx}" dy="4" font-size="11" fill="#1b1f24" text-anchor="{anchor}" transform="rotate({rot:.1} {x:.1} {y:.1})">{}</text></g>"##,
            esc(&a.name),
            esc(&a.field),
            a.referrals,
            a.scenes.len(),
            a.councils.len(),
            esc(&short(&a.name, 12))
        );
    }
    // The hub.
    let _ = write!(
        s,
        r##"<circle cx="{cx}" cy="{cy}" r="58" fill="#fff3c4" stroke="#c8962e" stroke-width="4"/><text x="{cx}" y="{}" font-size="12" font-weight="700" text-anchor="middle" fill="#1b1f24">中核機関</text><text x="{cx}" y="{}" font-size="12" text-anchor="middle" fill="#1b1f24">{}</text><text x="{cx}" y="{}" font-size="12" text-anchor="middle" fill="#1b1f24">{}</text>"##,
        cy - 14.0,
        cy + 4.0,
        esc(&hub_name.chars().take(10).collect::<String>()),
        cy + 20.0,
        esc(&short(&hub_name.chars().skip(10).collect::<String>(), 10))
    );
    // Field legend and the agencies not yet connected.
    let mut fields: Vec<&str> = connected.iter().map(|a| a.field.as_str()).collect();
    fields.dedup();
    let mut ly = 70.0;
    let _ = write!(
        s,
        r##"<text x="900" y="{ly}" font-size="14" font-weight="700" fill="#1b1f24">分野</text>"##
    );
    for f in &fields {
        ly += 20.0;
        let (stroke, fill) = field_colors(f);
        let _ = write!(
            s,
            r##"<circle cx="908" cy="{:.1}" r="6" fill="{fill}" stroke="{stroke}" stroke-width="2"/><text x="922" y="{ly:.1}" font-size="12" fill="#1b1f24">{}</text>"##,
            ly - 4.0,
            esc(f)
        );
    }
    ly += 36.0;
    let _ = write!(
        s,
        r##"<text x="900" y="{ly:.1}" font-size="14" font-weight="700" fill="#1b1f24">まだつながっていない機関（{} 件）</text>"##,
        apart.len()
    );
    for a in apart.iter().take(22) {
        ly += 18.0;
        let _ = write!(
            s,
            r##"<text x="908" y="{ly:.1}" font-size="11" fill="#3d444b">・{}（{}）</text>"##,
            esc(&short(&a.name, 16)),
            esc(&a.field)
        );
    }
    if apart.len() > 22 {
        ly += 18.0;
        let _ = write!(
            s,
            r##"<text x="908" y="{ly:.1}" font-size="11" fill="#3d444b">ほか {} 件</text>"##,
            apart.len() - 22
        );
    }
    let _ = write!(
        s,
        r##"<text x="24" y="{}" font-size="12" fill="#3d444b">中核機関からの線の太さ＝紹介の件数と連携場面の数。機関どうしの薄い線＝同じ連携場面・協議会に参加。</text></svg>"##,
        h - 20.0
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str, field: &str, refs: i64, scenes: &[&str]) -> NetAgency {
        NetAgency {
            id: name.into(),
            name: name.into(),
            field: field.into(),
            referrals: refs,
            scenes: scenes.iter().map(|s| s.to_string()).collect(),
            councils: vec![],
        }
    }

    #[test]
    fn connected_and_apart_agencies() {
        let net = Network {
            hub: Some(a("NPO法人 <こども>", "総合支援", 0, &[])),
            hub_people: String::new(),
            agencies: vec![
                a("病院", "医療", 3, &["復学"]),
                a("学校", "教育", 0, &["復学"]),
                a("未接続の会", "家族会・患者会", 0, &[]),
            ],
        };
        let svg = render(&net, "デモ市");
        assert!(svg.contains("つながっている機関 2 件、まだつながっていない機関 1 件"));
        assert!(
            svg.contains("&lt;こども") && svg.contains("&gt;") && !svg.contains("<こ"),
            "escaped"
        );
        assert!(svg.contains("未接続の会"));
        assert!(!svg.contains("style="));
        assert_eq!(svg.matches("<path").count(), 1, "病院 and 学校 share 復学");
    }
}
