// The configuration model resolved for use, on the model that ships (schema/model.default.json):
// inheritance, identification keys, baselines, class expansion, transitions and relationship rules;
// and everything validateModelData must catch in an edited model. No database.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledModel, validateModelData, type ModelProblem } from '../../src/model/compiled-model';
import type { ClassDef, ConfigModelData } from '../../src/model/model.types';

const DEFAULT: ConfigModelData = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'model.default.json'), 'utf8'),
);

function fresh(): ConfigModelData {
  return structuredClone(DEFAULT);
}

const model = new CompiledModel(fresh(), 7);

function cls(name: string) {
  const c = model.getClass(name);
  if (!c) throw new Error(`default model lacks ${name}`);
  return c;
}

function relation(name: string) {
  const r = model.relationTypes.get(name);
  if (!r) throw new Error(`default model lacks relation type ${name}`);
  return r;
}

/** A minimal concrete class for edits. */
function widget(name: string, extra: Partial<ClassDef> = {}): ClassDef {
  return { name, labelZh: '测试', labelEn: 'Test', attributes: [], ...extra };
}

function classDef(data: ConfigModelData, name: string): ClassDef {
  const c = data.classes.find((x) => x.name === name);
  if (!c) throw new Error(`no class ${name}`);
  return c;
}

/** The problems of an edited copy of the default model. */
function problemsAfter(edit: (data: ConfigModelData) => void): ModelProblem[] {
  const data = fresh();
  edit(data);
  return validateModelData(data);
}

