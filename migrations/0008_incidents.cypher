// Incidents (§9.1) and problems (§9.2): an immutable id and the ITSM reference, both unique.
CREATE CONSTRAINT incident_id IF NOT EXISTS FOR (i:Incident) REQUIRE i.id IS UNIQUE;
CREATE CONSTRAINT incident_ref IF NOT EXISTS FOR (i:Incident) REQUIRE i.ref IS UNIQUE;
CREATE INDEX incident_status IF NOT EXISTS FOR (i:Incident) ON (i.status, i.occurredAt);
CREATE CONSTRAINT problem_id IF NOT EXISTS FOR (p:Problem) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT problem_ref IF NOT EXISTS FOR (p:Problem) REQUIRE p.ref IS UNIQUE;
// Incident level rules and windows: one node per policy version, never edited.
CREATE CONSTRAINT incident_policy_version IF NOT EXISTS FOR (p:IncidentPolicy) REQUIRE p.version IS UNIQUE;
