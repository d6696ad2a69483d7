// Structural consistency of the data that ships with the product: the default configuration model
// (schema/model.default.json) and the demo estate (schema/demo-estate.json). No database, no service code.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  ATTRIBUTE_NAME_PATTERN,
  ATTRIBUTE_TYPES,
  CLASS_NAME_PATTERN,
  RELATION_TYPE_PATTERN,
  RESERVED_CI_FIELDS,
  STATE_NAME_PATTERN,
  type AttributeDef,
  type ClassDef,
  type ConfigModelData,
  type RelationRequirement,
  type RelationTypeDef,
} from '../../src/model/model.types';

interface DemoCi {
  class: string;
  code: string;
  name: string;
  lifecycle: string;
  owner: string;
  attributes: Record<string, unknown>;
}
interface DemoRelation {
  type: string;
  source: string;
  target: string;
}
interface DemoEstate {
  cis: DemoCi[];
  relations: DemoRelation[];
}

const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');
function load<T>(file: string): T {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as T;
}
const model = load<ConfigModelData>('model.default.json');
const estate = load<DemoEstate>('demo-estate.json');

// ---------------------------------------------------------------------------------------------
// Model helpers (each guards against cycles so that a broken model fails a test instead of hanging)

const classByName = new Map<string, ClassDef>(model.classes.map((c) => [c.name, c]));
const relationByName = new Map<string, RelationTypeDef>(model.relationTypes.map((r) => [r.name, r]));
const stateNames = new Set(model.lifecycle.states.map((s) => s.name));
const reserved = new Set<string>(RESERVED_CI_FIELDS);

/** The class itself first, then its parent, grandparent… */
function lineage(name: string): ClassDef[] {
  const out: ClassDef[] = [];
  const seen = new Set<string>();
  let current = classByName.get(name);
  while (current && !seen.has(current.name)) {
    seen.add(current.name);
    out.push(current);
    current = current.parent === undefined ? undefined : classByName.get(current.parent);
  }
  return out;
}

function isA(className: string, ancestor: string): boolean {
  return lineage(className).some((c) => c.name === ancestor);
}

function isAnyOf(className: string, classes: string[]): boolean {
  return classes.some((c) => isA(className, c));
}

interface ResolvedAttribute {
  def: AttributeDef;
  declaredIn: string;
}

/** Own and inherited attributes by name. */
function attributesOf(className: string): Map<string, ResolvedAttribute> {
  const out = new Map<string, ResolvedAttribute>();
  for (const c of [...lineage(className)].reverse())
    for (const def of c.attributes) out.set(def.name, { def, declaredIn: c.name });
  return out;
}

function codePatternOf(className: string): { pattern: string; rule?: string } | undefined {
  const c = lineage(className).find((x) => x.codePattern !== undefined);
  return c?.codePattern === undefined ? undefined : { pattern: c.codePattern, rule: c.codeRule };
}

function identificationOf(className: string): { keys: string[]; declaredIn: string } | undefined {
  const c = lineage(className).find((x) => x.identificationKeys !== undefined);
  return c?.identificationKeys === undefined ? undefined : { keys: c.identificationKeys, declaredIn: c.name };
}

/** A class's baseline for a state merged with its ancestors' baselines for the same state. */
function baselineOf(
  className: string,
  state: string,
): { requiredAttributes: string[]; requiredRelations: RelationRequirement[] } {
  const requiredAttributes = new Set<string>();
  const relations = new Map<string, RelationRequirement>();
  for (const c of lineage(className))
    for (const b of c.lifecycleBaselines ?? [])
      if (b.state === state) {
        for (const a of b.requiredAttributes ?? []) requiredAttributes.add(a);
        for (const r of b.requiredRelations ?? []) relations.set(`${r.type}:${r.direction}`, r);
      }
  return { requiredAttributes: [...requiredAttributes], requiredRelations: [...relations.values()] };
}

