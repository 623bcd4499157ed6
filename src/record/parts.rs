//! The record page's statement: one row kind (`Branch`) a table the page reads, each
//! column named where it is selected, put together into one UNION ALL; and `Part`, one
//! row of it, read by those names through `Cols`.

use crate::db::Cols;
use crate::error::AppResult;
use crate::AppError;

/// One kind of row of the record page's statement: its text and number columns, each a
/// (name, SQL expression) pair, and what follows FROM ($1 child, $2 tenant, $3 the
/// timeline's limit). The statement is put together from these, so that a column is
/// named where it is selected, and the decoders read it by that name.
pub struct Branch {
    pub kind: &'static str,
    pub text: &'static [(&'static str, &'static str)],
    pub num: &'static [(&'static str, &'static str)],
    /// Empty for a row without a table (the revision counters).
    pub from: &'static str,
}

/// Text and number columns of the statement (the widest kind's).
pub(crate) const TEXTS: usize = 13;
pub(crate) const NUMS: usize = 3;

/// Everything the record page shows besides the record itself. The timeline is put
/// together from these rows (in `record_page`), so that no table is read twice; only
/// the consultations, by far the most rows, are limited here, to the newest $3 in the
/// timeline's order. The last row ('revs') holds the revision counters of the child's
/// record and of the tenant, read in the same snapshot (RecordCache).
pub const BRANCHES: &[Branch] = &[
    Branch {
        kind: "family",
        text: &[
            ("relation", "relation"),
            ("name", "name"),
            ("birth_date", "birth_date"),
            ("phone", "phone"),
            ("notes", "notes"),
        ],
        num: &[
            ("is_guardian", "is_guardian"),
            ("supported", "supported"),
            ("position", "position"),
        ],
        from: "family_members WHERE child_id = $1 AND tenant_id = $2",
    },
    Branch {
        kind: "worker",
        text: &[
            ("user_id", "w.user_id"),
            ("display_name", "u.display_name"),
            ("role", "u.role"),
        ],
        num: &[("is_primary", "w.is_primary")],
        from: "child_workers w JOIN users u ON u.id = w.user_id \
               WHERE w.child_id = $1 AND w.tenant_id = $2",
    },
    Branch {
        kind: "consent",
        text: &[
            ("id", "c.id"),
            ("agency_id", "c.agency_id"),
            ("agency_name", "a.name"),
            ("purpose", "c.purpose"),
            ("items", "c.items"),
            ("valid_from", "c.valid_from"),
            ("valid_to", "c.valid_to"),
            ("method", "c.method"),
            ("given_by", "c.given_by"),
            ("recorded_by", "c.recorded_by"),
            ("revoked_at", "c.revoked_at"),
            ("revoke_reason", "c.revoke_reason"),
            ("created_at", "c.created_at"),
        ],
        num: &[],
        from: "consents c JOIN agencies a ON a.id = c.agency_id \
               WHERE c.child_id = $1 AND c.tenant_id = $2",
    },
    Branch {
        kind: "indicator",
        text: &[
            ("kind", "kind"),
            ("period", "period"),
            ("id", "id"),
            ("recorded_at", "recorded_at"),
            ("note", "note"),
            ("recorded_by", "recorded_by"),
        ],
        num: &[("value", "value")],
        from: "indicators WHERE child_id = $1 AND tenant_id = $2",
    },
    Branch {
        kind: "follow_up",
        text: &[
            ("id", "id"),
            ("kind", "kind"),
            ("due_date", "due_date"),
            ("note", "note"),
            ("created_at", "created_at"),
            ("done_at", "done_at"),
        ],
        num: &[],
        from: "follow_ups WHERE child_id = $1 AND tenant_id = $2",
    },
    Branch {
        kind: "plan",
        text: &[
            ("created_at", "created_at"),
            ("long_term_goal", "long_term_goal"),
            ("created_by", "created_by"),
            ("review_date", "review_date"),
        ],
        num: &[("revision", "revision")],
        from: "support_plans WHERE child_id = $1 AND tenant_id = $2",
    },
    Branch {
        kind: "staff",
        text: &[
            ("id", "id"),
            ("display_name", "display_name"),
            ("role", "role"),
        ],
        num: &[],
        from: "users WHERE tenant_id = $2 AND disabled_at IS NULL \
               AND role IN ('nurse', 'support_worker', 'contractor', 'tenant_admin')",
    },
    Branch {
        kind: "referral",
        text: &[
            ("id", "r.id"),
            ("agency_id", "r.agency_id"),
            ("agency_name", "a.name"),
            ("purpose", "r.purpose"),
            ("shared_items", "r.shared_items"),
            ("message", "r.message"),
            ("status", "r.status"),
            ("reason", "r.reason"),
            ("outcome", "r.outcome"),
            ("created_by", "r.created_by"),
            ("created_at", "r.created_at"),
            ("updated_at", "r.updated_at"),
        ],
        num: &[],
        from: "referrals r JOIN agencies a ON a.id = r.agency_id \
               WHERE r.child_id = $1 AND r.tenant_id = $2",
    },
    Branch {
        kind: "referral_event",
        text: &[
            ("referral_id", "e.referral_id"),
            ("at", "e.at"),
            ("to_status", "e.to_status"),
            ("note", "e.note"),
            ("actor", "e.actor"),
        ],
        num: &[],
        from: "referral_events e JOIN referrals r ON r.id = e.referral_id \
               WHERE r.child_id = $1 AND e.tenant_id = $2",
    },
    Branch {
        kind: "handover",
        text: &[
            ("at", "at"),
            ("from_user", "from_user"),
            ("to_user", "to_user"),
            ("note", "note"),
        ],
        num: &[],
        from: "handovers WHERE child_id = $1 AND tenant_id = $2",
    },
    Branch {
        kind: "conference",
        text: &[
            ("id", "m.id"),
            ("title", "m.title"),
            ("starts_at", "m.starts_at"),
            ("starts_utc", "m.starts_utc"),
            ("place", "m.place"),
            ("purpose", "m.purpose"),
            ("created_by", "m.created_by"),
            ("child_id", "m.child_id"),
        ],
        num: &[
            ("duration_minutes", "m.duration_minutes"),
            ("online", "m.online"),
            ("reflected_revision", "m.reflected_revision"),
        ],
        from: "meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference'",
    },
    Branch {
        kind: "service",
        text: &[
            ("id", "p.id"),
            ("event_id", "p.event_id"),
            ("service_id", "e.service_id"),
            ("service_name", "s.name"),
            ("service_kind", "s.kind"),
            ("contractor_name", "c.contractor_name"),
            ("event_title", "e.title"),
            ("when", "e.date || ' ' || e.start_time || ' ' || e.end_time"),
            ("place", "e.place"),
            (
                "who",
                "p.person_kind || ' ' || p.status || ' ' || p.created_at || ' ' || p.registered_by",
            ),
            ("relation", "p.relation"),
            ("person_name", "p.person_name"),
            ("starts_at", "e.starts_at"),
        ],
        num: &[],
        from: "service_participants p JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
               JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
               LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
               WHERE p.child_id = $1 AND p.tenant_id = $2",
    },
    Branch {
        kind: "consultation",
        text: &[
            ("at", "x.at"),
            ("title", "x.title"),
            ("body", "x.body"),
            ("who", "x.who"),
        ],
        num: &[],
        from: "(SELECT at, method || '・' || kind || '（' || CAST(minutes AS TEXT) || '分）' AS title, \
                 notes || CASE WHEN participants = '' AND topics = '' THEN '' \
                   ELSE '（参加: ' || participants || '／話題: ' || topics || '）' END AS body, \
                 worker_name AS who \
               FROM consultations WHERE child_id = $1 AND tenant_id = $2 \
               ORDER BY at DESC, title, body LIMIT $3) x",
    },
    Branch {
        kind: "revs",
        text: &[],
        num: &[
            ("child_rev", "(SELECT record_rev FROM children WHERE id = $1)"),
            ("tenant_rev", "(SELECT record_rev FROM tenants WHERE id = $2)"),
        ],
        from: "",
    },
];

