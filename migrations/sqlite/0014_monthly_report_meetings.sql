-- W6: the meetings a contractor's monthly report counts, as links to the meeting
-- records (its counts come from them, not from free text).
CREATE TABLE monthly_report_meetings (
    report_id   TEXT NOT NULL REFERENCES monthly_reports(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, meeting_id)
);
CREATE INDEX monthly_report_meetings_tenant ON monthly_report_meetings (tenant_id, report_id);
CREATE INDEX monthly_reports_tenant_contract ON monthly_reports (tenant_id, contract_id, month);
