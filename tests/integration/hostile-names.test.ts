// Hostile names — of classes, relationship types, attributes and lifecycle states — fed through every
// GraphQL argument that names one. Relationship types are the one kind of name that reaches Cypher
// text, so each must be refused with a clear error (never INTERNAL_SERVER_ERROR) or, for a read
// filter, match nothing; the database must lose nothing and the model must not change.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Role } from '../../src/platform/auth/roles';
import { CompiledModel } from '../../src/model/compiled-model';
import { relType } from '../../src/model/model.repository';
import type { ConfigModelData } from '../../src/model/model.types';
import {
  createTeam,
  ctxFor,
  startTestApp,
  tokenFor,
  uniq,
  type GraphQLResponse,
  type TestApp,
  TEST_TICKET,
} from '../support/harness';

jest.setTimeout(300_000);

const s = uniq();
const MANAGER_SUB = `user:cm-hostile-${s}`;
const ENGINEER_SUB = `user:ops-hostile-${s}`;
const manager = tokenFor([Role.CONFIG_MANAGER], MANAGER_SUB);
// Writes go under the test's initialisation ticket: the configuration roles' work (§7.1.4.2.2).
const engineer = tokenFor([Role.CONFIG_ADMIN], ENGINEER_SUB);

/** Names an attacker might try: Cypher breakouts, quoting, braces, the empty string, 10 kB. */
const HOSTILE: [string, string][] = [
  ['backtick breakout from a label', 'Server`) DETACH DELETE n //'],
  ['bracket breakout from a relationship', 'RUNS_ON]->() DETACH DELETE n //'],
  ['backtick breakout from a relationship', 'RUNS_ON`]->(b) DETACH DELETE b //'],
  ['type alternation', 'RUNS_ON|BELONGS_TO'],
  ['quote and boolean', "x' OR 1=1 //"],
  ['double quote', 'x" OR 1=1 //'],
  ['lone backtick', '`'],
  ['closing brace', '}'],
  ['parameter sigil', '$id'],
  ['NUL and newline', 'Server\u0000\nMATCH (n) DETACH DELETE n'],
  ['full-width look-alike', 'Ｓｅｒｖｅｒ'],
  ['empty', ''],
  ['10 kB', 'A'.repeat(10 * 1024)],
];

/** Well-formed names the model does not have: they pass every pattern and must still be refused. */
const UNKNOWN_CLASS = `Ghost${s}`;
const UNKNOWN_TYPE = `GHOST_${s}`;
const UNKNOWN_STATE = `LIMBO_${s}`;
const UNKNOWN_ATTR = `ghost${s}`;

const CLEAN_REFUSALS = ['VALIDATION_FAILED', 'NOT_FOUND'];

let app: TestApp;
let team: string;
let vmId: string;
const VM = `VM-HOSTILE-${s}`;
const HOST = `SRV-HOSTILE-${s}`;
const VM_HOST = `hostile-${s.toLowerCase()}`;

// ------------------------------------------------------------------ invariants

interface Snapshot {
  nodes: number;
  relationships: number;
  modelVersion: number;
}

async function snapshot(): Promise<Snapshot> {
  // UniqueClaim nodes are the one thing the product deletes (a retired CI gives its claims up), and
  // other test files retire CIs concurrently; every other node and every relationship is permanent.
  const [n] = await app.executor.query('MATCH (n) WHERE NOT n:UniqueClaim RETURN count(n) AS c');
  const [r] = await app.executor.query('MATCH ()-[r]->() RETURN count(r) AS c');
  const [m] = await app.executor.query('MATCH (m:ModelVersion) RETURN max(m.version) AS v');
  return { nodes: n.c as number, relationships: r.c as number, modelVersion: m.v as number };
}

