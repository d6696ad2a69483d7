// Root-cause lookup 根因定位 (§9.1.5, §9.2): for the symptom CIs of an incident, or any CIs and a moment,
// the CIs upstream of the symptoms as the graph was then, ranked by how many symptoms each explains,
// then by evidence (changes and releases just before, open problems, other open incidents), then by
// distance; each with the paths to the symptoms it explains and the score behind its rank.

import { ValidationError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { ModelService } from '../model/model.service';
import type { OpLogService } from '../oplog/oplog.service';
import { DEFAULT_DEPTH, pathTo, type PathStep, type Propagation, type Reached } from '../cis/propagation';
import { INCIDENT_QUERIES } from './incident.repository';
import { compareCandidates, evidenceScore, explainRank, type IncidentPolicy } from './incident.rules';

export interface RootCauseRequest {
  symptoms: string[];
  at: number;
  maxDepth?: number | null;
  /** Hours before `at` in which changes and releases count as evidence. */
  windowHours: number;
  /** The incident asked about: its own symptoms are not "other open incidents". */
  incidentId?: string | null;
}

export interface ChangeEvidence {
  ref: string;
  kind: string;
  title: string;
  state: string;
  at: number;
  /** The CI the change is on: the candidate, or a CI just upstream of it. */
  on: string;
}

/** A write to the candidate in the window, from the operation log (§9.1.5.1 e). */
export interface WriteEvidence {
  at: number;
  actor: string;
  action: string;
  ticket: string | null;
  source: string;
  /** Under a change or release whose planned window holds the write; anything else is unplanned. */
  planned: boolean;
}

export interface Candidate {
  rank: number;
  id: string;
  code: string;
  class: string;
  explains: string[];
  distance: number;
  evidence: {
    writes: WriteEvidence[];
    changes: ChangeEvidence[];
    upstreamChanges: ChangeEvidence[];
    problems: { ref: string; title: string; status: string; knownError: string | null; workaround: string | null }[];
    incidents: { ref: string; title: string }[];
  };
  score: { symptomsExplained: number; evidence: number; distance: number; explanation: string };
  /** For each symptom explained: the path from the symptom, against propagation, to this candidate. */
  paths: PathStep[][];
}

export interface RootCauses {
  at: number;
  symptoms: string[];
  candidates: Candidate[];
}

const MAX_SYMPTOMS = 200;

export class RootCauseService {
  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly propagation: Propagation,
    private readonly oplog: OpLogService,
  ) {}

  async find(request: RootCauseRequest): Promise<RootCauses> {
    if (!request.symptoms.length) throw new ValidationError('name at least one symptom CI', { field: 'cis' });
    if (request.symptoms.length > MAX_SYMPTOMS) {
      throw new ValidationError(`at most ${MAX_SYMPTOMS} symptom CIs`, { field: 'cis' });
    }
    if (request.at > Date.now() + 60_000) {
      throw new ValidationError('the moment must not be in the future: the graph is not known there yet', {
        field: 'at',
      });
    }
    const model = await this.model.current();
    return this.executor.read((tx) => this.compute(tx, model, request));
  }

  private async compute(tx: Tx, model: Awaited<ReturnType<ModelService['current']>>, request: RootCauseRequest) {
    const { at } = request;
    const maxDepth = request.maxDepth ?? DEFAULT_DEPTH;
    const { seeds, walks } = await this.propagation.walkEach(
      tx,
      model,
      request.symptoms,
      { flow: 'UPSTREAM', maxDepth, at },
      'cis',
    );

    // Every CI upstream of a symptom, with the symptoms it explains; a symptom explains itself.
    interface Acc {
      ci: Reached;
      explains: Map<number, Reached>;
      distance: number;
      upstream: Set<string>;
    }
    const acc = new Map<string, Acc>();
    const add = (ci: Reached, symptom: number, node: Reached) => {
      const a = acc.get(ci.id) ?? { ci, explains: new Map(), distance: 0, upstream: new Set<string>() };
      if (!a.explains.has(symptom)) {
        a.explains.set(symptom, node);
        a.distance += node.distance;
      }
      acc.set(ci.id, a);
    };
    walks.forEach((w, i) => {
      add(seeds[i], i, seeds[i]);
      for (const ci of w.reached) {
        add(ci, i, ci);
        const parent = ci.from;
        // Reached from the parent going upstream: a CI just upstream of it, whose changes are evidence for it too.
        if (parent) acc.get(parent.id)?.upstream.add(ci.id);
      }
    });

    const ids = [...acc.keys()];
    const from = at - request.windowHours * 3_600_000;
    const [changes, problems, incidents, writes] = await Promise.all([
      tx.run(INCIDENT_QUERIES.changesOn, { ids, at, from }),
      tx.run(INCIDENT_QUERIES.problemsOn, { ids }),
      tx.run(INCIDENT_QUERIES.incidentsOn, { ids, exclude: request.incidentId ?? '' }),
      this.writesBefore(tx, ids, from, at),
    ]);
    const group = <T>(rows: Record<string, unknown>[], map: (r: Record<string, unknown>) => T) => {
      const m = new Map<string, T[]>();
      for (const r of rows) m.set(r.id as string, [...(m.get(r.id as string) ?? []), map(r)]);
      return m;
    };
    const changesById = group(changes, (r) => ({
      ref: r.ref as string,
      kind: r.kind as string,
      title: r.title as string,
      state: r.state as string,
      at: r.at as number,
      on: r.on as string,
    }));
    const problemsById = group(problems, (r) => ({
      ref: r.ref as string,
      title: r.title as string,
      status: r.status as string,
      knownError: (r.knownError as string | null) ?? null,
      workaround: (r.workaround as string | null) ?? null,
    }));
    const incidentsById = group(incidents, (r) => ({ ref: r.ref as string, title: r.title as string }));

    const symptomIds = new Set(seeds.map((s) => s.id));
    const candidates = [...acc.values()]
      .map((a) => {
        const evidence = {
          writes: writes.get(a.ci.id) ?? [],
          changes: changesById.get(a.ci.id) ?? [],
          upstreamChanges: [...a.upstream].flatMap((u) => changesById.get(u) ?? []),
          problems: problemsById.get(a.ci.id) ?? [],
          incidents: incidentsById.get(a.ci.id) ?? [],
        };
        const counts = {
          unplannedWrites: evidence.writes.filter((w) => !w.planned).length,
          changes: evidence.changes.length,
          upstreamChanges: evidence.upstreamChanges.length,
          problems: evidence.problems.length,
          incidents: evidence.incidents.length,
        };
        return { a, evidence, counts };
      })
      // A symptom is its own candidate only when something points at it or it explains another symptom.
      .filter(
        ({ a, counts }) =>
          !symptomIds.has(a.ci.id) ||
          a.explains.size > 1 ||
          counts.unplannedWrites + counts.changes + counts.upstreamChanges + counts.problems + counts.incidents > 0,
      )
      .map(({ a, evidence, counts }) => ({
        input: { code: a.ci.code, explains: a.explains.size, distance: a.distance, evidence: counts },
        a,
        evidence,
      }))
      .sort((x, y) => compareCandidates(x.input, y.input));

    return {
      at,
      symptoms: seeds.map((s) => s.code),
      candidates: candidates.map(({ input, a, evidence }, i) => ({
        rank: i + 1,
        id: a.ci.id,
        code: a.ci.code,
        class: a.ci.class,
        explains: [...a.explains.keys()].sort((x, y) => x - y).map((k) => seeds[k].code),
        distance: a.distance,
        evidence,
        score: {
          symptomsExplained: input.explains,
          evidence: evidenceScore(input.evidence),
          distance: input.distance,
          explanation: explainRank(input, seeds.length),
        },
        paths: [...a.explains.entries()].sort(([x], [y]) => x - y).map(([, node]) => pathTo(node)),
      })),
    } satisfies RootCauses;
  }

  /** Writes to the CIs in [from, at) by CI, each marked planned when its change or release planned it for then. */
  private async writesBefore(tx: Tx, ids: string[], from: number, at: number): Promise<Map<string, WriteEvidence[]>> {
    const writes = await this.oplog.writesTo(tx, ids, from, at);
    const refs = [...new Set(writes.map((w) => w.ticket).filter((t): t is string => t !== null))];
    const windows = new Map(
      (refs.length ? await tx.run(INCIDENT_QUERIES.ticketWindows, { refs }) : []).map((r) => [r.ref as string, r]),
    );
    const out = new Map<string, WriteEvidence[]>();
    for (const w of writes) {
      const t = w.ticket === null ? undefined : windows.get(w.ticket);
      const start = (t?.start as number | null) ?? null;
      const end = (t?.end as number | null) ?? null;
      const planned =
        !!t &&
        (t.kind === 'CHANGE' || t.kind === 'RELEASE') &&
        start !== null &&
        start <= w.at &&
        (end === null || w.at <= end);
      const evidence: WriteEvidence = {
        at: w.at,
        actor: w.actor,
        action: w.action,
        ticket: w.ticket,
        source: w.source,
        planned,
      };
      out.set(w.ciId, [...(out.get(w.ciId) ?? []), evidence]);
    }
    return out;
  }
}

export function windowHoursOf(policy: IncidentPolicy, given: number | null | undefined): number {
  if (given === null || given === undefined) return policy.evidenceWindowHours;
  if (!Number.isInteger(given) || given < 1 || given > 24 * 90) {
    throw new ValidationError('windowHours must be a whole number of hours from 1 to 2160', { field: 'windowHours' });
  }
  return given;
}
