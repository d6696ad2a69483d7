// The operation log's query and retention (§7.1.4.1 c, §9.1.5.1 e). A filter by actor, ticket or
// action pages in seq order straight from a (property, seq) index, so a page and its keyset cursor
// cost the same at the millionth entry; the single-property indexes of 0002 stay for counting.
CREATE INDEX oplog_actor_seq IF NOT EXISTS FOR (o:OpLog) ON (o.actor, o.seq);
CREATE INDEX oplog_ticket_seq IF NOT EXISTS FOR (o:OpLog) ON (o.ticket, o.seq);
CREATE INDEX oplog_action_seq IF NOT EXISTS FOR (o:OpLog) ON (o.action, o.seq);
// Purges move the chain's anchor (the last purged entry) on the head; before the first it is seq 0, hash ''.
MATCH (h:OpLogHead {key: 'head'}) WHERE h.anchorSeq IS NULL SET h.anchorSeq = 0, h.anchorHash = '';
