// The operation-log record of a bulk batch (src/cis/ci.batch.ts): one BATCH_CREATE entry whose
// `after` names what was created and digests it. No database.

import { batchDigest, batchRecord, type BatchCreateSummary, type BatchResult } from '../../src/cis/ci.batch';
import { snapshotOf, type CIRecord } from '../../src/cis/ci.repository';

function ci(id: string, code: string, cls = 'VirtualMachine'): CIRecord {
  return {
    id,
    code,
    name: code,
    class: cls,
    lifecycle: 'PLANNED',
    owner: 'T-OPS',
    version: 1,
    createdAt: 1,
    updatedAt: 1,
    retiredAt: null,
    stale: false,
    attributes: { hostname: code.toLowerCase() },
  };
}

const host = ci('h', 'SRV-STORED', 'PhysicalServer');
const vm1 = ci('v1', 'VM-1');
const vm2 = ci('v2', 'VM-2');
const newHost = ci('h2', 'SRV-NEW', 'PhysicalServer');
const result: BatchResult = {
  cis: [vm1, vm2, newHost],
  relations: [
    { id: 'r1', type: 'RUNS_ON', source: vm1, target: host },
    { id: 'r2', type: 'RUNS_ON', source: vm2, target: host },
    { id: 'r3', type: 'DEPENDS_ON', source: vm2, target: newHost },
  ],
};
const stored = new Map([[host.code, host]]);
const eids = new Map(['v1', 'v2', 'h2', 'h'].map((id) => [id, `4:x:${id}`]));

describe('batchRecord', () => {
  const record = batchRecord(result, stored, eids);
  const after = record.after as BatchCreateSummary;

  it('is one BATCH_CREATE entry with nothing before and the batch summary after', () => {
    expect(record).toMatchObject({ action: 'BATCH_CREATE', targetType: 'BATCH', before: null });
    expect(after).toMatchObject({ cis: 3, relations: 3, ciIds: ['v1', 'v2', 'h2'], relationIds: ['r1', 'r2', 'r3'] });
  });

  it('concerns every CI created and, once, each stored CI that gained a relationship', () => {
    expect(record.ciIds).toEqual(['v1', 'v2', 'h2', 'h']);
    expect(record.ciElementIds).toEqual(['4:x:v1', '4:x:v2', '4:x:h2', '4:x:h']);
  });

  it('digests the first states and the relationships, so any change shows', () => {
    const lines = (cis: CIRecord[]) => cis.map((c) => ({ id: c.id, state: snapshotOf(c) }));
    const rels = result.relations.map((r) => ({
      id: r.id,
      type: r.type,
      sourceId: r.source.id,
      targetId: r.target.id,
    }));
    expect(after.sha256).toBe(batchDigest(lines(result.cis), rels));
    expect(after.sha256).toMatch(/^[0-9a-f]{64}$/);
    const renamed = { ...vm1, name: 'renamed' };
    expect(batchDigest(lines([renamed, vm2, newHost]), rels)).not.toBe(after.sha256);
    expect(batchDigest(lines(result.cis), rels.slice(1))).not.toBe(after.sha256);
    expect(batchDigest(lines(result.cis), [{ ...rels[0], targetId: 'h2' }, ...rels.slice(1)])).not.toBe(after.sha256);
  });
});
