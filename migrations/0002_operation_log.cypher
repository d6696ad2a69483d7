// The append-only operation log (§9.1.5.1 e): sequence numbers are unique, the head holds the chain's end.
CREATE CONSTRAINT oplog_seq IF NOT EXISTS FOR (o:OpLog) REQUIRE o.seq IS UNIQUE;
CREATE INDEX oplog_at IF NOT EXISTS FOR (o:OpLog) ON (o.at);
CREATE INDEX oplog_actor IF NOT EXISTS FOR (o:OpLog) ON (o.actor);
CREATE INDEX oplog_ticket IF NOT EXISTS FOR (o:OpLog) ON (o.ticket);
CREATE CONSTRAINT oplog_head_key IF NOT EXISTS FOR (h:OpLogHead) REQUIRE h.key IS UNIQUE;
MERGE (h:OpLogHead {key: 'head'}) ON CREATE SET h.seq = 0, h.hash = '';
