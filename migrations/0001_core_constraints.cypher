// Identity of configuration items: immutable id, business code, identification keys (§7.1.4.1 a).
CREATE CONSTRAINT ci_id IF NOT EXISTS FOR (n:CI) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT ci_code IF NOT EXISTS FOR (n:CI) REQUIRE n.code IS UNIQUE;
CREATE CONSTRAINT ci_ident_key IF NOT EXISTS FOR (n:CI) REQUIRE n.identKey IS UNIQUE;
// Unique attributes are claimed through their own nodes so concurrent writers cannot both win.
CREATE CONSTRAINT unique_claim_key IF NOT EXISTS FOR (n:UniqueClaim) REQUIRE n.key IS UNIQUE;
CREATE INDEX ci_class IF NOT EXISTS FOR (n:CI) ON (n.class);
CREATE INDEX ci_lifecycle IF NOT EXISTS FOR (n:CI) ON (n.lifecycle);
CREATE INDEX ci_owner IF NOT EXISTS FOR (n:CI) ON (n.owner);
CREATE TEXT INDEX ci_name_text IF NOT EXISTS FOR (n:CI) ON (n.name);
// Versions of a CI for as-of reads (§7.1.4.1 c).
CREATE INDEX ci_version_ci IF NOT EXISTS FOR (v:CIVersion) ON (v.ciId, v.validFrom);
// The configuration model, one node per version.
CREATE CONSTRAINT model_version IF NOT EXISTS FOR (m:ModelVersion) REQUIRE m.version IS UNIQUE;