/** The states a CI passes through from `from` to `to` (both included), along the fewest transitions. */
function lifecyclePath(from: string, to: string): string[] | undefined {
  const previous = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const state = queue.shift() as string;
    if (state === to) break;
    for (const t of model.lifecycle.transitions)
      if (t.from === state && !previous.has(t.to)) {
        previous.set(t.to, state);
        queue.push(t.to);
      }
  }
  if (!previous.has(to)) return undefined;
  const path: string[] = [];
  for (let s: string | null | undefined = to; s !== null && s !== undefined; s = previous.get(s)) path.unshift(s);
  return path;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What is wrong with a value for an attribute definition (empty when nothing). */
function valueProblems(def: AttributeDef, value: unknown): string[] {
  const problems: string[] = [];
  const isString = typeof value === 'string';
  const isNumber = typeof value === 'number' && Number.isFinite(value);
  switch (def.type) {
    case 'STRING':
    case 'TEXT':
      if (!isString) problems.push('not a string');
      break;
    case 'INTEGER':
      if (!isNumber || !Number.isInteger(value)) problems.push('not an integer');
      break;
    case 'FLOAT':
      if (!isNumber) problems.push('not a number');
      break;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') problems.push('not a boolean');
      break;
    case 'DATE':
      if (!isString || !DATE.test(value) || Number.isNaN(Date.parse(value))) problems.push('not a date');
      break;
    case 'DATETIME':
      if (!isString || !DATETIME.test(value) || Number.isNaN(Date.parse(value))) problems.push('not a datetime');
      break;
    case 'ENUM':
      if (!isString || !(def.allowedValues ?? []).includes(value))
        problems.push(`not one of ${String(def.allowedValues)}`);
      break;
    case 'IP_ADDRESS':
      if (!isString || isIP(value) === 0) problems.push('not an IP address');
      break;
    case 'URL':
      if (!isString || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) problems.push('not a URL');
      break;
    case 'EMAIL':
      if (!isString || !EMAIL.test(value)) problems.push('not an email');
      break;
  }
  if (isNumber && def.min !== undefined && value < def.min) problems.push(`below ${def.min}`);
  if (isNumber && def.max !== undefined && value > def.max) problems.push(`above ${def.max}`);
  if (isString && def.pattern !== undefined && !new RegExp(def.pattern).test(value))
    problems.push(`does not match ${def.pattern}`);
  return problems;
}

const concreteClasses = model.classes.filter((c) => c.abstract !== true);

// ---------------------------------------------------------------------------------------------