describe('CompiledModel on the default model', () => {
  it('the shipped model is valid and keeps the version it was built with', () => {
    expect(validateModelData(fresh())).toEqual([]);
    expect(model.version).toBe(7);
    expect(model.retiredState).toBe('RETIRED');
  });

  describe('inheritance', () => {
    it('lists ancestors nearest first', () => {
      expect(cls('PhysicalServer').ancestors).toEqual(['Server', 'Hardware']);
      expect(cls('Switch').ancestors).toEqual(['NetworkDevice', 'Hardware']);
      expect(cls('Hardware').ancestors).toEqual([]);
    });

    it('gives a class the attributes of every ancestor plus its own, each with its declaring class', () => {
      const ps = cls('PhysicalServer');
      for (const inherited of ['os', 'cpuCores', 'memoryGb', 'lastBootTime', 'environment']) {
        expect(ps.attributes.has(inherited)).toBe(true);
        expect(ps.attributeOwners.get(inherited)).toBe('Server');
      }
      expect(ps.attributes.get('cpuCores')).toMatchObject({ type: 'INTEGER', min: 1 });
      expect(ps.attributeOwners.get('serialNumber')).toBe('PhysicalServer');
      expect(ps.attributes.has('hostname')).toBe(false); // a sibling's attribute is not inherited
      expect(cls('Server').attributes.has('serialNumber')).toBe(false); // nor a child's
    });

    it('records every class below a class, and the abstract flag', () => {
      expect(cls('Server').selfAndDescendants.sort()).toEqual(['PhysicalServer', 'Server', 'VirtualMachine']);
      expect(cls('Hardware').selfAndDescendants).toEqual(
        expect.arrayContaining(['Server', 'PhysicalServer', 'Switch', 'Firewall', 'Desktop']),
      );
      expect(cls('Hardware').abstract).toBe(true);
      expect(cls('Server').abstract).toBe(true);
      expect(cls('PhysicalServer').abstract).toBe(false);
    });

    it('isA holds for the class itself and its ancestors only', () => {
      expect(model.isA('VirtualMachine', 'VirtualMachine')).toBe(true);
      expect(model.isA('VirtualMachine', 'Server')).toBe(true);
      expect(model.isA('VirtualMachine', 'Hardware')).toBe(true);
      expect(model.isA('Server', 'VirtualMachine')).toBe(false);
      expect(model.isA('VirtualMachine', 'Software')).toBe(false);
      expect(model.isA('NoSuchClass', 'NoSuchClass')).toBe(false);
    });

    it('inherits the naming rule from the nearest class that has one', () => {
      expect(cls('PhysicalServer').codePattern?.source).toBe('^SRV-[A-Z0-9-]{2,40}$');
      expect(cls('Server').codePattern).toBeUndefined();
      const data = fresh();
      data.classes.push(widget('UnitTestRack', { parent: 'Rack' }));
      const m = new CompiledModel(data, 1);
      expect(m.getClass('UnitTestRack')!.codePattern?.source).toBe(cls('Rack').codePattern!.source);
    });
  });

  describe('identification keys', () => {
    it('are the class’s own where it declares them', () => {
      expect(cls('PhysicalServer').identificationKeys).toEqual(['serialNumber']);
      expect(cls('PhysicalServer').identDeclaringClass).toBe('PhysicalServer');
      expect(cls('VirtualMachine').identificationKeys).toEqual(['hostname']);
      expect(cls('VirtualMachine').identDeclaringClass).toBe('VirtualMachine');
    });

    it('are inherited with their declaring class: NetworkDevice subclasses share the key of NetworkDevice', () => {
      for (const sub of ['Switch', 'Router', 'LoadBalancer']) {
        expect(cls(sub).identificationKeys).toEqual(['serialNumber']);
        expect(cls(sub).identDeclaringClass).toBe('NetworkDevice');
      }
      for (const sub of ['Firewall', 'WebApplicationFirewall'])
        expect(cls(sub).identDeclaringClass).toBe('SecurityDevice');
    });

    it('are empty without a declaring class for classes that have none', () => {
      expect(cls('Team').identificationKeys).toEqual([]);
      expect(cls('Team').identDeclaringClass).toBeUndefined();
      expect(cls('Server').identificationKeys).toEqual([]);
    });
  });

  describe('lifecycle baselines', () => {
    it('merge a class’s own baseline with its ancestors’ for the same state', () => {
      const data = fresh();
      data.classes.push(
        widget('UnitTestSwitch', {
          parent: 'Switch',
          attributes: [{ name: 'uplinkCount', type: 'INTEGER', labelZh: '上联', labelEn: 'Uplinks' }],
          lifecycleBaselines: [
            {
              state: 'IN_SERVICE',
              requiredAttributes: ['uplinkCount', 'managementIp'],
              requiredRelations: [
                { type: 'CONNECTS_TO', direction: 'OUT' },
                { type: 'LOCATED_IN', direction: 'OUT' },
              ],
            },
            { state: 'BUILDING', requiredAttributes: ['firmwareVersion'] },
          ],
        }),
      );
      const m = new CompiledModel(data, 1);
      const inService = m.getClass('UnitTestSwitch')!.baselines.get('IN_SERVICE')!;
      // root first, without duplicates
      expect(inService.requiredAttributes).toEqual(['managementIp', 'uplinkCount']);
      expect(inService.requiredRelations).toEqual([
        { type: 'LOCATED_IN', direction: 'OUT' },
        { type: 'CONNECTS_TO', direction: 'OUT' },
      ]);
      expect(m.getClass('UnitTestSwitch')!.baselines.get('BUILDING')).toEqual({
        requiredAttributes: ['firmwareVersion'],
        requiredRelations: [],
      });
      // the parent is untouched
      expect(m.getClass('Switch')!.baselines.get('BUILDING')).toBeUndefined();
    });

    it('are inherited unchanged by subclasses that declare none', () => {
      expect(cls('Switch').baselines.get('IN_SERVICE')).toEqual({
        requiredAttributes: ['managementIp'],
        requiredRelations: [{ type: 'LOCATED_IN', direction: 'OUT' }],
      });
      expect(cls('VirtualMachine').baselines.get('IN_SERVICE')).toEqual({
        requiredAttributes: ['ipAddress'],
        requiredRelations: [{ type: 'RUNS_ON', direction: 'OUT' }],
      });
      expect(cls('Team').baselines.size).toBe(0);
    });
  });

  describe('expandClasses', () => {
    it('covers subclasses, removes duplicates and leaves unknown names out', () => {
      expect(model.expandClasses(['Server']).sort()).toEqual(['PhysicalServer', 'Server', 'VirtualMachine']);
      expect(model.expandClasses(['Server', 'VirtualMachine', 'Team']).sort()).toEqual([
        'PhysicalServer',
        'Server',
        'Team',
        'VirtualMachine',
      ]);
      expect(model.expandClasses(['NoSuchClass', "x' OR 1=1 //"])).toEqual([]);
      expect(model.expandClasses([])).toEqual([]);
    });
  });

  describe('transitions', () => {
    it('allows exactly the declared transitions', () => {
      expect(model.canTransition('PLANNED', 'BUILDING')).toBe(true);
      expect(model.canTransition('BUILDING', 'IN_SERVICE')).toBe(true);
      expect(model.canTransition('MAINTENANCE', 'IN_SERVICE')).toBe(true);
      expect(model.canTransition('PLANNED', 'IN_SERVICE')).toBe(false);
      expect(model.canTransition('PLANNED', 'MAINTENANCE')).toBe(false);
      expect(model.canTransition('RETIRED', 'IN_SERVICE')).toBe(false);
      expect(model.canTransition('IN_SERVICE', 'IN_SERVICE')).toBe(false);
      expect(model.canTransition('NOPE', 'BUILDING')).toBe(false);
      expect(model.allowedTransitionsFrom('IN_SERVICE').sort()).toEqual(['MAINTENANCE', 'RETIRED']);
      expect(model.allowedTransitionsFrom('RETIRED')).toEqual([]);
    });
  });

  describe('relationAllows', () => {
    it('admits subclasses of the declared sources and targets', () => {
      const runsOn = relation('RUNS_ON'); // Software|VirtualMachine -> Server|Cluster|Middleware|Container
      expect(model.relationAllows(runsOn, 'Application', 'VirtualMachine')).toBe(true);
      expect(model.relationAllows(runsOn, 'Database', 'PhysicalServer')).toBe(true);
      expect(model.relationAllows(runsOn, 'VirtualMachine', 'PhysicalServer')).toBe(true);
      expect(model.relationAllows(runsOn, 'Application', 'ServerCluster')).toBe(true);
      const locatedIn = relation('LOCATED_IN');
      expect(model.relationAllows(locatedIn, 'Switch', 'Rack')).toBe(true);
      expect(model.relationAllows(locatedIn, 'Firewall', 'DataCenter')).toBe(true);
    });

    it('refuses other classes, the wrong direction and unknown classes', () => {
      const runsOn = relation('RUNS_ON');
      expect(model.relationAllows(runsOn, 'PhysicalServer', 'VirtualMachine')).toBe(false); // only VMs among servers are sources
      expect(model.relationAllows(runsOn, 'Team', 'PhysicalServer')).toBe(false);
      expect(model.relationAllows(runsOn, 'Application', 'Team')).toBe(false);
      expect(model.relationAllows(runsOn, 'NoSuchClass', 'PhysicalServer')).toBe(false);
      expect(model.relationAllows(relation('LOCATED_IN'), 'VirtualMachine', 'Rack')).toBe(false);
      expect(model.relationAllows(relation('LOCATED_IN'), 'Rack', 'Switch')).toBe(false);
    });
  });

  it('owner classes cover the subclasses of the declared owner classes', () => {
    expect([...model.ownerClassSet].sort()).toEqual(['Party', 'Person', 'Team']);
  });

  it('refuses to compile an invalid model, naming the problem', () => {
    const data = fresh();
    classDef(data, 'Team').parent = 'Nobody';
    expect(() => new CompiledModel(data, 2)).toThrow(
      /invalid configuration model: .*parent: unknown parent class Nobody/,
    );
  });
});

