// The demo estate (schema/demo-estate.json): a few hundred CIs of an insurer over two data
// centres. Loaded through the ordinary batch path, so it is validated and logged like any write.

import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../services';
import type { WriteContext } from '../oplog/oplog.service';
import { ConflictError } from '../platform/errors';

export interface DemoEstate {
  cis: {
    class: string;
    code: string;
    name: string;
    lifecycle: string;
    owner: string;
    attributes: Record<string, unknown>;
  }[];
  relations: { type: string; source: string; target: string }[];
}

export function readDemoEstate(projectRoot: string): DemoEstate {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'schema', 'demo-estate.json'), 'utf8')) as DemoEstate;
}

export const DEMO_TICKET = 'CMDB-INIT-DEMO';

/** The initialisation ticket (§7.1.4.2.1 配置初始化) that a first load runs under; opened once. */
export async function ensureInitializationTicket(services: Services, ref: string, title: string): Promise<string> {
  const ctx: WriteContext = { actor: 'system', at: Date.now(), source: 'system', ticket: null };
  try {
    await services.tickets.open(ctx, { kind: 'INITIALIZATION', ref, title });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
  }
  return ref;
}

/** Loads the whole estate in one transaction through the batch path: validated, logged, all or nothing. */
export async function loadDemoEstate(
  services: Services,
  projectRoot: string,
  options: { onlyIfEmpty: boolean },
): Promise<{ cis: number; relations: number } | null> {
  if (options.onlyIfEmpty) {
    const [row] = await services.executor.query('MATCH (n:CI) RETURN count(n) > 0 AS any');
    if (row.any) return null;
  }
  const estate = readDemoEstate(projectRoot);
  const ticket = await ensureInitializationTicket(
    services,
    DEMO_TICKET,
    '演示环境配置初始化 demo estate initialisation',
  );
  const ctx: WriteContext = { actor: 'system:demo-estate', at: Date.now(), source: 'demo-estate', ticket };
  const result = await services.cis.createBatch(ctx, estate);
  // The initialisation ends with its load (§7.1.4.2.1 a): closed, it authorises no later write.
  await services.tickets.transition({ ...ctx, at: Date.now() }, ticket, 'CLOSED');
  return { cis: result.cis.length, relations: result.relations.length };
}