async function expectNothingLost(before: Snapshot, label: string): Promise<void> {
  const after = await snapshot();
  expect({ label, nodes: after.nodes >= before.nodes }).toEqual({ label, nodes: true });
  expect({ label, relationships: after.relationships >= before.relationships }).toEqual({ label, relationships: true });
  // No version by this file's actors. (Another file may edit the model meanwhile; if none did, the
  // head version is exactly what it was.)
  const newer = await app.executor.query('MATCH (m:ModelVersion) WHERE m.version > $v RETURN m.actor AS actor', {
    v: before.modelVersion,
  });
  expect({ label, ours: newer.filter((x) => x.actor === MANAGER_SUB || x.actor === ENGINEER_SUB) }).toEqual({
    label,
    ours: [],
  });
  if (newer.length === 0)
    expect({ label, version: after.modelVersion }).toEqual({ label, version: before.modelVersion });
  // the fixtures are intact: both CIs, the relationship between them, and the VM untouched
  const [fix] = await app.executor.query(
    `MATCH (v:CI {code: $vm}) OPTIONAL MATCH (v)-[r:RUNS_ON]->(h:CI {code: $host}) WHERE r.until IS NULL
     RETURN v.version AS version, v.lifecycle AS lifecycle, count(r) AS runsOn`,
    { vm: VM, host: HOST },
  );
  expect({ label, ...fix }).toEqual({ label, version: 1, lifecycle: 'PLANNED', runsOn: 1 });
}

/** A refusal with a clear code and message: no data, no internal error. */
function expectCleanRefusal(res: GraphQLResponse, label: string, codes = CLEAN_REFUSALS): void {
  const error = res.errors?.[0];
  expect({ label, refused: !!error }).toEqual({ label, refused: true });
  expect({ label, code: codes.includes(String(error!.extensions?.code)) ? 'clean' : error!.extensions?.code }).toEqual({
    label,
    code: 'clean',
  });
  expect(error!.message).not.toMatch(/Internal error|Neo4jError|Invalid input|SyntaxError/);
  expect(error!.message.length).toBeGreaterThan(0);
}

/** A read that either refuses cleanly or returns nothing. */
function expectRefusedOrEmpty(
  res: GraphQLResponse,
  label: string,
  isEmpty: (data: Record<string, any>) => boolean,
): void {
  if (res.errors) return expectCleanRefusal(res, label);
  expect({ label, empty: isEmpty(res.data!) }).toEqual({ label, empty: true });
}

/** Runs one GraphQL call per hostile (and well-formed unknown) name, checking after each. */
async function forEachName(
  extra: string[],
  call: (name: string, i: number) => Promise<GraphQLResponse>,
  check: (res: GraphQLResponse, label: string) => void | Promise<void> = expectCleanRefusal,
): Promise<void> {
  const names: [string, string][] = [
    ...HOSTILE,
    ...extra.map((e): [string, string] => [`well-formed unknown ${e}`, e]),
  ];
  for (const [i, [label, name]] of names.entries()) {
    const before = await snapshot();
    const res = await call(name, i);
    await check(res, label);
    await expectNothingLost(before, label);
  }
}

// ------------------------------------------------------------------ fixtures

beforeAll(async () => {
  app = await startTestApp();
  team = await createTeam(app.services);
  await app.services.cis.create(ctxFor(), {
    class: 'PhysicalServer',
    code: HOST,
    name: HOST,
    owner: team,
    attributes: { serialNumber: `SNH-${s}`, vendorModel: 'Inspur NF5280M6' },
  });
  const vm = await app.services.cis.create(ctxFor(), {
    class: 'VirtualMachine',
    code: VM,
    name: VM,
    owner: team,
    attributes: { hostname: VM_HOST },
    relations: [{ type: 'RUNS_ON', target: HOST }],
  });
  vmId = vm.id;
});

afterAll(async () => {
  await app?.close();
});

const CREATE = `mutation($input: CreateCIInput!) { createCI(input: $input) { id } }`;
const RELATION = (op: 'createRelation' | 'endRelation') => `mutation($i: RelationInput!) { ${op}(input: $i) { id } }`;
const LIST = `query($f: CIFilter) { cis(filter: $f) { totalCount edges { node { code } } } }`;
const UPSERT_CLASS = `mutation($input: CIClassInput!) { upsertClass(input: $input) { version } }`;
const UPSERT_REL = `mutation($input: RelationTypeInput!) { upsertRelationType(input: $input) { version } }`;

/** A valid VM input with a code of its own; refusals must leave no CI behind. */
function vmInput(i: number, extra: Record<string, unknown> = {}) {
  const code = `VM-HX-${s}-${i}`;
  return {
    class: 'VirtualMachine',
    code,
    name: code,
    owner: team,
    attributes: { hostname: `hx-${s.toLowerCase()}-${i}` },
    ticket: TEST_TICKET,
    ...extra,
  };
}

