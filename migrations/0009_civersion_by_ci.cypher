// A CI's current version is found by its id alone (`validTo IS NULL`, no validFrom bound): without an
// index on ciId by itself the planner scans every CIVersion, once per update, on a million-CI store.
CREATE INDEX ci_version_by_ci IF NOT EXISTS FOR (v:CIVersion) ON (v.ciId);
