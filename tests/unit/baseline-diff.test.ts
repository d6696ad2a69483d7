// The comparison of two baseline contents: pure, no database.

import {
  countByClass,
  countDifferences,
  diffContents,
  type BaselineContent,
  type BaselineItem,
} from '../../src/baselines/baseline.diff';

const item = (code: string, over: Partial<BaselineItem> = {}): BaselineItem => ({
  id: `id-${code}`,
  code,
  name: code,
  class: 'VirtualMachine',
  lifecycle: 'IN_SERVICE',
  owner: 'T-OPS',
  version: 1,
  attributes: { hostname: code.toLowerCase() },
  ...over,
});
const rel = (source: string, type: string, target: string) => ({ id: `${source}>${target}`, type, source, target });

const before: BaselineContent = {
  items: [item('H1', { class: 'PhysicalServer' }), item('VM1'), item('VM2')],
  relations: [rel('VM1', 'RUNS_ON', 'H1'), rel('VM2', 'RUNS_ON', 'H1')],
};

describe('diffContents', () => {
  it('finds nothing between equal contents, whatever the versions and relationship ids', () => {
    const same: BaselineContent = {
      items: before.items.map((i) => ({ ...i, version: i.version + 3 })),
      relations: before.relations.map((r) => ({ ...r, id: `${r.id}-again` })),
    };
    expect(diffContents(before, same)).toEqual([]);
  });

  it('folds the relationships of an added or removed CI into its difference', () => {
    const after: BaselineContent = {
      items: [before.items[0], before.items[1], item('VM3')],
      relations: [rel('VM1', 'RUNS_ON', 'H1'), rel('VM3', 'RUNS_ON', 'H1')],
    };
    const diffs = diffContents(before, after);
    expect(diffs.map((d) => [d.kind, d.code])).toEqual([
      ['CI_REMOVED', 'VM2'],
      ['CI_ADDED', 'VM3'],
    ]);
    expect(diffs[0].relations).toEqual([rel('VM2', 'RUNS_ON', 'H1')]);
    expect(diffs[1].relations).toEqual([rel('VM3', 'RUNS_ON', 'H1')]);
  });

  it('reports field changes with old and new values, lifecycle first, and relationships between kept CIs', () => {
    const after: BaselineContent = {
      items: [
        before.items[0],
        item('VM1', { lifecycle: 'RETIRED', attributes: { hostname: 'vm1', ipAddress: '10.0.0.1' } }),
        item('VM2', { owner: 'T-DBA', attributes: {} }),
      ],
      relations: [rel('VM1', 'RUNS_ON', 'H1')],
    };
    const diffs = diffContents(before, after);
    expect(diffs.map((d) => [d.kind, d.code])).toEqual([
      ['CI_CHANGED', 'VM1'],
      ['CI_CHANGED', 'VM2'],
      ['RELATION_REMOVED', 'VM2'],
    ]);
    expect(diffs[0].changes).toEqual([
      { field: 'lifecycle', old: 'IN_SERVICE', new: 'RETIRED' },
      { field: 'attributes.ipAddress', old: null, new: '10.0.0.1' },
    ]);
    expect(diffs[1].changes).toEqual([
      { field: 'owner', old: 'T-OPS', new: 'T-DBA' },
      { field: 'attributes.hostname', old: 'vm2', new: null },
    ]);
    expect(diffs[2].classes.sort()).toEqual(['PhysicalServer', 'VirtualMachine']);
    expect(countDifferences(diffs)).toEqual({
      total: 3,
      ciAdded: 0,
      ciRemoved: 0,
      ciChanged: 2,
      lifecycleChanges: 1,
      attributeChanges: 2,
      relationsAdded: 0,
      relationsRemoved: 1,
    });
    expect(countByClass(diffs)).toEqual([{ key: 'VirtualMachine', count: 3 }]);
  });
});
