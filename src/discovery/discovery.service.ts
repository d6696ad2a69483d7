// Automated discovery (§7.1.4.1 b, §7.1.4.2.2): batches from collection tools are reconciled by
// identification keys. Discovery writes the attributes the model gives it, with no ticket; a value
// that disagrees with a human-owned attribute is reported as drift, never written. CIs a source
// stops reporting are flagged stale after a configurable time, never deleted.

import { DomainError, ValidationError } from '../platform/errors';
import type { Executor } from '../platform/neo4j/executor';
import type { OpLogService, OpRecord, WriteContext } from '../oplog/oplog.service';
import type { CIService } from '../cis/ci.service';
import { toCIRecord } from '../cis/ci.repository';
import { identKeyOf, type Attributes } from '../cis/ci.validation';

export const DISCOVERY_SOURCE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface DiscoveredItem {
  class: string;
  /** The responsible person or team as the tool sees it: human-owned, so only ever drift. */
  owner?: string | null;
  /** Must include the class's identification keys. */
  attributes: Record<string, unknown>;
}

export type DiscoveryOutcome = 'UPDATED' | 'UNCHANGED' | 'UNMATCHED' | 'REJECTED';

export interface DriftItem {
  attribute: string;
  recorded: unknown;
  discovered: unknown;
}

export interface DiscoveryItemReport {
  index: number;
  code: string | null;
  outcome: DiscoveryOutcome;
  /** Discovery-owned attributes written. */
  updated: string[];
  /** Human-owned attributes whose discovered value differs: reported, not written. */
  drift: DriftItem[];
  reason: string | null;
}

export interface DiscoveryReport {
  source: string;
  items: DiscoveryItemReport[];
  /** CIs of this source flagged stale by this run. */
  markedStale: number;
}

const QUERIES = {
  byIdentKey: `MATCH (n:CI {identKey: $key}) RETURN n {.*} AS n`,
  seen: `
    UNWIND $ids AS id
    MATCH (n:CI {id: id})
    SET n.lastSeenAt = $at, n.discoverySource = $source, n.stale = false`,
  markStale: `
    MATCH (n:CI)
    WHERE n.discoverySource = $source AND n.lastSeenAt < $before AND coalesce(n.stale, false) = false AND n.retiredAt IS NULL
    SET n.stale = true
    RETURN collect(n.id) AS ids`,
} as const;

export class DiscoveryService {
  constructor(
    private readonly executor: Executor,
    private readonly cis: CIService,
    private readonly oplog: OpLogService,
    /** After how long without a report a CI is stale. */
    private readonly staleAfterMs: number,
  ) {}

  /** Reconciles one batch from one source in one transaction, then flags what the source no longer reports. */
  async report(actor: string, source: string, items: DiscoveredItem[], at = Date.now()): Promise<DiscoveryReport> {
    if (!DISCOVERY_SOURCE_PATTERN.test(source)) {
      throw new ValidationError('source must be 1–64 lowercase letters, digits or ._-', { field: 'source' });
    }
    const ctx: WriteContext = { actor, at, source: `discovery:${source}`, ticket: null };
    return this.executor.write(async (tx) => {
      const model = await this.cis.lockForWrite(tx, ctx);
      const reports: DiscoveryItemReport[] = [];
      const records: OpRecord[] = [];
      const seen: string[] = [];
      for (const [index, item] of items.entries()) {
        const r: DiscoveryItemReport = {
          index,
          code: null,
          outcome: 'UNCHANGED',
          updated: [],
          drift: [],
          reason: null,
        };
        reports.push(r);
        const cls = model.getClass(item.class);
        if (!cls || cls.abstract || cls.identificationKeys.length === 0) {
          Object.assign(r, {
            outcome: 'REJECTED',
            reason: `${JSON.stringify(item.class)} is not a concrete class with identification keys`,
          });
          continue;
        }
        const attrs = (item.attributes ?? {}) as Attributes;
        const missing = cls.identificationKeys.filter((k) => attrs[k] === undefined);
        if (missing.length) {
          Object.assign(r, {
            outcome: 'REJECTED',
            reason: `the identification keys ${missing.join(', ')} are missing`,
          });
          continue;
        }
        const [row] = await tx.run(QUERIES.byIdentKey, { key: identKeyOf(cls, attrs) });
        if (!row) {
          Object.assign(r, {
            outcome: 'UNMATCHED',
            reason: 'no registered CI has these identification keys: register it under a ticket',
          });
          continue;
        }
        const current = toCIRecord(row.n as Record<string, unknown>);
        r.code = current.code;
        seen.push(current.id);
        const patch: Record<string, unknown> = {};
        if (item.owner && item.owner !== current.owner)
          r.drift.push({ attribute: 'owner', recorded: current.owner, discovered: item.owner });
        for (const [name, value] of Object.entries(attrs)) {
          const def = cls.attributes.get(name);
          if (!def || cls.identificationKeys.includes(name)) continue;
          const recorded = current.attributes[name];
          if (def.maintainedBy === 'DISCOVERY') {
            if (recorded !== value) patch[name] = value;
          } else if (recorded !== value) {
            r.drift.push({ attribute: name, recorded: recorded ?? null, discovered: value });
          }
        }
        if (Object.keys(patch).length === 0) continue;
        try {
          const { record } = await this.cis.applyUpdate(
            tx,
            model,
            ctx,
            current,
            { attributes: patch },
            (f) => `items[${index}].${f}`,
          );
          if (record) {
            records.push(record);
            Object.assign(r, { outcome: 'UPDATED', updated: Object.keys(patch) });
          }
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          Object.assign(r, { outcome: 'REJECTED', reason: e.message });
        }
      }
      await tx.run(QUERIES.seen, { ids: seen, at, source });
      const [stale] = await tx.run(QUERIES.markStale, { source, before: at - this.staleAfterMs });
      const staleIds = (stale?.ids as string[]) ?? [];
      if (staleIds.length) {
        records.push(
          ...staleIds.map((id): OpRecord => ({
            action: 'CI_STALE',
            targetType: 'CI',
            targetId: id,
            ciIds: [id],
            before: { stale: false },
            after: { stale: true, source },
          })),
        );
      }
      await this.oplog.record(tx, ctx, records);
      return { source, items: reports, markedStale: staleIds.length };
    });
  }
}
