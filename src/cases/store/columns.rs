//! The columns of the casework tables in the order their bulk rows are built
//! (`db::insert_many`): the store, the demo and the benchmark write the same tables.

pub const CHILDREN: [&str; 21] = [
    "id",
    "tenant_id",
    "name",
    "reading",
    "birth_date",
    "sex",
    "disease_group",
    "disease_name",
    "certificate_number",
    "certificate_from",
    "certificate_to",
    "certified_at_18",
    "school",
    "grade",
    "workplace",
    "medical_care",
    "household_notes",
    "status",
    "version",
    "created_at",
    "updated_at",
];

pub const FAMILY: [&str; 11] = [
    "id",
    "tenant_id",
    "child_id",
    "relation",
    "name",
    "birth_date",
    "phone",
    "is_guardian",
    "supported",
    "notes",
    "position",
];

pub const WORKERS: [&str; 5] = [
    "tenant_id",
    "child_id",
    "user_id",
    "is_primary",
    "assigned_at",
];

pub const CONSENTS: [&str; 13] = [
    "id",
    "tenant_id",
    "child_id",
    "agency_id",
    "purpose",
    "items",
    "valid_from",
    "valid_to",
    "method",
    "given_by",
    "recorded_by",
    "created_at",
    "revoke_reason",
];

pub const CONSULTATIONS: [&str; 15] = [
    "id",
    "tenant_id",
    "child_id",
    "at",
    "method",
    "kind",
    "participants",
    "topics",
    "minutes",
    "destination",
    "notes",
    "next_action",
    "worker_id",
    "worker_name",
    "created_at",
];

pub const PLANS: [&str; 13] = [
    "id",
    "tenant_id",
    "child_id",
    "revision",
    "child_words",
    "guardian_words",
    "long_term_goal",
    "short_term_goals",
    "review_date",
    "actions",
    "note",
    "created_by",
    "created_at",
];

pub const FOLLOW_UPS: [&str; 10] = [
    "id",
    "tenant_id",
    "child_id",
    "kind",
    "due_date",
    "note",
    "assigned_to",
    "done_at",
    "done_by",
    "created_at",
];

pub const REFERRALS: [&str; 15] = [
    "id",
    "tenant_id",
    "child_id",
    "agency_id",
    "purpose",
    "shared_items",
    "message",
    "status",
    "reason",
    "outcome",
    "created_by",
    "created_at",
    "updated_at",
    "accepted_at",
    "closed_at",
];

pub const REFERRAL_EVENTS: [&str; 8] = [
    "id",
    "tenant_id",
    "referral_id",
    "at",
    "actor",
    "from_status",
    "to_status",
    "note",
];

pub const INDICATORS: [&str; 9] = [
    "id",
    "tenant_id",
    "child_id",
    "kind",
    "period",
    "value",
    "note",
    "recorded_by",
    "recorded_at",
];

pub const HANDOVERS: [&str; 7] = [
    "id",
    "tenant_id",
    "child_id",
    "from_user",
    "to_user",
    "note",
    "at",
];