/// The record page's statement: one UNION ALL of the BRANCHES, each row tagged by its
/// kind, with TEXTS text and NUMS number columns (NULL where a kind has fewer).
pub static RECORD_PAGE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut sql = String::new();
    for (i, b) in BRANCHES.iter().enumerate() {
        let first = i == 0;
        sql.push_str(if first {
            "SELECT "
        } else {
            " UNION ALL SELECT "
        });
        sql.push_str(&format!("'{}'", b.kind));
        if first {
            sql.push_str(" AS kind");
        }
        for j in 0..TEXTS {
            let col = match b.text.get(j) {
                Some((_, expr)) => expr.to_string(),
                None if first => "CAST(NULL AS TEXT)".into(),
                None => "NULL".into(),
            };
            sql.push_str(&format!(", {col}"));
            if first {
                sql.push_str(&format!(" AS t{j}"));
            }
        }
        for j in 0..NUMS {
            let col = b
                .num
                .get(j)
                .map(|(_, e)| *e)
                .unwrap_or("CAST(NULL AS BIGINT)");
            sql.push_str(&format!(", {col}"));
            if first {
                sql.push_str(&format!(" AS n{j}"));
            }
        }
        if !b.from.is_empty() {
            sql.push_str(" FROM ");
            sql.push_str(b.from);
        }
    }
    sql
});

/// One row of the record page's statement: its kind, the text columns and the numbers,
/// named by the kind's `Branch` (read through `Cols`).
pub(crate) struct Part {
    pub(crate) kind: String,
    pub(crate) s: [Option<String>; TEXTS],
    pub(crate) n: [Option<i64>; NUMS],
}

impl Part {
    pub(crate) fn from_row<'r, R>(r: &'r R) -> AppResult<Part>
    where
        R: sqlx::Row,
        usize: sqlx::ColumnIndex<R>,
        String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let mut s: [Option<String>; TEXTS] = Default::default();
        for (i, v) in s.iter_mut().enumerate() {
            *v = r.try_get(i + 1)?;
        }
        let mut n: [Option<i64>; NUMS] = Default::default();
        for (i, v) in n.iter_mut().enumerate() {
            *v = r.try_get(i + 1 + TEXTS)?;
        }
        Ok(Part {
            kind: r.try_get(0)?,
            s,
            n,
        })
    }

    fn branch(&self) -> AppResult<&'static Branch> {
        BRANCHES
            .iter()
            .find(|b| b.kind == self.kind)
            .ok_or_else(|| no_column(&self.kind, "kind"))
    }
}

impl Cols for Part {
    fn opt_text(&self, c: &str) -> AppResult<Option<String>> {
        let b = self.branch()?;
        let i = b
            .text
            .iter()
            .position(|(name, _)| *name == c)
            .ok_or_else(|| no_column(b.kind, c))?;
        Ok(self.s[i].clone())
    }
    fn opt_int(&self, c: &str) -> AppResult<Option<i64>> {
        let b = self.branch()?;
        let i = b
            .num
            .iter()
            .position(|(name, _)| *name == c)
            .ok_or_else(|| no_column(b.kind, c))?;
        Ok(self.n[i])
    }
}

fn no_column(kind: &str, c: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "the record page's '{kind}' rows have no column {c}"
    ))
}
