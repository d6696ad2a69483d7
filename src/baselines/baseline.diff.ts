// Baseline content and the comparison of two contents: pure data, no database. A content is what a
// scope held at a moment: each CI's attributes, lifecycle and version, and the relationships among them.

import type { AttrValue, Attributes } from '../cis/ci.validation';

/** One CI as a baseline records it. */
export interface BaselineItem {
  id: string;
  code: string;
  name: string;
  class: string;
  lifecycle: string;
  owner: string | null;
  version: number;
  attributes: Attributes;
}

/** One live relationship between two CIs of the scope, by their codes. */
export interface BaselineRelation {
  id: string;
  type: string;
  source: string;
  target: string;
}

export interface BaselineContent {
  /** Ordered by code. */
  items: BaselineItem[];
  /** Ordered by source, type, target. */
  relations: BaselineRelation[];
}

export const DIFFERENCE_KINDS = ['CI_ADDED', 'CI_REMOVED', 'CI_CHANGED', 'RELATION_ADDED', 'RELATION_REMOVED'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

/** One changed field of a CI: `name`, `owner`, `lifecycle` or `attributes.<name>`; null for absent. */
export interface FieldChange {
  field: string;
  old: AttrValue | null;
  new: AttrValue | null;
}

export interface Difference {
  kind: DifferenceKind;
  /** The CI concerned; for a relationship, its source. */
  code: string;
  class: string;
  /** The CI as it was (removed, changed) or is (added); null for a relationship. */
  before: BaselineItem | null;
  after: BaselineItem | null;
  /** CI_CHANGED: every field that differs, lifecycle first. */
  changes: FieldChange[];
  /** RELATION_ADDED / RELATION_REMOVED: the relationship. */
  relation: BaselineRelation | null;
  /**
   * CI_ADDED / CI_REMOVED: the relationships that came or went with the CI. They are part of this
   * difference, not differences of their own: a new CI wired into the scope is one difference.
   */
  relations: BaselineRelation[];
  /** Sort and cursor key: by CI code, then kind, then relationship. */
  key: string;
  /** Classes this difference concerns (a relationship: both ends), for the class filter. */
  classes: string[];
}

export interface DiffCounts {
  total: number;
  ciAdded: number;
  ciRemoved: number;
  ciChanged: number;
  /** CIs whose lifecycle state differs (among ciChanged). */
  lifecycleChanges: number;
  /** Attribute values that differ, over all changed CIs. */
  attributeChanges: number;
  relationsAdded: number;
  relationsRemoved: number;
}

const relKey = (r: BaselineRelation) => `${r.type}|${r.source}|${r.target}`;

/** What differs between `a` (the earlier, usually a baseline) and `b`. */
export function diffContents(a: BaselineContent, b: BaselineContent): Difference[] {
  const aById = new Map(a.items.map((i) => [i.id, i]));
  const bById = new Map(b.items.map((i) => [i.id, i]));
  const classOf = new Map<string, string>();
  for (const i of [...a.items, ...b.items]) classOf.set(i.code, i.class);
  const out: Difference[] = [];
  const base = { before: null, after: null, changes: [], relation: null, relations: [] };
  const ciDiff = new Map<string, Difference>();

  for (const before of a.items) {
    const after = bById.get(before.id);
    if (!after) {
      const d: Difference = {
        ...base,
        kind: 'CI_REMOVED',
        code: before.code,
        class: before.class,
        before,
        relations: [],
        key: `${before.code}\u00001`,
        classes: [before.class],
      };
      ciDiff.set(before.code, d);
      out.push(d);
      continue;
    }
    const changes = fieldChanges(before, after);
    if (changes.length) {
      out.push({
        ...base,
        kind: 'CI_CHANGED',
        code: after.code,
        class: after.class,
        before,
        after,
        changes,
        key: `${after.code}\u00002`,
        classes: [after.class],
      });
    }
  }
  for (const after of b.items) {
    if (aById.has(after.id)) continue;
    const d: Difference = {
      ...base,
      kind: 'CI_ADDED',
      code: after.code,
      class: after.class,
      after,
      relations: [],
      key: `${after.code}\u00000`,
      classes: [after.class],
    };
    ciDiff.set(after.code, d);
    out.push(d);
  }

  const aRels = new Map(a.relations.map((r) => [relKey(r), r]));
  const bRels = new Map(b.relations.map((r) => [relKey(r), r]));
  const relation = (kind: 'RELATION_ADDED' | 'RELATION_REMOVED', r: BaselineRelation) => {
    // A relationship that came or went with one of its ends belongs to that CI's difference.
    const owner = ciDiff.get(r.source) ?? ciDiff.get(r.target);
    if (owner) {
      owner.relations.push(r);
      return;
    }
    const classes = [...new Set([classOf.get(r.source), classOf.get(r.target)].filter((c): c is string => !!c))];
    out.push({
      ...base,
      kind,
      code: r.source,
      class: classOf.get(r.source) ?? '',
      relation: r,
      relations: [],
      key: `${r.source}\u0000${kind === 'RELATION_ADDED' ? 3 : 4}\u0000${r.type}\u0000${r.target}`,
      classes,
    });
  };
  for (const [k, r] of bRels) if (!aRels.has(k)) relation('RELATION_ADDED', r);
  for (const [k, r] of aRels) if (!bRels.has(k)) relation('RELATION_REMOVED', r);
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** The fields of a CI that differ between two states; the version is bookkeeping and is not compared. */
export function fieldChanges(before: BaselineItem, after: BaselineItem): FieldChange[] {
  const changes: FieldChange[] = [];
  if (before.lifecycle !== after.lifecycle)
    changes.push({ field: 'lifecycle', old: before.lifecycle, new: after.lifecycle });
  if (before.name !== after.name) changes.push({ field: 'name', old: before.name, new: after.name });
  if (before.owner !== after.owner) changes.push({ field: 'owner', old: before.owner, new: after.owner });
  const names = [...new Set([...Object.keys(before.attributes), ...Object.keys(after.attributes)])].sort();
  for (const n of names) {
    const old = before.attributes[n] ?? null;
    const now = after.attributes[n] ?? null;
    if (old !== now) changes.push({ field: `attributes.${n}`, old, new: now });
  }
  return changes;
}

export function countDifferences(diffs: readonly Difference[]): DiffCounts {
  const counts: DiffCounts = {
    total: diffs.length,
    ciAdded: 0,
    ciRemoved: 0,
    ciChanged: 0,
    lifecycleChanges: 0,
    attributeChanges: 0,
    relationsAdded: 0,
    relationsRemoved: 0,
  };
  for (const d of diffs) {
    if (d.kind === 'CI_ADDED') counts.ciAdded++;
    else if (d.kind === 'CI_REMOVED') counts.ciRemoved++;
    else if (d.kind === 'RELATION_ADDED') counts.relationsAdded++;
    else if (d.kind === 'RELATION_REMOVED') counts.relationsRemoved++;
    else {
      counts.ciChanged++;
      if (d.changes.some((c) => c.field === 'lifecycle')) counts.lifecycleChanges++;
      counts.attributeChanges += d.changes.filter((c) => c.field.startsWith('attributes.')).length;
    }
  }
  return counts;
}

/** Differences by class of the CI concerned, most first. */
export function countByClass(diffs: readonly Difference[]): { key: string; count: number }[] {
  const by = new Map<string, number>();
  for (const d of diffs) by.set(d.class, (by.get(d.class) ?? 0) + 1);
  return [...by].map(([key, count]) => ({ key, count })).sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : 1));
}
