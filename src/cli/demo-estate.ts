// The demo estate (schema/demo-estate.json): a few hundred CIs of an insurer over two data
// centres. Loaded through the ordinary services, so it is validated and logged like any write.

import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../services';
import type { WriteContext } from '../oplog/oplog.service';
import { DomainError } from '../platform/errors';

export interface DemoEstate {
  cis: { class: string; code: string; name: string; lifecycle: string; owner: string; attributes: Record<string, unknown> }[];
  relations: { type: string; source: string; target: string }[];
}

export function readDemoEstate(projectRoot: string): DemoEstate {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, 'schema', 'demo-estate.json'), 'utf8')) as DemoEstate;
}

/** Shortest way through the lifecycle from one state to another, e.g. PLANNED → BUILDING → IN_SERVICE. */
export function lifecyclePath(transitions: { from: string; to: string }[], from: string, to: string): string[] {
  const previous = new Map<string, string>([[from, '']]);
  const queue = [from];
  while (queue.length) {
    const state = queue.shift()!;
    if (state === to) break;
    for (const t of transitions) {
      if (t.from === state && !previous.has(t.to)) {
        previous.set(t.to, state);
        queue.push(t.to);
      }
    }
  }
  if (!previous.has(to)) throw new Error(`no lifecycle path from ${from} to ${to}`);
  const steps: string[] = [];
  for (let s = to; s !== from; s = previous.get(s)!) steps.unshift(s);
  return steps;
}

/**
 * Creates the CIs in their first lifecycle state (owners before what they own), then the
 * relationships, then walks each CI to its state so every lifecycle baseline is checked.
 */
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
  const model = await services.model.current(true);
  const initial = model.data.lifecycle.initialStates[0];
  const ctx = (): WriteContext => ({ actor: 'system:demo-estate', at: Date.now(), source: 'demo-estate', ticket: null });

  const ids = new Map<string, { id: string; version: number }>();
  let pending = estate.cis;
  while (pending.length) {
    const failed: typeof pending = [];
    let lastError: unknown;
    for (const ci of pending) {
      try {
        const created = await services.cis.create(ctx(), { ...ci, lifecycle: initial });
        ids.set(ci.code, { id: created.id, version: created.version });
      } catch (e) {
        // An owner not created yet: try again in the next round.
        if (e instanceof DomainError && e.details.field === 'owner') {
          failed.push(ci);
          lastError = e;
        } else throw new Error(`demo CI ${ci.code}: ${(e as Error).message}`);
      }
    }
    if (failed.length === pending.length) throw new Error(`demo estate owners cannot be resolved: ${(lastError as Error).message}`);
    pending = failed;
  }
  for (const r of estate.relations) {
    try {
      await services.cis.createRelation(ctx(), r);
    } catch (e) {
      throw new Error(`demo relation ${r.source} ${r.type} ${r.target}: ${(e as Error).message}`);
    }
  }
  for (const ci of estate.cis) {
    const current = ids.get(ci.code)!;
    for (const state of ci.lifecycle === initial ? [] : lifecyclePath(model.data.lifecycle.transitions, initial, ci.lifecycle)) {
      const moved = await services.cis.changeLifecycle(ctx(), { id: current.id, expectedVersion: current.version, state });
      current.version = moved.version;
    }
  }
  return { cis: estate.cis.length, relations: estate.relations.length };
}
