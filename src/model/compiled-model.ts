// A configuration model resolved for use: inheritance flattened, patterns compiled, lookups indexed.
// Built once per model version; every validation of a CI or relationship asks it.

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
} from './model.types';

export interface ResolvedClass {
  def: ClassDef;
  name: string;
  abstract: boolean;
  /** Nearest first, excluding the class itself. */
  ancestors: string[];
  /** The class itself and every class below it. */
  selfAndDescendants: string[];
  /** Inherited and own attributes by name. */
  attributes: Map<string, AttributeDef>;
  /** For each attribute, the class that declares it: the scope of its uniqueness. */
  attributeOwners: Map<string, string>;
  codePattern?: RegExp;
  codeRule?: string;
  identificationKeys: string[];
  /** The class whose identification keys these are: uniqueness holds among its CIs. */
  identDeclaringClass?: string;
  /** Per state: required attributes and relations, own merged with inherited. */
  baselines: Map<string, { requiredAttributes: string[]; requiredRelations: RelationRequirement[] }>;
}

export interface ModelProblem {
  field: string;
  message: string;
}

export class CompiledModel {
  readonly classes = new Map<string, ResolvedClass>();
  readonly relationTypes = new Map<string, RelationTypeDef>();
  readonly states = new Set<string>();
  private readonly transitions = new Set<string>();
  readonly ownerClassSet: Set<string>;

