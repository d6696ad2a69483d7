// Paging the impacted CIs: keys order by distance, then code, whatever characters the codes hold.

import { impactKey, pageAfter } from '../../src/changes/impact.service';
import type { Reached } from '../../src/cis/propagation';

const ci = (code: string, distance: number): Reached => ({
  elementId: code,
  id: code,
  code,
  class: 'VirtualMachine',
  lifecycle: 'IN_SERVICE',
  distance,
  parent: null,
  from: null,
  via: null,
  forward: true,
});

it('walks every impacted CI exactly once, page by page, nearest first', () => {
  const impacted = [
    ci('VM-A', 1),
    ci('VM-Z', 1),
    ci('DB-1', 2),
    ci('DB-_X', 2),
    ci('DB-a', 2),
    ci('APP-9', 3),
    ci('APP-~', 3),
    ci('BS-1', 10),
  ];
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = pageAfter(impacted, after, 3);
    seen.push(...page.items.map((c) => c.code));
    if (!page.hasNextPage) break;
    after = impactKey(page.items[page.items.length - 1]);
  }
  expect(seen).toEqual(impacted.map((c) => c.code));
  expect(pageAfter(impacted, impactKey(impacted[7]), 3)).toEqual({ items: [], hasNextPage: false });
});
