// Operator commands for the operation log: verify the hash chain (exit 1 when broken) and purge
// what is older than the retention period (§9.1.5.1 e). The API never deletes entries; these do.

import type { Config } from '../platform/config';
import type { Logger } from '../platform/logging';
import { connect } from '../runtime';
import { createServices, type Services } from '../services';
import { purgeExpired, type PurgeResult, type VerifyResult } from '../oplog/oplog.service';
import { option } from './args';

export const OPLOG_USAGE = `  verify-oplog [--from-seq N] [--to-seq N] [--json]
                        recompute the operation log's hash chain; exit 1 if broken
  purge-oplog [--dry-run] [--before ISO-DATE] [--json]
                        delete entries older than OPLOG_RETENTION_DAYS (never younger)
`;

function flag(args: string[], name: string): boolean {
  return args.includes(`--${name}`);
}

function seqOption(args: string[], name: string): number | undefined {
  const raw = option(args, name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new Error(`--${name} must be a sequence number, got "${raw}"`);
  return Number(raw);
}

async function withServices<T>(config: Config, log: Logger, work: (services: Services) => Promise<T>): Promise<T> {
  const { executor, embedded } = await connect(config, log);
  try {
    return await work(createServices(executor));
  } finally {
    await executor.close();
    await embedded?.stop();
  }
}

export function describeVerification(r: VerifyResult): string {
  const range = r.checked > 0 ? `seq ${r.fromSeq}–${r.toSeq}` : 'no entries in range';
  if (r.ok)
    return `operation log intact: ${r.checked} entries checked (${range}; head ${r.headSeq}, anchor ${r.anchorSeq})`;
  return `operation log BROKEN at seq ${r.firstBrokenSeq}: ${r.reason}: ${r.detail} (${r.checked} entries checked before it; head ${r.headSeq}, anchor ${r.anchorSeq})`;
}

export function describePurge(r: PurgeResult): string {
  const verb = r.dryRun ? 'would purge' : 'purged';
  const what =
    r.deleted > 0
      ? `${verb} ${r.deleted} entries (seq ${r.firstSeq}–${r.lastSeq}) older than ${new Date(r.cutoff).toISOString()}`
      : `nothing to purge: no entries older than ${new Date(r.cutoff).toISOString()}`;
  const anchor = `; the chain ${r.dryRun ? 'would start' : 'starts'} after seq ${r.anchorSeq}`;
  const broken = r.broken
    ? `\nstopped at seq ${r.broken.seq}: ${r.broken.reason}: ${r.broken.detail}; run verify-oplog`
    : '';
  return `${what}${anchor}${broken}`;
}

/** `verify-oplog`: 0 when the chain (or the range) is intact, 1 when broken. */
export async function verifyOplogCommand(config: Config, log: Logger, args: string[]): Promise<number> {
  const fromSeq = seqOption(args, 'from-seq');
  const toSeq = seqOption(args, 'to-seq');
  const result = await withServices(config, log, (s) => s.oplog.verify(s.executor, { fromSeq, toSeq }));
  console.log(flag(args, 'json') ? JSON.stringify(result) : describeVerification(result));
  return result.ok ? 0 : 1;
}

/** `purge-oplog`: 0 when done, 1 when it stopped at a broken entry (which it never deletes). */
export async function purgeOplogCommand(config: Config, log: Logger, args: string[]): Promise<number> {
  const beforeText = option(args, 'before');
  const before = beforeText === undefined ? null : Date.parse(beforeText);
  if (before !== null && Number.isNaN(before)) throw new Error(`--before must be an ISO date, got "${beforeText}"`);
  const result = await withServices(config, log, (s) =>
    purgeExpired(s, config, Date.now(), { dryRun: flag(args, 'dry-run'), before }),
  );
  console.log(flag(args, 'json') ? JSON.stringify(result) : describePurge(result));
  return result.broken ? 1 : 0;
}
