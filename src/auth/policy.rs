//! The policy: the one place that decides who may do what. Deny by default: an action
//! not listed for a role is refused. Tenant separation is enforced beneath this, in
//! the store layer, where every query of tenant data carries the caller's tenant id.

use super::{Ctx, Role};
use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the home page and one's own account.
    UseApp,
    /// List and view the users of one's tenant.
    ViewUsers,
    /// Create, disable, enable users and reset their passwords.
    ManageUsers,
    /// Read the audit log of one's tenant (system admins: all of it).
    ViewAudit,
    /// List and create tenants (実施主体).
    ManageTenants,
    /// Browse, search and export the agency registry (関係機関台帳).
    ViewAgencies,
    /// Create, edit and delete agencies and their scene links.
    ManageAgencies,
    /// Import files into the registry; edit its lists (分野, 連携場面, 近接施策);
    /// approve partners' proposals.
    AdministerRegistry,
    /// Propose changes to one's own agency (partners).
    ProposeAgencyChange,
    /// Read children's records (contractors: only the children assigned to them;
    /// checked in cases::store).
    ViewChildren,
    /// Write casework: children, consultations, plans, referrals, follow-ups.
    ManageChildren,
    /// Receive referrals addressed to one's agency (partners), seeing only consented items.
    ReceiveReferrals,
    /// Read collaboration goals, councils, meetings and trainings.
    ViewNetwork,
    /// Prepare, hold and follow up councils, meetings and trainings; set goals.
    ManageNetwork,
    /// Contracts with contractors; approve or return monthly reports.
    ManageContracts,
    /// Draft and submit the monthly report of one's own contract (contractors).
    SubmitReports,
    /// See the optional services (努力義務事業) and their events (contractors: their
    /// contract's; who takes part needs ViewChildren too).
    ViewServices,
    /// Create services and events, register participants (with ManageChildren);
    /// contractors only under their own contract.
    ManageServices,
    /// See the activity statistics, the annual report and the cost comparison of one's
    /// tenant (contractors: their own contract's figures only; the records behind a
    /// figure need ViewChildren too).
    ViewReports,
    /// See figures added up over every tenant (aggregates only, small counts suppressed).
    ViewRollup,
    /// The family's rights and retention (privacy/): set how long closed cases are kept,
    /// erase a child's record on request, answer a disclosure request (開示請求) with
    /// everything held about a child, its access log included. The child must also pass
    /// the casework access check.
    AdministerPrivacy,
    /// See the surveys (実態把握調査 and others), their results and free-text answers.
    ViewSurveys,
    /// Build, open, close and copy surveys; invitation codes; paper answers keyed in.
    ManageSurveys,
}

pub fn can(ctx: &Ctx, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match (ctx.role, action) {
        (_, UseApp) => true,
        (SystemAdmin, ViewUsers | ManageUsers | ViewAudit | ManageTenants) => true,
        (TenantAdmin, ViewUsers | ManageUsers | ViewAudit) => true,
        (Auditor, ViewUsers | ViewAudit) => true,
        (TenantAdmin, ViewAgencies | ManageAgencies | AdministerRegistry) => true,
        (Nurse | SupportWorker, ViewAgencies | ManageAgencies) => true,
        (Contractor | Auditor, ViewAgencies) => true,
        (Partner, ProposeAgencyChange | ReceiveReferrals) => ctx.agency_id.is_some(),
        (TenantAdmin | Nurse | SupportWorker | Contractor, ViewChildren | ManageChildren) => true,
        (TenantAdmin | Nurse | SupportWorker | Contractor | Auditor, ViewNetwork) => true,
        (TenantAdmin | Nurse | SupportWorker, ManageNetwork) => true,
        (TenantAdmin, ManageContracts) => true,
        (Contractor, SubmitReports) => true,
        (TenantAdmin | Nurse | SupportWorker | Contractor | Auditor, ViewServices) => true,
        (TenantAdmin | Nurse | SupportWorker | Contractor, ManageServices) => true,
        (TenantAdmin | Nurse | SupportWorker | Contractor | Auditor, ViewReports) => true,
        (SystemAdmin, ViewRollup) => true,
        (TenantAdmin, AdministerPrivacy) => true,
        (TenantAdmin | Nurse | SupportWorker | Auditor, ViewSurveys) => true,
        (TenantAdmin | Nurse | SupportWorker, ManageSurveys) => true,
        _ => false,
    }
}

pub fn require(ctx: &Ctx, action: Action) -> Result<(), AppError> {
    if can(ctx, action) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(role: Role) -> Ctx {
        Ctx {
            role,
            ..Ctx::system()
        }
    }

    #[test]
    fn deny_by_default() {
        for role in [
            Role::Nurse,
            Role::SupportWorker,
            Role::Contractor,
            Role::Partner,
        ] {
            assert!(can(&ctx(role), Action::UseApp));
            assert!(!can(&ctx(role), Action::ViewUsers), "{role:?}");
            assert!(!can(&ctx(role), Action::ManageUsers), "{role:?}");
            assert!(!can(&ctx(role), Action::ViewAudit), "{role:?}");
            assert!(!can(&ctx(role), Action::ManageTenants), "{role:?}");
        }
    }

    #[test]
    fn children_are_for_caseworkers_only() {
        for role in [Role::Partner, Role::Auditor, Role::SystemAdmin] {
            assert!(!can(&ctx(role), Action::ViewChildren), "{role:?}");
            assert!(!can(&ctx(role), Action::ManageChildren), "{role:?}");
        }
        let partner = Ctx {
            agency_id: Some("a".into()),
            ..ctx(Role::Partner)
        };
        assert!(can(&partner, Action::ReceiveReferrals));
        assert!(
            !can(&ctx(Role::Partner), Action::ReceiveReferrals),
            "a partner without an agency receives nothing"
        );
    }

    #[test]
    fn auditor_reads_but_never_writes() {
        let a = ctx(Role::Auditor);
        assert!(can(&a, Action::ViewAudit) && can(&a, Action::ViewUsers));
        assert!(!can(&a, Action::ManageUsers) && !can(&a, Action::ManageTenants));
    }

    #[test]
    fn services_are_run_by_staff_and_contractors() {
        for role in [
            Role::TenantAdmin,
            Role::Nurse,
            Role::SupportWorker,
            Role::Contractor,
        ] {
            assert!(can(&ctx(role), Action::ManageServices), "{role:?}");
        }
        assert!(can(&ctx(Role::Auditor), Action::ViewServices));
        assert!(!can(&ctx(Role::Auditor), Action::ManageServices));
        for role in [Role::Partner, Role::SystemAdmin] {
            assert!(!can(&ctx(role), Action::ViewServices), "{role:?}");
            assert!(!can(&ctx(role), Action::ManageServices), "{role:?}");
        }
    }

    #[test]
    fn only_the_tenant_admin_answers_for_the_familys_rights() {
        assert!(can(&ctx(Role::TenantAdmin), Action::AdministerPrivacy));
        for role in [
            Role::SystemAdmin,
            Role::Nurse,
            Role::SupportWorker,
            Role::Contractor,
            Role::Partner,
            Role::Auditor,
        ] {
            assert!(!can(&ctx(role), Action::AdministerPrivacy), "{role:?}");
        }
    }

    #[test]
    fn only_system_admin_manages_tenants() {
        for role in Role::TENANT_ROLES {
            assert!(!can(&ctx(role), Action::ManageTenants));
        }
        assert!(can(&ctx(Role::SystemAdmin), Action::ManageTenants));
    }
}
