// Baselines (§3.15): one node per baseline, its content in chunks written once and never edited.
CREATE CONSTRAINT baseline_id IF NOT EXISTS FOR (b:Baseline) REQUIRE b.id IS UNIQUE;
CREATE INDEX baseline_sort IF NOT EXISTS FOR (b:Baseline) ON (b.sortKey);
CREATE INDEX baseline_ticket IF NOT EXISTS FOR (b:Baseline) ON (b.ticketId);
CREATE INDEX baseline_chunk IF NOT EXISTS FOR (c:BaselineChunk) ON (c.baselineId);