async function ciExists(code: string): Promise<boolean> {
  const [row] = await app.executor.query('MATCH (n:CI {code: $code}) RETURN count(n) AS c', { code });
  return (row.c as number) > 0;
}

/** A class that would be valid but for the hostile part. */
function classInput(overrides: Record<string, unknown>) {
  return {
    name: `TestHostile${s}`,
    parent: 'Hardware',
    labelZh: '敌意',
    labelEn: 'Hostile',
    attributes: [{ name: 'tag', type: 'STRING', labelZh: '标签', labelEn: 'Tag' }],
    ...overrides,
  };
}

function relationTypeInput(overrides: Record<string, unknown>) {
  return {
    name: `TEST_HOSTILE_${s}`,
    labelZh: '敌意',
    labelEn: 'Hostile',
    sources: ['VirtualMachine'],
    targets: ['PhysicalServer'],
    cardinality: 'MANY_TO_MANY',
    propagation: 'NONE',
    ...overrides,
  };
}

async function modelHasNothingHostile(): Promise<void> {
  const model = await app.services.model.current(true);
  expect(model.getClass(`TestHostile${s}`)).toBeUndefined();
  expect(model.relationTypes.has(`TEST_HOSTILE_${s}`)).toBe(false);
  for (const [, name] of HOSTILE) {
    expect(model.getClass(name)).toBeUndefined();
    expect(model.relationTypes.has(name)).toBe(false);
  }
}

// ------------------------------------------------------------------ the arguments