  constructor(
    readonly data: ConfigModelData,
    readonly version: number,
  ) {
    const problems = validateModelData(data);
    if (problems.length > 0) {
      throw new Error(`invalid configuration model: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    }
    for (const s of data.lifecycle.states) this.states.add(s.name);
    for (const t of data.lifecycle.transitions) this.transitions.add(`${t.from}>${t.to}`);
    for (const r of data.relationTypes) this.relationTypes.set(r.name, r);
    const byName = new Map(data.classes.map((c) => [c.name, c]));
    for (const def of data.classes) this.classes.set(def.name, resolveClass(def, byName));
    for (const cls of this.classes.values()) {
      for (const ancestor of cls.ancestors) this.classes.get(ancestor)!.selfAndDescendants.push(cls.name);
    }
    this.ownerClassSet = new Set(data.ownerClasses.flatMap((c) => this.classes.get(c)?.selfAndDescendants ?? []));
  }

  get retiredState(): string {
    return this.data.lifecycle.retiredState;
  }

  getClass(name: string): ResolvedClass | undefined {
    return this.classes.get(name);
  }

  isA(className: string, ancestorOrSelf: string): boolean {
    const cls = this.classes.get(className);
    return !!cls && (className === ancestorOrSelf || cls.ancestors.includes(ancestorOrSelf));
  }

  /** Every class name the given classes cover, subclasses included; unknown names are left out. */
  expandClasses(names: readonly string[]): string[] {
    const out = new Set<string>();
    for (const n of names) for (const c of this.classes.get(n)?.selfAndDescendants ?? []) out.add(c);
    return [...out];
  }

  canTransition(from: string, to: string): boolean {
    return this.transitions.has(`${from}>${to}`);
  }

  allowedTransitionsFrom(from: string): string[] {
    return this.data.lifecycle.transitions.filter((t) => t.from === from).map((t) => t.to);
  }

  relationAllows(type: RelationTypeDef, sourceClass: string, targetClass: string): boolean {
    return type.sources.some((s) => this.isA(sourceClass, s)) && type.targets.some((t) => this.isA(targetClass, t));
  }
}

function resolveClass(def: ClassDef, byName: Map<string, ClassDef>): ResolvedClass {
  const chain: ClassDef[] = [def];
  for (let p = def.parent; p; p = byName.get(p)?.parent) chain.push(byName.get(p)!);
  const rootFirst = [...chain].reverse();
  const attributes = new Map<string, AttributeDef>();
  const attributeOwners = new Map<string, string>();
  for (const c of rootFirst) {
    for (const a of c.attributes) {
      attributes.set(a.name, a);
      attributeOwners.set(a.name, c.name);
    }
  }
  const withCode = chain.find((c) => c.codePattern);
  const withKeys = chain.find((c) => c.identificationKeys && c.identificationKeys.length > 0);
  const baselines = new Map<string, { requiredAttributes: string[]; requiredRelations: RelationRequirement[] }>();
  for (const c of rootFirst) {
    for (const b of c.lifecycleBaselines ?? []) {
      const entry = baselines.get(b.state) ?? { requiredAttributes: [], requiredRelations: [] };
      for (const a of b.requiredAttributes ?? [])
        if (!entry.requiredAttributes.includes(a)) entry.requiredAttributes.push(a);
      for (const r of b.requiredRelations ?? []) {
        if (!entry.requiredRelations.some((x) => x.type === r.type && x.direction === r.direction))
          entry.requiredRelations.push(r);
      }
      baselines.set(b.state, entry);
    }
  }
  return {
    def,
    name: def.name,
    abstract: !!def.abstract,
    ancestors: chain.slice(1).map((c) => c.name),
    selfAndDescendants: [def.name],
    attributes,
    attributeOwners,
    codePattern: withCode?.codePattern ? new RegExp(withCode.codePattern) : undefined,
    codeRule: withCode?.codeRule,
    identificationKeys: withKeys?.identificationKeys ?? [],
    identDeclaringClass: withKeys?.name,
    baselines,
  };
}

function validRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Everything wrong with a model document, each problem with the path of the field it concerns. */
export function validateModelData(data: ConfigModelData): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!data || typeof data !== 'object') return [{ field: 'model', message: 'must be an object' }];
  if (!Array.isArray(data.classes)) add('classes', 'must be a list');
  if (!Array.isArray(data.relationTypes)) add('relationTypes', 'must be a list');
  if (!data.lifecycle || !Array.isArray(data.lifecycle.states)) add('lifecycle', 'must list states');
  if (problems.length) return problems;

  const states = new Set<string>();
  data.lifecycle.states.forEach((s, i) => {
    if (!STATE_NAME_PATTERN.test(s.name)) add(`lifecycle.states[${i}].name`, `"${s.name}" must be UPPER_SNAKE`);
    if (states.has(s.name)) add(`lifecycle.states[${i}].name`, `duplicate state ${s.name}`);
    states.add(s.name);
  });
  data.lifecycle.transitions.forEach((t, i) => {
    if (!states.has(t.from)) add(`lifecycle.transitions[${i}].from`, `unknown state ${t.from}`);
    if (!states.has(t.to)) add(`lifecycle.transitions[${i}].to`, `unknown state ${t.to}`);
  });
  for (const s of data.lifecycle.initialStates ?? [])
    if (!states.has(s)) add('lifecycle.initialStates', `unknown state ${s}`);
  if (!(data.lifecycle.initialStates ?? []).length) add('lifecycle.initialStates', 'at least one state is needed');
  if (!states.has(data.lifecycle.retiredState))
    add('lifecycle.retiredState', `unknown state ${data.lifecycle.retiredState}`);
  if (data.lifecycle.transitions.some((t) => t.from === data.lifecycle.retiredState)) {
    add('lifecycle.transitions', `${data.lifecycle.retiredState} is terminal: no transition may leave it`);
  }

  const byName = new Map<string, ClassDef>();
  data.classes.forEach((c, i) => {
    if (!CLASS_NAME_PATTERN.test(c.name ?? ''))
      add(`classes[${i}].name`, `"${c.name}" must be PascalCase letters and digits`);
    if (byName.has(c.name)) add(`classes[${i}].name`, `duplicate class ${c.name}`);
    byName.set(c.name, c);
  });
  data.classes.forEach((c, i) => {
    const at = `classes[${i}](${c.name})`;
    if (c.parent && !byName.has(c.parent)) add(`${at}.parent`, `unknown parent class ${c.parent}`);
    const seen = new Set<string>([c.name]);
    for (let p = c.parent; p; p = byName.get(p)?.parent) {
      if (seen.has(p)) {
        add(`${at}.parent`, `inheritance cycle through ${p}`);
        break;
      }
      seen.add(p);
    }
    if (!c.labelZh || !c.labelEn) add(`${at}.labelZh`, 'zh and en labels are required');
    if (c.codePattern && !validRegex(c.codePattern)) add(`${at}.codePattern`, 'is not a valid regular expression');
    if (!Array.isArray(c.attributes)) add(`${at}.attributes`, 'must be a list');
  });
  if (problems.length) return problems;

  for (const [i, c] of data.classes.entries()) {
    const at = `classes[${i}](${c.name})`;
    const inherited = new Map<string, AttributeDef>();
    for (let p = c.parent; p; p = byName.get(p)?.parent)
      for (const a of byName.get(p)!.attributes) inherited.set(a.name, a);
    const own = new Set<string>();
    c.attributes.forEach((a, j) => {
      const af = `${at}.attributes[${j}](${a.name})`;
      if (!ATTRIBUTE_NAME_PATTERN.test(a.name ?? ''))
        add(`${af}.name`, `"${a.name}" must be camelCase letters and digits`);
      if ((RESERVED_CI_FIELDS as readonly string[]).includes(a.name))
        add(`${af}.name`, `"${a.name}" is a reserved CI field`);
      if (own.has(a.name) || inherited.has(a.name))
        add(`${af}.name`, `attribute ${a.name} is defined twice in the class tree`);
      own.add(a.name);
      if (!(ATTRIBUTE_TYPES as readonly string[]).includes(a.type)) add(`${af}.type`, `unknown type ${a.type}`);
      if (a.type === 'ENUM' && !(a.allowedValues && a.allowedValues.length))
        add(`${af}.allowedValues`, 'an ENUM needs allowed values');
      if (a.pattern && !validRegex(a.pattern)) add(`${af}.pattern`, 'is not a valid regular expression');
      if (!a.labelZh || !a.labelEn) add(`${af}.labelZh`, 'zh and en labels are required');
    });
    const all = new Set([...inherited.keys(), ...own]);
    (c.identificationKeys ?? []).forEach((k) => {
      if (!all.has(k)) add(`${at}.identificationKeys`, `unknown attribute ${k}`);
    });
    (c.lifecycleBaselines ?? []).forEach((b, j) => {
      const bf = `${at}.lifecycleBaselines[${j}]`;
      if (!states.has(b.state)) add(`${bf}.state`, `unknown state ${b.state}`);
      for (const a of b.requiredAttributes ?? [])
        if (!all.has(a)) add(`${bf}.requiredAttributes`, `unknown attribute ${a}`);
      for (const r of b.requiredRelations ?? []) {
        if (!data.relationTypes.some((t) => t.name === r.type))
          add(`${bf}.requiredRelations`, `unknown relation type ${r.type}`);
        if (r.direction !== 'OUT' && r.direction !== 'IN')
          add(`${bf}.requiredRelations`, `direction must be OUT or IN`);
      }
    });
  }

  const relNames = new Set<string>();
  data.relationTypes.forEach((r, i) => {
    const at = `relationTypes[${i}](${r.name})`;
    if (!RELATION_TYPE_PATTERN.test(r.name ?? '')) add(`${at}.name`, `"${r.name}" must be UPPER_SNAKE`);
    if (relNames.has(r.name)) add(`${at}.name`, `duplicate relation type ${r.name}`);
    relNames.add(r.name);
    if (!r.sources?.length) add(`${at}.sources`, 'at least one source class is needed');
    if (!r.targets?.length) add(`${at}.targets`, 'at least one target class is needed');
    for (const s of r.sources ?? []) if (!byName.has(s)) add(`${at}.sources`, `unknown class ${s}`);
    for (const t of r.targets ?? []) if (!byName.has(t)) add(`${at}.targets`, `unknown class ${t}`);
    if (!['ONE_TO_ONE', 'ONE_TO_MANY', 'MANY_TO_ONE', 'MANY_TO_MANY'].includes(r.cardinality))
      add(`${at}.cardinality`, `unknown cardinality ${r.cardinality}`);
    if (!['TARGET_TO_SOURCE', 'SOURCE_TO_TARGET', 'BOTH', 'NONE'].includes(r.propagation))
      add(`${at}.propagation`, `unknown propagation ${r.propagation}`);
    if (!r.labelZh || !r.labelEn) add(`${at}.labelZh`, 'zh and en labels are required');
  });
  if (!Array.isArray(data.ownerClasses) || data.ownerClasses.length === 0)
    add('ownerClasses', 'at least one owner class is needed');
  for (const c of data.ownerClasses ?? []) if (!byName.has(c)) add('ownerClasses', `unknown class ${c}`);
  return problems;
}
