// The README's example queries are real: every ```graphql block runs, in order, against the demo
// estate loaded through the ordinary services, and none may answer with an error (but the one the
// README says is refused).

import fs from 'node:fs';
import path from 'node:path';
import { Role } from '../../src/platform/auth/roles';
import { loadDemoEstate } from '../../src/cli/demo-estate';
import { PROJECT_ROOT } from '../../src/platform/config';
import { startTestApp, tokenFor, type TestApp } from '../support/harness';

const README = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
/** Operations the README presents as refused, with the code it promises. */
const EXPECTED_REFUSALS: Record<string, string> = { VmAsOf: 'NOT_FOUND' };

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  const [row] = await app.executor.query('MATCH (n:CI {code: "BS-CLAIMS"}) RETURN count(n) AS n');
  if (row.n === 0) await loadDemoEstate(app.services, PROJECT_ROOT, { onlyIfEmpty: false });
}, 300_000);

afterAll(async () => {
  await app.close();
});

it('the README has example queries', () => {
  expect(BLOCKS.length).toBeGreaterThanOrEqual(8);
});

it('the demo estate holds the core systems the README names', async () => {
  const res = await app.gql(
    `{ cis(filter: { classes: ["BusinessSystem"], importance: ["CORE"] }) { totalCount edges { node { code } } } }`,
    {},
    tokenFor([Role.AUDITOR]),
  );
  const codes = res.data!.cis.edges.map((e: { node: { code: string } }) => e.node.code);
  expect(codes).toEqual(expect.arrayContaining(['BS-POLICY', 'BS-CLAIMS', 'BS-IMAGING', 'BS-PRODUCT']));
});

it('every README example runs in order, each with the token its header names', async () => {
  const manager = tokenFor([Role.CONFIG_MANAGER], 'user:readme');
  for (const block of BLOCKS) {
    const name = /^(?:query|mutation)\s+(\w+)/m.exec(block)?.[1] ?? '(anonymous)';
    // `# as ROLE subject` on the first line: the block is sent as that person.
    const as = /^# as (\w+) (\S+)/.exec(block);
    const token = as ? tokenFor([as[1] as Role], as[2]) : manager;
    const res = await app.gql(block, {}, token);
    const expected = EXPECTED_REFUSALS[name];
    if (expected) {
      expect({ name, code: res.errors?.[0]?.extensions?.code }).toEqual({ name, code: expected });
    } else {
      expect({ name, errors: res.errors }).toEqual({ name, errors: undefined });
    }
  }
});