describe('hostile names through every argument that names a class, relationship type, attribute or state', () => {
  describe('createCI', () => {
    it('class', async () => {
      await forEachName([UNKNOWN_CLASS, 'Server'], async (name, i) => {
        const input = vmInput(i, { class: name });
        const res = await app.gql(CREATE, { input }, engineer);
        expect(await ciExists(input.code)).toBe(false);
        return res;
      });
    });

    it('relations[].type', async () => {
      await forEachName([UNKNOWN_TYPE, 'CONCERNS'], async (name, i) => {
        const input = vmInput(100 + i, { relations: [{ type: name, target: HOST }] });
        const res = await app.gql(CREATE, { input }, engineer);
        // the CI and its relationship are one transaction: nothing of it stays
        expect(await ciExists(input.code)).toBe(false);
        return res;
      });
    });

    it('attribute names (keys of attributes)', async () => {
      await forEachName([UNKNOWN_ATTR, 'code', 'identKey', 'class'], async (name, i) => {
        const input = vmInput(200 + i);
        const res = await app.gql(
          CREATE,
          { input: { ...input, attributes: { ...input.attributes, [name]: 'x' } } },
          engineer,
        );
        expect(await ciExists(input.code)).toBe(false);
        return res;
      });
    });

    it('lifecycle', async () => {
      await forEachName([UNKNOWN_STATE, 'RETIRED'], async (name, i) => {
        const input = vmInput(300 + i, { lifecycle: name });
        const res = await app.gql(CREATE, { input }, engineer);
        expect(await ciExists(input.code)).toBe(false);
        return res;
      });
    });
  });

  it('createRelation(type)', async () => {
    await forEachName([UNKNOWN_TYPE, 'CONCERNS'], (name) =>
      app.gql(
        RELATION('createRelation'),
        { i: { type: name, source: VM, target: HOST, ticket: TEST_TICKET } },
        engineer,
      ),
    );
  });

  it('endRelation(type)', async () => {
    await forEachName([UNKNOWN_TYPE, 'CONCERNS'], (name) =>
      app.gql(RELATION('endRelation'), { i: { type: name, source: VM, target: HOST, ticket: TEST_TICKET } }, engineer),
    );
  });

  it('changeLifecycle(state)', async () => {
    await forEachName([UNKNOWN_STATE], (name) =>
      app.gql(
        `mutation($i: ChangeLifecycleInput!) { changeLifecycle(input: $i) { version } }`,
        { i: { id: vmId, expectedVersion: 1, state: name, ticket: TEST_TICKET } },
        engineer,
      ),
    );
  });

  describe('cis(filter)', () => {
    it('classes', async () => {
      await forEachName(
        [UNKNOWN_CLASS],
        (name) => app.gql(LIST, { f: { classes: [name] } }, engineer),
        (res, label) => expectRefusedOrEmpty(res, label, (d) => d.cis.totalCount === 0 && d.cis.edges.length === 0),
      );
    });

    it('attributes[].name', async () => {
      await forEachName(
        [UNKNOWN_ATTR],
        (name) => app.gql(LIST, { f: { attributes: [{ name, equals: VM_HOST }] } }, engineer),
        (res, label) => expectRefusedOrEmpty(res, label, (d) => d.cis.totalCount === 0 && d.cis.edges.length === 0),
      );
    });

    it('lifecycles', async () => {
      await forEachName(
        [UNKNOWN_STATE],
        (name) => app.gql(LIST, { f: { lifecycles: [name] } }, engineer),
        (res, label) => expectRefusedOrEmpty(res, label, (d) => d.cis.totalCount === 0 && d.cis.edges.length === 0),
      );
    });

    it('the same filters still find the fixture when the names are real', async () => {
      const res = await app.gql(
        LIST,
        { f: { classes: ['Server'], lifecycles: ['PLANNED'], attributes: [{ name: 'hostname', equals: VM_HOST }] } },
        engineer,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.cis.edges.map((e: { node: { code: string } }) => e.node.code)).toEqual([VM]);
    });
  });

  it('ci { relations(types) }', async () => {
    const Q = `query($code: String!, $types: [String!]) { ci(code: $code) { relations(types: $types) { type other { code } } } }`;
    await forEachName(
      [UNKNOWN_TYPE],
      (name) => app.gql(Q, { code: VM, types: [name] }, engineer),
      (res, label) => expectRefusedOrEmpty(res, label, (d) => d.ci.relations.length === 0),
    );
    const real = await app.gql(Q, { code: VM, types: ['RUNS_ON'] }, engineer);
    expect(real.data!.ci.relations).toEqual([{ type: 'RUNS_ON', other: { code: HOST } }]);
  });

  it('ciClass(name)', async () => {
    await forEachName([UNKNOWN_CLASS], (name) =>
      app.gql(`query($n: String!) { ciClass(name: $n) { name } }`, { n: name }, engineer),
    );
  });

  describe('upsertClass', () => {
    afterAll(modelHasNothingHostile);

    it('name', async () => {
      await forEachName([], (name) => app.gql(UPSERT_CLASS, { input: classInput({ name }) }, manager));
    });

    it('parent', async () => {
      await forEachName([UNKNOWN_CLASS], (name) =>
        app.gql(UPSERT_CLASS, { input: classInput({ parent: name }) }, manager),
      );
    });

    it('attributes[].name', async () => {
      await forEachName(['code', 'identKey', 'createdAt'], (name) =>
        app.gql(
          UPSERT_CLASS,
          { input: classInput({ attributes: [{ name, type: 'STRING', labelZh: 'x', labelEn: 'x' }] }) },
          manager,
        ),
      );
    });

    it('identificationKeys', async () => {
      await forEachName([UNKNOWN_ATTR], (name) =>
        app.gql(UPSERT_CLASS, { input: classInput({ identificationKeys: [name] }) }, manager),
      );
    });

    it('lifecycleBaselines[].state', async () => {
      await forEachName([UNKNOWN_STATE], (name) =>
        app.gql(UPSERT_CLASS, { input: classInput({ lifecycleBaselines: [{ state: name }] }) }, manager),
      );
    });

    it('lifecycleBaselines[].requiredAttributes', async () => {
      await forEachName([UNKNOWN_ATTR], (name) =>
        app.gql(
          UPSERT_CLASS,
          { input: classInput({ lifecycleBaselines: [{ state: 'IN_SERVICE', requiredAttributes: [name] }] }) },
          manager,
        ),
      );
    });

    it('lifecycleBaselines[].requiredRelations[].type', async () => {
      await forEachName([UNKNOWN_TYPE], (name) =>
        app.gql(
          UPSERT_CLASS,
          {
            input: classInput({
              lifecycleBaselines: [{ state: 'IN_SERVICE', requiredRelations: [{ type: name, direction: 'OUT' }] }],
            }),
          },
          manager,
        ),
      );
    });
  });

  it('removeClass(name)', async () => {
    await forEachName([UNKNOWN_CLASS], (name) =>
      app.gql(`mutation($n: String!) { removeClass(name: $n) { version } }`, { n: name }, manager),
    );
  });

  describe('upsertRelationType', () => {
    afterAll(modelHasNothingHostile);

    it('name', async () => {
      await forEachName([], (name) => app.gql(UPSERT_REL, { input: relationTypeInput({ name }) }, manager));
    });

    it('sources', async () => {
      await forEachName([UNKNOWN_CLASS], (name) =>
        app.gql(UPSERT_REL, { input: relationTypeInput({ sources: ['VirtualMachine', name] }) }, manager),
      );
    });

    it('targets', async () => {
      await forEachName([UNKNOWN_CLASS], (name) =>
        app.gql(UPSERT_REL, { input: relationTypeInput({ targets: [name] }) }, manager),
      );
    });
  });

  describe('setLifecycle', () => {
    const SET = `mutation($input: LifecycleInput!) { setLifecycle(input: $input) { version } }`;
    let lifecycle: {
      states: { name: string; labelZh: string; labelEn: string }[];
      transitions: { from: string; to: string }[];
      initialStates: string[];
      retiredState: string;
    };

    beforeAll(async () => {
      const res = await app.gql(
        `{ configModel { lifecycle { states { name labelZh labelEn } transitions { from to } initialStates retiredState } } }`,
        {},
        manager,
      );
      lifecycle = res.data!.configModel.lifecycle;
    });

    afterAll(async () => {
      // the lifecycle is global: make sure it is exactly what it was
      const res = await app.gql(
        `{ configModel { lifecycle { states { name labelZh labelEn } transitions { from to } initialStates retiredState } } }`,
        {},
        manager,
      );
      expect(res.data!.configModel.lifecycle).toEqual(lifecycle);
    });

    /** Refuses the hostile lifecycle; should one ever be accepted, puts the original back at once. */
    async function setRefused(input: unknown): Promise<GraphQLResponse> {
      const res = await app.gql(SET, { input }, manager);
      if (!res.errors) await app.gql(SET, { input: lifecycle }, manager);
      return res;
    }

    it('states[].name', async () => {
      await forEachName([], (name) =>
        setRefused({ ...lifecycle, states: [...lifecycle.states, { name, labelZh: 'x', labelEn: 'x' }] }),
      );
    });

    it('transitions[].from and .to', async () => {
      await forEachName([UNKNOWN_STATE], (name) =>
        setRefused({ ...lifecycle, transitions: [...lifecycle.transitions, { from: name, to: 'PLANNED' }] }),
      );
      await forEachName([UNKNOWN_STATE], (name) =>
        setRefused({ ...lifecycle, transitions: [...lifecycle.transitions, { from: 'PLANNED', to: name }] }),
      );
    });

    it('initialStates', async () => {
      await forEachName([UNKNOWN_STATE], (name) =>
        setRefused({ ...lifecycle, initialStates: [...lifecycle.initialStates, name] }),
      );
    });

    it('retiredState', async () => {
      await forEachName([UNKNOWN_STATE], (name) => setRefused({ ...lifecycle, retiredState: name }));
    });
  });

  it('removeRelationType(name)', async () => {
    await forEachName([UNKNOWN_TYPE], (name) =>
      app.gql(`mutation($n: String!) { removeRelationType(name: $n) { version } }`, { n: name }, manager),
    );
  });
});

// ------------------------------------------------------------------ the one door to Cypher text

describe('relType(model, name)', () => {
  const data: ConfigModelData = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'schema', 'model.default.json'), 'utf8'),
  );
  const model = new CompiledModel(data, 1);

  it('backticks the relationship types the model declares', () => {
    for (const name of model.relationTypes.keys()) expect(relType(model, name)).toBe(`\`${name}\``);
  });

  it.each([
    ...HOSTILE.map(([label, name]) => [label, name]),
    ['well-formed unknown type', 'NO_SUCH_TYPE'],
    ['lower case of a real type', 'runs_on'],
    ['class name', 'Server'],
    ['internal type', 'CONCERNS'],
  ])('throws for a name not in the model: %s', (_label, name) => {
    expect(() => relType(model, name)).toThrow(/is not in the model/);
  });

  it('throws for non-strings smuggled past the types', () => {
    for (const bad of [null, undefined, 42, ['RUNS_ON'], { toString: () => 'RUNS_ON' }]) {
      expect(() => relType(model, bad as unknown as string)).toThrow();
    }
  });
});
