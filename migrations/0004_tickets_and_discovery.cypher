// Tickets that authorise configuration changes (§7.1.4.2.1): an immutable id and the ITSM reference, both unique.
CREATE CONSTRAINT ticket_id IF NOT EXISTS FOR (t:Ticket) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT ticket_ref IF NOT EXISTS FOR (t:Ticket) REQUIRE t.ref IS UNIQUE;
CREATE INDEX ticket_kind_state IF NOT EXISTS FOR (t:Ticket) ON (t.kind, t.state);
// Looked up on every update of a CI that holds unique values.
CREATE INDEX unique_claim_ci IF NOT EXISTS FOR (c:UniqueClaim) ON (c.ciId);
// Discovery: which source last saw a CI, and when (stale detection).
CREATE INDEX ci_discovery_source IF NOT EXISTS FOR (n:CI) ON (n.discoverySource, n.lastSeenAt);