describe('default configuration model (schema/model.default.json)', () => {
  describe('lifecycle', () => {
    const { lifecycle } = model;

    it('has the five default states with zh/en labels', () => {
      expect(lifecycle.states.map((s) => s.name)).toEqual([
        'PLANNED',
        'BUILDING',
        'IN_SERVICE',
        'MAINTENANCE',
        'RETIRED',
      ]);
      for (const s of lifecycle.states) {
        expect(s.name).toMatch(STATE_NAME_PATTERN);
        expect(s.labelZh.trim()).not.toBe('');
        expect(s.labelEn.trim()).not.toBe('');
      }
      expect(stateNames.size).toBe(lifecycle.states.length);
    });

    it('has the default transitions, all between known states', () => {
      const pairs = lifecycle.transitions.map((t) => `${t.from}->${t.to}`).sort();
      expect(pairs).toEqual(
        [
          'PLANNED->BUILDING',
          'PLANNED->RETIRED',
          'BUILDING->IN_SERVICE',
          'BUILDING->RETIRED',
          'IN_SERVICE->MAINTENANCE',
          'MAINTENANCE->IN_SERVICE',
          'IN_SERVICE->RETIRED',
          'MAINTENANCE->RETIRED',
        ].sort(),
      );
      for (const t of lifecycle.transitions) {
        expect(stateNames.has(t.from)).toBe(true);
        expect(stateNames.has(t.to)).toBe(true);
      }
    });

    it('creates CIs in PLANNED, BUILDING or IN_SERVICE and retires them for good', () => {
      expect(lifecycle.initialStates).toEqual(['PLANNED', 'BUILDING', 'IN_SERVICE']);
      expect(lifecycle.retiredState).toBe('RETIRED');
      expect(lifecycle.transitions.filter((t) => t.from === lifecycle.retiredState)).toEqual([]);
      expect(lifecycle.initialStates).not.toContain(lifecycle.retiredState);
    });
  });

  describe('classes', () => {
    it('have valid, unique names and zh/en labels', () => {
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const c of model.classes) {
        if (!CLASS_NAME_PATTERN.test(c.name)) problems.push(`${c.name}: bad name`);
        if (seen.has(c.name)) problems.push(`${c.name}: duplicate`);
        seen.add(c.name);
        if (c.labelZh.trim() === '' || c.labelEn.trim() === '') problems.push(`${c.name}: missing label`);
      }
      expect(problems).toEqual([]);
    });

    it('have existing parents and no inheritance cycle', () => {
      const problems: string[] = [];
      for (const c of model.classes) {
        if (c.parent !== undefined && !classByName.has(c.parent))
          problems.push(`${c.name}: unknown parent ${c.parent}`);
        const seen = new Set<string>([c.name]);
        let p = c.parent;
        while (p !== undefined) {
          if (seen.has(p)) {
            problems.push(`${c.name}: cycle through ${p}`);
            break;
          }
          seen.add(p);
          p = classByName.get(p)?.parent;
        }
      }
      expect(problems).toEqual([]);
    });

    it('keep abstract classes as inner nodes of the tree', () => {
      const parents = new Set(model.classes.map((c) => c.parent));
      const childlessAbstract = model.classes
        .filter((c) => c.abstract === true && !parents.has(c.name))
        .map((c) => c.name);
      expect(childlessAbstract).toEqual([]);
    });

    it('declare well-formed attributes that never take a reserved CI field name', () => {
      const problems: string[] = [];
      for (const c of model.classes) {
        const inherited = new Set(
          lineage(c.name)
            .slice(1)
            .flatMap((p) => p.attributes.map((a) => a.name)),
        );
        const own = new Set<string>();
        for (const a of c.attributes) {
          const where = `${c.name}.${a.name}`;
          if (!ATTRIBUTE_NAME_PATTERN.test(a.name)) problems.push(`${where}: not camelCase`);
          if (reserved.has(a.name)) problems.push(`${where}: reserved name`);
          if (own.has(a.name)) problems.push(`${where}: declared twice`);
          if (inherited.has(a.name)) problems.push(`${where}: redeclares an inherited attribute`);
          own.add(a.name);
          if (!(ATTRIBUTE_TYPES as readonly string[]).includes(a.type))
            problems.push(`${where}: unknown type ${a.type}`);
          if (a.labelZh.trim() === '' || a.labelEn.trim() === '') problems.push(`${where}: missing label`);
          if (a.type === 'ENUM') {
            const values = a.allowedValues ?? [];
            if (values.length === 0) problems.push(`${where}: ENUM without allowedValues`);
            if (new Set(values).size !== values.length) problems.push(`${where}: duplicate allowed values`);
          } else if (a.allowedValues !== undefined) problems.push(`${where}: allowedValues on a ${a.type}`);
          if (a.pattern !== undefined && !compiles(a.pattern)) problems.push(`${where}: pattern does not compile`);
          if ((a.min !== undefined || a.max !== undefined) && a.type !== 'INTEGER' && a.type !== 'FLOAT')
            problems.push(`${where}: bounds on a ${a.type}`);
          if (a.min !== undefined && a.max !== undefined && a.min > a.max) problems.push(`${where}: min > max`);
          if (a.maintainedBy !== undefined && a.maintainedBy !== 'HUMAN' && a.maintainedBy !== 'DISCOVERY')
            problems.push(`${where}: unknown maintainedBy ${String(a.maintainedBy)}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('give every concrete class a naming rule (own or inherited) that compiles and is anchored', () => {
      const problems: string[] = [];
      for (const c of concreteClasses) {
        const rule = codePatternOf(c.name);
        if (rule === undefined) problems.push(`${c.name}: no codePattern`);
        else {
          if (!compiles(rule.pattern)) problems.push(`${c.name}: codePattern does not compile`);
          if (!rule.pattern.startsWith('^') || !rule.pattern.endsWith('$'))
            problems.push(`${c.name}: codePattern not anchored`);
          if (rule.rule === undefined || rule.rule.trim() === '') problems.push(`${c.name}: no codeRule`);
        }
      }
      for (const c of model.classes)
        if ((c.codePattern === undefined) !== (c.codeRule === undefined))
          problems.push(`${c.name}: codePattern and codeRule must come together`);
      expect(problems).toEqual([]);
    });

    it('identify real entities by required attributes the class has', () => {
      const problems: string[] = [];
      for (const c of model.classes) {
        if (c.identificationKeys === undefined) continue;
        if (c.identificationKeys.length === 0) problems.push(`${c.name}: empty identificationKeys`);
        const attrs = attributesOf(c.name);
        for (const k of c.identificationKeys) {
          const a = attrs.get(k);
          if (a === undefined) problems.push(`${c.name}: identification key ${k} is not an attribute`);
          else if (a.def.required !== true) problems.push(`${c.name}: identification key ${k} is not required`);
        }
      }
      expect(problems).toEqual([]);
      const keyOf = (name: string): string[] | undefined => identificationOf(name)?.keys;
      expect(keyOf('PhysicalServer')).toEqual(['serialNumber']);
      expect(keyOf('VirtualMachine')).toEqual(['hostname']);
      expect(keyOf('NetworkLine')).toEqual(['lineId']);
      expect(keyOf('Supplier')).toEqual(['creditCode']);
      expect(keyOf('Person')).toEqual(['employeeId']);
      expect(keyOf('BusinessSystem')).toBeDefined();
    });

    it('define lifecycle baselines over known states, attributes and relation types the class may have', () => {
      const problems: string[] = [];
      let count = 0;
      for (const c of model.classes) {
        const attrs = attributesOf(c.name);
        const states = new Set<string>();
        for (const b of c.lifecycleBaselines ?? []) {
          count += 1;
          const where = `${c.name}@${b.state}`;
          if (!stateNames.has(b.state)) problems.push(`${where}: unknown state`);
          if (states.has(b.state)) problems.push(`${where}: two baselines for one state`);
          states.add(b.state);
          for (const a of b.requiredAttributes ?? [])
            if (!attrs.has(a)) problems.push(`${where}: unknown attribute ${a}`);
          for (const r of b.requiredRelations ?? []) {
            const type = relationByName.get(r.type);
            if (type === undefined) problems.push(`${where}: unknown relation type ${r.type}`);
            else if (r.direction !== 'OUT' && r.direction !== 'IN') problems.push(`${where}: bad direction`);
            else if (!isAnyOf(c.name, r.direction === 'OUT' ? type.sources : type.targets))
              problems.push(
                `${where}: ${c.name} can never be the ${r.direction === 'OUT' ? 'source' : 'target'} of ${r.type}`,
              );
          }
        }
      }
      expect(problems).toEqual([]);
      expect(count).toBeGreaterThanOrEqual(5);
      expect(count).toBeLessThanOrEqual(10);
    });

    it('cover the insurance IT estate of JR/T 0079 §7.1.2, §9.1.4.2 d and §6.2 with concrete classes', () => {
      const expected = [
        'BusinessSystem',
        'Application',
        'ApplicationComponent',
        'Database',
        'Middleware',
        'Container',
        'ContainerPlatform',
        'ServerCluster',
        'PhysicalServer',
        'VirtualMachine',
        'StorageArray',
        'StorageVolume',
        'Switch',
        'Router',
        'LoadBalancer',
        'Firewall',
        'WebApplicationFirewall',
        'NetworkLine',
        'DataCenter',
        'MachineRoom',
        'Rack',
        'Desktop',
        'Peripheral',
        'PaymentService',
        'SmsService',
        'CloudService',
        'Supplier',
        'Document',
        'Team',
        'Person',
      ];
      const missing = expected.filter((n) => classByName.get(n)?.abstract === true || !classByName.has(n));
      expect(missing).toEqual([]);
      expect(isA('PhysicalServer', 'Server') && isA('Server', 'Hardware')).toBe(true);
      expect(isA('VirtualMachine', 'Server')).toBe(true);
      expect(isA('Firewall', 'SecurityDevice')).toBe(true);
      expect(isA('CloudService', 'ExternalService')).toBe(true);
    });

    it('grade business systems by importance, MLPS level and Internet exposure', () => {
      const attrs = attributesOf('BusinessSystem');
      const importance = attrs.get('importance')?.def;
      expect(importance?.type).toBe('ENUM');
      expect(importance?.required).toBe(true);
      expect(importance?.allowedValues).toEqual(['CORE', 'IMPORTANT', 'GENERAL', 'OTHER']);
      expect(attrs.get('mlpsLevel')?.def.type).toBe('ENUM');
      expect(attrs.get('internetFacing')?.def).toMatchObject({ type: 'BOOLEAN', required: true });
      expect(attrs.has('branchScope')).toBe(true);
    });

    it('let discovery maintain the attributes discovery tools see', () => {
      const maintainer = (cls: string, attr: string): string | undefined => {
        const def = attributesOf(cls).get(attr)?.def;
        return def === undefined ? undefined : (def.maintainedBy ?? 'HUMAN');
      };
      expect(maintainer('VirtualMachine', 'ipAddress')).toBe('DISCOVERY');
      expect(maintainer('VirtualMachine', 'memoryGb')).toBe('DISCOVERY');
      expect(maintainer('PhysicalServer', 'os')).toBe('DISCOVERY');
      expect(maintainer('PhysicalServer', 'managementIp')).toBe('HUMAN');
      expect(maintainer('BusinessSystem', 'importance')).toBe('HUMAN');
    });
  });

  describe('owner classes', () => {
    it('are teams and people', () => {
      expect(model.ownerClasses).toEqual(['Party']);
      expect(isA('Team', 'Party') && isA('Person', 'Party')).toBe(true);
      expect(classByName.get('Team')?.abstract).not.toBe(true);
      expect(classByName.get('Person')?.abstract).not.toBe(true);
    });
  });

  describe('relation types', () => {
    it('have valid unique names, labels, existing endpoint classes and known enums', () => {
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const r of model.relationTypes) {
        if (!RELATION_TYPE_PATTERN.test(r.name)) problems.push(`${r.name}: bad name`);
        if (seen.has(r.name)) problems.push(`${r.name}: duplicate`);
        seen.add(r.name);
        if (r.labelZh.trim() === '' || r.labelEn.trim() === '') problems.push(`${r.name}: missing label`);
        if (r.sources.length === 0 || r.targets.length === 0) problems.push(`${r.name}: no sources or targets`);
        for (const c of [...r.sources, ...r.targets])
          if (!classByName.has(c)) problems.push(`${r.name}: unknown class ${c}`);
        if (!['ONE_TO_ONE', 'ONE_TO_MANY', 'MANY_TO_ONE', 'MANY_TO_MANY'].includes(r.cardinality))
          problems.push(`${r.name}: bad cardinality`);
        if (!['TARGET_TO_SOURCE', 'SOURCE_TO_TARGET', 'BOTH', 'NONE'].includes(r.propagation))
          problems.push(`${r.name}: bad propagation`);
      }
      expect(problems).toEqual([]);
    });

    it('propagate failures the way the standard reads them', () => {
      const shape = (name: string): Partial<RelationTypeDef> | undefined => {
        const r = relationByName.get(name);
        return r && { cardinality: r.cardinality, propagation: r.propagation };
      };
      expect(shape('RUNS_ON')).toEqual({ cardinality: 'MANY_TO_ONE', propagation: 'TARGET_TO_SOURCE' });
      expect(shape('BELONGS_TO')).toEqual({ cardinality: 'MANY_TO_ONE', propagation: 'SOURCE_TO_TARGET' });
      expect(shape('LOCATED_IN')).toEqual({ cardinality: 'MANY_TO_ONE', propagation: 'TARGET_TO_SOURCE' });
      expect(relationByName.get('PART_OF')?.propagation).toBe('SOURCE_TO_TARGET');
      expect(relationByName.get('DEPENDS_ON')?.propagation).toBe('TARGET_TO_SOURCE');
      expect(relationByName.get('USES_STORAGE')?.propagation).toBe('TARGET_TO_SOURCE');
      expect(relationByName.get('CONNECTS_TO')?.propagation).toBe('TARGET_TO_SOURCE');
      for (const name of ['SUPPLIED_BY', 'MAINTAINED_BY', 'DOCUMENTED_BY'])
        expect(relationByName.get(name)?.propagation).toBe('NONE');
    });

    it('mark exactly one disaster-recovery counterpart type, one-to-one and without propagation', () => {
      const dr = model.relationTypes.filter((r) => r.disasterRecovery === true);
      expect(dr.map((r) => r.name)).toEqual(['DR_COUNTERPART_OF']);
      expect(dr[0]).toMatchObject({ cardinality: 'ONE_TO_ONE', propagation: 'NONE' });
    });

    it('give every concrete class a relation type it can take part in', () => {
      const unrelated = concreteClasses
        .filter((c) => !model.relationTypes.some((r) => isAnyOf(c.name, r.sources) || isAnyOf(c.name, r.targets)))
        .map((c) => c.name);
      expect(unrelated).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('demo estate (schema/demo-estate.json)', () => {
  const ciByCode = new Map<string, DemoCi>(estate.cis.map((ci) => [ci.code, ci]));
  const classOf = (code: string): string | undefined => ciByCode.get(code)?.class;
  const ownerClasses = model.ownerClasses;

  it('is a realistic size', () => {
    expect(estate.cis.length).toBeGreaterThanOrEqual(250);
    expect(estate.cis.length).toBeLessThanOrEqual(400);
    expect(estate.relations.length).toBeGreaterThan(estate.cis.length);
  });

  it('has unique codes and a name on every CI', () => {
    expect(ciByCode.size).toBe(estate.cis.length);
    expect(
      estate.cis.filter((ci) => typeof ci.name !== 'string' || ci.name.trim() === '').map((ci) => ci.code),
    ).toEqual([]);
  });

  it('puts every CI in an existing concrete class, with a code following that class naming rule only', () => {
    const problems: string[] = [];
    const patterns = concreteClasses.map((c) => ({
      name: c.name,
      re: new RegExp(codePatternOf(c.name)?.pattern ?? '^$'),
    }));
    for (const ci of estate.cis) {
      const cls = classByName.get(ci.class);
      if (cls === undefined) problems.push(`${ci.code}: unknown class ${ci.class}`);
      else if (cls.abstract === true) problems.push(`${ci.code}: abstract class ${ci.class}`);
      const matching = patterns.filter((p) => p.re.test(ci.code)).map((p) => p.name);
      if (!matching.includes(ci.class)) problems.push(`${ci.code}: does not follow the naming rule of ${ci.class}`);
      else if (matching.length > 1) problems.push(`${ci.code}: also matches ${matching.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps every CI in a known lifecycle state, mostly in service', () => {
    expect(estate.cis.filter((ci) => !stateNames.has(ci.lifecycle)).map((ci) => ci.code)).toEqual([]);
    const inService = estate.cis.filter((ci) => ci.lifecycle === 'IN_SERVICE').length;
    expect(inService / estate.cis.length).toBeGreaterThan(0.9);
    expect(estate.cis.filter((ci) => ci.lifecycle === model.lifecycle.retiredState)).toEqual([]);
  });

  it('gives every CI an owner that is an existing team or person', () => {
    const problems = estate.cis
      .filter((ci) => {
        const ownerClass = classOf(ci.owner);
        return ownerClass === undefined || !isAnyOf(ownerClass, ownerClasses);
      })
      .map((ci) => `${ci.code}: owner ${ci.owner}`);
    expect(problems).toEqual([]);
  });

  it('only sets attributes the class defines, with values of the right type', () => {
    const problems: string[] = [];
    for (const ci of estate.cis) {
      const attrs = attributesOf(ci.class);
      for (const [name, value] of Object.entries(ci.attributes)) {
        const a = attrs.get(name);
        if (a === undefined) problems.push(`${ci.code}.${name}: not an attribute of ${ci.class}`);
        else if (value !== null) for (const p of valueProblems(a.def, value)) problems.push(`${ci.code}.${name}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('sets every required attribute, inherited ones included', () => {
    const problems: string[] = [];
    for (const ci of estate.cis)
      for (const { def } of attributesOf(ci.class).values())
        if (def.required === true && !isPresent(ci.attributes[def.name]))
          problems.push(`${ci.code}: missing ${def.name}`);
    expect(problems).toEqual([]);
  });

  it('keeps unique attributes and identification keys unique per declaring class', () => {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    const claim = (scope: string, value: string, code: string): void => {
      const key = `${scope}=${value}`;
      const other = seen.get(key);
      if (other !== undefined) problems.push(`${code}: same ${scope} as ${other} (${value})`);
      else seen.set(key, code);
    };
    for (const ci of estate.cis) {
      for (const { def, declaredIn } of attributesOf(ci.class).values())
        if (def.unique === true && isPresent(ci.attributes[def.name]))
          claim(`${declaredIn}.${def.name}`, JSON.stringify(ci.attributes[def.name]), ci.code);
      const ident = identificationOf(ci.class);
      if (ident !== undefined)
        claim(
          `${ident.declaredIn}[${ident.keys.join(',')}]`,
          JSON.stringify(ident.keys.map((k) => ci.attributes[k])),
          ci.code,
        );
    }
    expect(problems).toEqual([]);
  });

  it('relates existing CIs through known relation types between allowed classes, without duplicates', () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const r of estate.relations) {
      const where = `${r.source} -${r.type}-> ${r.target}`;
      const type = relationByName.get(r.type);
      const source = classOf(r.source);
      const target = classOf(r.target);
      if (type === undefined) problems.push(`${where}: unknown type`);
      if (source === undefined) problems.push(`${where}: unknown source`);
      if (target === undefined) problems.push(`${where}: unknown target`);
      if (r.source === r.target) problems.push(`${where}: self relation`);
      if (type !== undefined && source !== undefined && !isAnyOf(source, type.sources))
        problems.push(`${where}: ${source} is not an allowed source`);
      if (type !== undefined && target !== undefined && !isAnyOf(target, type.targets))
        problems.push(`${where}: ${target} is not an allowed target`);
      if (seen.has(where)) problems.push(`${where}: duplicate`);
      seen.add(where);
    }
    expect(problems).toEqual([]);
  });

  it('respects relation cardinalities', () => {
    const problems: string[] = [];
    const count = new Map<string, number>();
    const bump = (key: string): number => {
      const n = (count.get(key) ?? 0) + 1;
      count.set(key, n);
      return n;
    };
    for (const r of estate.relations) {
      const cardinality = relationByName.get(r.type)?.cardinality;
      if ((cardinality === 'MANY_TO_ONE' || cardinality === 'ONE_TO_ONE') && bump(`out:${r.type}:${r.source}`) === 2)
        problems.push(`${r.source} has more than one ${r.type} target`);
      if ((cardinality === 'ONE_TO_MANY' || cardinality === 'ONE_TO_ONE') && bump(`in:${r.type}:${r.target}`) === 2)
        problems.push(`${r.target} has more than one ${r.type} source`);
    }
    expect(problems).toEqual([]);
  });

  it('meets the baseline (merged with ancestors) of every state on its way from the first initial state', () => {
    // The demo loader creates each CI in the first initial state, adds the relationships, then walks the
    // shortest lifecycle path to the CI's state; each step checks that state's baseline.
    const problems: string[] = [];
    const has = new Set<string>();
    for (const r of estate.relations) {
      has.add(`${r.source}:${r.type}:OUT`);
      has.add(`${r.target}:${r.type}:IN`);
    }
    let checked = 0;
    for (const ci of estate.cis) {
      const path = lifecyclePath(model.lifecycle.initialStates[0], ci.lifecycle);
      if (path === undefined) {
        problems.push(`${ci.code}: ${ci.lifecycle} cannot be reached`);
        continue;
      }
      for (const state of path) {
        const baseline = baselineOf(ci.class, state);
        if (state === ci.lifecycle && baseline.requiredAttributes.length + baseline.requiredRelations.length > 0)
          checked += 1;
        for (const a of baseline.requiredAttributes)
          if (!isPresent(ci.attributes[a])) problems.push(`${ci.code} (${state}): missing attribute ${a}`);
        for (const r of baseline.requiredRelations)
          if (!has.has(`${ci.code}:${r.type}:${r.direction}`))
            problems.push(`${ci.code} (${state}): missing ${r.direction} relation ${r.type}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  describe('as an insurer estate', () => {
    const relationsOf = (type: string): DemoRelation[] => estate.relations.filter((r) => r.type === type);

    it('has the core business systems of §9.1.4.1 a and every importance grade', () => {
      for (const code of ['BS-POLICY', 'BS-CLAIMS', 'BS-IMAGING', 'BS-PRODUCT'])
        expect(ciByCode.get(code)?.attributes.importance).toBe('CORE');
      const grades = new Set(
        estate.cis.filter((ci) => ci.class === 'BusinessSystem').map((ci) => ci.attributes.importance),
      );
      expect([...grades].sort()).toEqual(['CORE', 'GENERAL', 'IMPORTANT', 'OTHER']);
    });

    it('runs in a primary and a disaster-recovery data center', () => {
      const sites = estate.cis.filter((ci) => ci.class === 'DataCenter').map((ci) => ci.attributes.siteType);
      expect(sites).toEqual(expect.arrayContaining(['PRIMARY', 'DISASTER_RECOVERY']));
    });

    it('pairs DR counterparts of the same class', () => {
      const pairs = relationsOf('DR_COUNTERPART_OF');
      expect(pairs.length).toBeGreaterThan(10);
      expect(pairs.filter((r) => classOf(r.source) !== classOf(r.target))).toEqual([]);
    });

    it('gives every database of a core system a DR counterpart', () => {
      const coreSystems = new Set(
        estate.cis
          .filter((ci) => ci.class === 'BusinessSystem' && ci.attributes.importance === 'CORE')
          .map((ci) => ci.code),
      );
      const coreApps = new Set(
        relationsOf('BELONGS_TO')
          .filter((r) => coreSystems.has(r.target))
          .map((r) => r.source),
      );
      const coreDbs = new Set(
        relationsOf('DEPENDS_ON')
          .filter((r) => coreApps.has(r.source) && classOf(r.target) === 'Database')
          .map((r) => r.target),
      );
      const covered = new Set(relationsOf('DR_COUNTERPART_OF').map((r) => r.target));
      expect(coreDbs.size).toBeGreaterThan(0);
      expect([...coreDbs].filter((db) => !covered.has(db))).toEqual([]);
    });

    // Failure propagation: an edge from the failing CI to the CI it impacts.
    const impacts = new Map<string, string[]>();
    const addImpact = (from: string, to: string): void => {
      impacts.set(from, [...(impacts.get(from) ?? []), to]);
    };
    for (const r of estate.relations) {
      const propagation = relationByName.get(r.type)?.propagation;
      if (propagation === 'TARGET_TO_SOURCE' || propagation === 'BOTH') addImpact(r.target, r.source);
      if (propagation === 'SOURCE_TO_TARGET' || propagation === 'BOTH') addImpact(r.source, r.target);
    }
    const impactedBy = (code: string): Set<string> => {
      const seen = new Set<string>();
      const queue = [code];
      while (queue.length > 0) {
        const next = queue.shift() as string;
        for (const n of impacts.get(next) ?? [])
          if (!seen.has(n)) {
            seen.add(n);
            queue.push(n);
          }
      }
      return seen;
    };

    it('has no failure-propagation cycle', () => {
      const cyclic = estate.cis.map((ci) => ci.code).filter((code) => impactedBy(code).has(code));
      expect(cyclic).toEqual([]);
    });

    it('makes the shared SAN array a hub whose failure reaches the core systems', () => {
      const users = relationsOf('USES_STORAGE').filter((r) => r.target === 'SA-SH-HW-DORADO01');
      expect(users.length).toBeGreaterThanOrEqual(10);
      const reached = impactedBy('SA-SH-HW-DORADO01');
      for (const bs of ['BS-POLICY', 'BS-CLAIMS', 'BS-IMAGING', 'BS-PRODUCT']) expect(reached).toContain(bs);
    });

    it('lets a third-party line failure reach the systems that pay through it', () => {
      const reached = impactedBy('LN-SH-UNIONPAY-01');
      expect(reached).toContain('PAY-UNIONPAY');
      expect(reached).toContain('BS-PAYMENT');
      expect(reached).toContain('BS-POLICY');
    });

    it('keeps the DR site out of the primary site blast radius', () => {
      const drCodes = new Set(relationsOf('DR_COUNTERPART_OF').map((r) => r.source));
      const reached = impactedBy('SW-SH-CORE-01');
      expect([...reached].filter((c) => drCodes.has(c))).toEqual([]);
    });
  });
});
