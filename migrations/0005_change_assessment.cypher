// Change policy versions (risk rules, lead times, operations calendar): one node per version, never edited.
CREATE CONSTRAINT change_policy_version IF NOT EXISTS FOR (p:ChangePolicy) REQUIRE p.version IS UNIQUE;
// Assessments stored on a change (§7.2.5.2), read back newest first.
CREATE CONSTRAINT change_assessment_id IF NOT EXISTS FOR (a:ChangeAssessment) REQUIRE a.id IS UNIQUE;
CREATE INDEX change_assessment_ticket IF NOT EXISTS FOR (a:ChangeAssessment) ON (a.ticketId, a.assessedAt);
// Conflict checks look for changes whose windows overlap.
CREATE INDEX ticket_planned_start IF NOT EXISTS FOR (t:Ticket) ON (t.plannedStart);
