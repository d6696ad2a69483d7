// Sampling audits (§7.1.4.3): the audit beside its AUDIT ticket, its frozen items, and the jobs.
CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (a:Audit) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT audit_ref IF NOT EXISTS FOR (a:Audit) REQUIRE a.ref IS UNIQUE;
// A scenario event (an operation-log entry, an incident) makes one audit, however often it is handled.
CREATE CONSTRAINT audit_scenario_key IF NOT EXISTS FOR (a:Audit) REQUIRE a.scenarioKey IS UNIQUE;
CREATE INDEX audit_created IF NOT EXISTS FOR (a:Audit) ON (a.createdAt);
CREATE CONSTRAINT audit_item_id IF NOT EXISTS FOR (i:AuditItem) REQUIRE i.id IS UNIQUE;
CREATE INDEX audit_item_code IF NOT EXISTS FOR (i:AuditItem) ON (i.auditId, i.code);
CREATE INDEX audit_item_ci IF NOT EXISTS FOR (i:AuditItem) ON (i.auditId, i.ciId);
CREATE INDEX audit_item_by_code IF NOT EXISTS FOR (i:AuditItem) ON (i.code);
// A job's run per scheduled slot (`annual@2026-01-01T02:00:00.000Z`), claimed under this constraint.
CREATE CONSTRAINT audit_job_run_key IF NOT EXISTS FOR (r:AuditJobRun) REQUIRE r.key IS UNIQUE;
CREATE CONSTRAINT audit_job_state IF NOT EXISTS FOR (s:AuditJobState) REQUIRE s.job IS UNIQUE;
CREATE CONSTRAINT audit_watermark_key IF NOT EXISTS FOR (w:AuditWatermark) REQUIRE w.key IS UNIQUE;
// The scenario scan starts at the log's head when the feature arrives: history before it is not re-audited.
MATCH (h:OpLogHead {key: 'head'}) MERGE (w:AuditWatermark {key: 'scenarios'}) ON CREATE SET w.seq = h.seq;