describe('validateModelData', () => {
  const fields = (problems: ModelProblem[]) => problems.map((p) => p.field);

  it('catches an unknown parent', () => {
    const problems = problemsAfter((d) => d.classes.push(widget('UnitTestOrphan', { parent: 'NoSuchParent' })));
    expect(problems).toContainEqual({
      field: expect.stringMatching(/\(UnitTestOrphan\)\.parent$/),
      message: 'unknown parent class NoSuchParent',
    });
  });

  it('catches an inheritance cycle, also of a class with itself', () => {
    const twoClassCycle = problemsAfter((d) => {
      d.classes.push(widget('UnitTestA', { parent: 'UnitTestB' }), widget('UnitTestB', { parent: 'UnitTestA' }));
    });
    expect(
      twoClassCycle.some((p) => /\(UnitTestA\)\.parent$/.test(p.field) && /inheritance cycle/.test(p.message)),
    ).toBe(true);
    expect(
      twoClassCycle.some((p) => /\(UnitTestB\)\.parent$/.test(p.field) && /inheritance cycle/.test(p.message)),
    ).toBe(true);
    const self = problemsAfter((d) => d.classes.push(widget('UnitTestSelf', { parent: 'UnitTestSelf' })));
    expect(self.some((p) => /\(UnitTestSelf\)\.parent$/.test(p.field) && /inheritance cycle/.test(p.message))).toBe(
      true,
    );
    // a cycle among existing classes too
    const existing = problemsAfter((d) => {
      classDef(d, 'Hardware').parent = 'PhysicalServer';
    });
    expect(existing.some((p) => /inheritance cycle/.test(p.message))).toBe(true);
  });

  it('catches an attribute defined twice in the class tree: in the class, or already inherited', () => {
    const inherited = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestServer', {
          parent: 'PhysicalServer',
          attributes: [{ name: 'cpuCores', type: 'INTEGER', labelZh: 'x', labelEn: 'x' }],
        }),
      ),
    );
    expect(inherited).toContainEqual({
      field: expect.stringMatching(/\(UnitTestServer\)\.attributes\[0\]\(cpuCores\)\.name$/),
      message: 'attribute cpuCores is defined twice in the class tree',
    });
    const own = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestTwice', {
          attributes: [
            { name: 'colour', type: 'STRING', labelZh: 'x', labelEn: 'x' },
            { name: 'colour', type: 'STRING', labelZh: 'y', labelEn: 'y' },
          ],
        }),
      ),
    );
    expect(fields(own)).toContainEqual(expect.stringMatching(/\(UnitTestTwice\)\.attributes\[1\]\(colour\)\.name$/));
    // adding to a parent an attribute a child already has is the same fault
    const parent = problemsAfter((d) =>
      classDef(d, 'Server').attributes.push({ name: 'hostname', type: 'STRING', labelZh: 'x', labelEn: 'x' }),
    );
    expect(parent.some((p) => /\(VirtualMachine\)\.attributes\[\d+\]\(hostname\)\.name$/.test(p.field))).toBe(true);
  });

  it.each(['code', 'id', 'name', 'class', 'lifecycle', 'owner', 'version', 'identKey', 'createdAt'])(
    'catches the reserved attribute name %s',
    (reserved) => {
      const problems = problemsAfter((d) =>
        d.classes.push(
          widget('UnitTestReserved', { attributes: [{ name: reserved, type: 'STRING', labelZh: 'x', labelEn: 'x' }] }),
        ),
      );
      expect(problems).toContainEqual({
        field: `classes[${DEFAULT.classes.length}](UnitTestReserved).attributes[0](${reserved}).name`,
        message: `"${reserved}" is a reserved CI field`,
      });
    },
  );

  it('catches attribute and class names outside their patterns', () => {
    const problems = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestNames', { attributes: [{ name: 'Bad-Name', type: 'STRING', labelZh: 'x', labelEn: 'x' }] }),
        widget('Server`) DETACH DELETE n //'),
      ),
    );
    expect(problems.some((p) => /must be PascalCase/.test(p.message))).toBe(true);
    // name checks run before attribute checks; once the class name is fixed the attribute is caught
    const attr = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestNames', { attributes: [{ name: 'Bad-Name', type: 'STRING', labelZh: 'x', labelEn: 'x' }] }),
      ),
    );
    expect(attr.some((p) => /attributes\[0\]\(Bad-Name\)\.name$/.test(p.field) && /camelCase/.test(p.message))).toBe(
      true,
    );
  });

  it('catches a naming rule or attribute pattern that is not a regular expression', () => {
    const code = problemsAfter((d) => d.classes.push(widget('UnitTestBadCode', { codePattern: '^TW-[A-Z' })));
    expect(code).toContainEqual({
      field: expect.stringMatching(/\(UnitTestBadCode\)\.codePattern$/),
      message: 'is not a valid regular expression',
    });
    const attr = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestBadPattern', {
          attributes: [{ name: 'tag', type: 'STRING', pattern: '(unclosed', labelZh: 'x', labelEn: 'x' }],
        }),
      ),
    );
    expect(attr).toContainEqual({
      field: expect.stringMatching(/\(UnitTestBadPattern\)\.attributes\[0\]\(tag\)\.pattern$/),
      message: 'is not a valid regular expression',
    });
  });

  it('catches an ENUM without allowed values, absent or empty', () => {
    for (const allowedValues of [undefined, []]) {
      const problems = problemsAfter((d) =>
        d.classes.push(
          widget('UnitTestEnum', {
            attributes: [{ name: 'colour', type: 'ENUM', allowedValues, labelZh: 'x', labelEn: 'x' }],
          }),
        ),
      );
      expect(problems).toContainEqual({
        field: expect.stringMatching(/\(UnitTestEnum\)\.attributes\[0\]\(colour\)\.allowedValues$/),
        message: 'an ENUM needs allowed values',
      });
    }
  });

  it('catches an unknown attribute type', () => {
    const problems = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestType', {
          attributes: [{ name: 'colour', type: 'COLOUR' as never, labelZh: 'x', labelEn: 'x' }],
        }),
      ),
    );
    expect(problems).toContainEqual({
      field: expect.stringMatching(/attributes\[0\]\(colour\)\.type$/),
      message: 'unknown type COLOUR',
    });
  });

  it('catches identification keys and baseline attributes, states and relation types the class does not have', () => {
    const problems = problemsAfter((d) =>
      d.classes.push(
        widget('UnitTestRefs', {
          identificationKeys: ['nope'],
          lifecycleBaselines: [
            {
              state: 'LIMBO',
              requiredAttributes: ['missing'],
              requiredRelations: [{ type: 'NO_SUCH_REL', direction: 'OUT' }],
            },
          ],
        }),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: expect.stringMatching(/\(UnitTestRefs\)\.identificationKeys$/), message: 'unknown attribute nope' },
        {
          field: expect.stringMatching(/\(UnitTestRefs\)\.lifecycleBaselines\[0\]\.state$/),
          message: 'unknown state LIMBO',
        },
        {
          field: expect.stringMatching(/\(UnitTestRefs\)\.lifecycleBaselines\[0\]\.requiredAttributes$/),
          message: 'unknown attribute missing',
        },
        {
          field: expect.stringMatching(/\(UnitTestRefs\)\.lifecycleBaselines\[0\]\.requiredRelations$/),
          message: 'unknown relation type NO_SUCH_REL',
        },
      ]),
    );
  });

  it('catches a relation type naming an unknown class, on either end', () => {
    const problems = problemsAfter((d) =>
      d.relationTypes.push({
        name: 'UNIT_TEST_REL',
        labelZh: '测试',
        labelEn: 'Test',
        sources: ['NoSuchSource'],
        targets: ['Server', 'NoSuchTarget'],
        cardinality: 'MANY_TO_MANY',
        propagation: 'NONE',
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          field: `relationTypes[${DEFAULT.relationTypes.length}](UNIT_TEST_REL).sources`,
          message: 'unknown class NoSuchSource',
        },
        {
          field: `relationTypes[${DEFAULT.relationTypes.length}](UNIT_TEST_REL).targets`,
          message: 'unknown class NoSuchTarget',
        },
      ]),
    );
    // removing a class a relation type still names is the same fault
    const removed = problemsAfter((d) => {
      d.classes = d.classes.filter((c) => c.name !== 'Document');
    });
    expect(
      removed.some((p) => /DOCUMENTED_BY\)\.targets$/.test(p.field) && p.message === 'unknown class Document'),
    ).toBe(true);
  });

  it('catches a relation type name outside UPPER_SNAKE, duplicates, and bad cardinality', () => {
    const problems = problemsAfter((d) => {
      d.relationTypes.push({ ...structuredClone(d.relationTypes[0]), name: 'RUNS_ON]->() DETACH DELETE n //' });
      d.relationTypes.push({ ...structuredClone(d.relationTypes[0]) });
      d.relationTypes.push({ ...structuredClone(d.relationTypes[0]), name: 'UNIT_CARD', cardinality: 'SOME' as never });
    });
    expect(problems.some((p) => /must be UPPER_SNAKE/.test(p.message))).toBe(true);
    expect(problems.some((p) => p.message === 'duplicate relation type RUNS_ON')).toBe(true);
    expect(problems.some((p) => p.message === 'unknown cardinality SOME')).toBe(true);
  });

  it('catches transitions leaving the retired state', () => {
    const problems = problemsAfter((d) => d.lifecycle.transitions.push({ from: 'RETIRED', to: 'PLANNED' }));
    expect(problems).toContainEqual({
      field: 'lifecycle.transitions',
      message: 'RETIRED is terminal: no transition may leave it',
    });
  });

  it('catches lifecycle references to unknown states', () => {
    const problems = problemsAfter((d) => {
      d.lifecycle.transitions.push({ from: 'PLANNED', to: 'LIMBO' });
      d.lifecycle.initialStates = ['NOWHERE'];
      d.lifecycle.retiredState = 'GONE';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: `lifecycle.transitions[${DEFAULT.lifecycle.transitions.length}].to`, message: 'unknown state LIMBO' },
        { field: 'lifecycle.initialStates', message: 'unknown state NOWHERE' },
        { field: 'lifecycle.retiredState', message: 'unknown state GONE' },
      ]),
    );
  });

  it('catches unknown owner classes and a missing document shape', () => {
    expect(problemsAfter((d) => (d.ownerClasses = ['Ghost']))).toContainEqual({
      field: 'ownerClasses',
      message: 'unknown class Ghost',
    });
    expect(problemsAfter((d) => (d.ownerClasses = []))).toContainEqual({
      field: 'ownerClasses',
      message: 'at least one owner class is needed',
    });
    expect(validateModelData(null as unknown as ConfigModelData)).toEqual([
      { field: 'model', message: 'must be an object' },
    ]);
    expect(fields(validateModelData({ lifecycle: DEFAULT.lifecycle } as unknown as ConfigModelData))).toEqual([
      'classes',
      'relationTypes',
    ]);
  });
});
