// The failure topology in memory: every CI (code, class, lifecycle, when it was created and retired) and
// every relationship between CIs (type, since, until), in flat arrays, so a blast radius or a root-cause
// walk is a breadth-first search in the process instead of a database round trip per level.
//
// It is a projection of the graph, never a source of truth: loaded once, then kept in step by the
// operation log. Every write appends entries with CONCERNS edges to the CIs it touched (a relationship
// change concerns both ends) and moves the log's head seq under the head lock, so seq order is commit
// order. Before each walk, `sync` reads the head; when it has moved, the entries since the last sync
// name the CIs to re-read, with their relationships that began or ended since. Re-reading is an upsert,
// so replaying an entry twice is harmless. Edges are kept with since/until and CIs with created/retired
// times, so walks as of a past moment read the same arrays.

import type { Executor, Tx } from '../platform/neo4j/executor';
import { MAIN_CHAIN } from '../oplog/oplog.repository';
import { relType } from '../model/model.repository';
import type { CompiledModel } from '../model/compiled-model';

/** Where a walk starts: a CI's index in the topology. */
export type NodeIndex = number;

/**
 * What one breadth-first search found: node indexes in (distance, code) order, with distance, parent and
 * edge. Valid until the next search, which reuses the arrays behind it.
 */
export interface TopologyWalk {
  /** Reached nodes, seeds excluded, nearest first and by code within a distance. */
  order: number[];
  distance(node: NodeIndex): number;
  /** The node it was reached from (-1 for a seed). */
  parent(node: NodeIndex): NodeIndex;
  /** The edge crossed to reach it. */
  edge(node: NodeIndex): number;
  /** Its place in `order`; for the k-th seed, -1 - k. */
  position(node: NodeIndex): number;
}

export interface TopologyWalkOptions {
  /** Relation types (by name) crossed from source to target, and those crossed from target to source. */
  forward: readonly string[];
  backward: readonly string[];
  maxDepth: number;
  /** Classes reached but not expanded further. */
  stopAt: ReadonlySet<string>;
  at: number | null;
}

/** A delta larger than this reloads everything (in the background) instead of re-reading CI by CI. */
const MAX_DELTA_CIS = 50_000;
/** Relationships that began or ended this long before the oldest entry of a delta are re-read too (clock skew). */
const SKEW_MS = 10 * 60_000;
const LOAD_TIMEOUT_MS = 30 * 60_000;

/** What the graph keeps of a CI: enough to walk, and to describe what a walk reached without Neo4j. */
const NODE_FIELDS = `id(c) AS nid, elementId(c) AS eid, c.id AS id, c.code AS code, c.class AS class,
           c.lifecycle AS lifecycle, c.createdAt AS createdAt, c.retiredAt AS retiredAt, c.name AS name,
           c.owner AS owner, c.importance AS importance, c.internetFacing AS internetFacing,
           c.branchScope AS branchScope`;

const QUERIES = {
  head: `MATCH (h:OpLogHead {key: $key}) RETURN h.seq AS seq`,
  nodes: `
    MATCH (c:CI)
    RETURN ${NODE_FIELDS}`,
  relationships: (types: string) => `
    MATCH (a:CI)-[r:${types}]->(b:CI)
    RETURN id(a) AS src, id(b) AS dst, type(r) AS type, r.since AS since, r.until AS until`,
  /** The CIs the entries after `from` (up to `to`) concern, and the oldest entry's time. */
  touched: `
    MATCH (o:${MAIN_CHAIN.label}) WHERE o.seq > $from AND o.seq <= $to
    OPTIONAL MATCH (o)-[:CONCERNS]->(c:CI)
    RETURN min(o.at) AS oldest, collect(DISTINCT id(c)) AS cis`,
  nodesById: `
    UNWIND $nids AS nid
    MATCH (c:CI) WHERE id(c) = nid
    RETURN ${NODE_FIELDS}`,
  relationshipsOf: (types: string) => `
    UNWIND $nids AS nid
    MATCH (c:CI) WHERE id(c) = nid
    MATCH (c)-[r:${types}]-(:CI)
    WHERE r.since >= $after OR r.until >= $after
    RETURN DISTINCT id(startNode(r)) AS src, id(endNode(r)) AS dst, type(r) AS type, r.since AS since, r.until AS until`,
};

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown, absent: number): number =>
  v === null || v === undefined ? absent : typeof v === 'number' ? v : Number(v);

/** A growable column of numbers over a typed array. */
class Column<A extends Int32Array | Float64Array> {
  length = 0;
  constructor(
    public data: A,
    private readonly make: (n: number) => A,
  ) {}
  push(v: number): number {
    if (this.length === this.data.length) {
      const bigger = this.make(Math.max(16, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}
const ints = () => new Column(new Int32Array(1024), (n) => new Int32Array(n));
const floats = () => new Column(new Float64Array(1024), (n) => new Float64Array(n));

/** Interns repeated strings (class names, lifecycles, relation types) as small numbers. */
class Names {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(name);
      this.index.set(name, i);
    }
    return i;
  }
  find(name: string): number | undefined {
    return this.index.get(name);
  }
}

interface NodeRow {
  nid: unknown;
  eid: unknown;
  id: unknown;
  code: unknown;
  class: unknown;
  lifecycle: unknown;
  createdAt: unknown;
  retiredAt: unknown;
  name: unknown;
  owner: unknown;
  importance: unknown;
  internetFacing: unknown;
  branchScope: unknown;
}

/** A business system's facts that a blast radius lists (kept only for CIs that have any). */
export interface SystemFacts {
  importance: string | null;
  internetFacing: boolean;
  branchScope: string | null;
}
interface EdgeRow {
  src: unknown;
  dst: unknown;
  type: unknown;
  since: unknown;
  until: unknown;
}

/** The arrays themselves: CIs, relationships, adjacency, and the breadth-first search over them. */
export class TopologyGraph {
  // CIs, by node index.
  readonly elementIds: string[] = [];
  readonly ids: string[] = [];
  readonly codes: string[] = [];
  readonly names: string[] = [];
  private classOf = ints();
  private lifecycleOf = ints();
  /** Index into `owners`; -1 for none. */
  private ownerOf = ints();
  private readonly owners = new Names();
  private readonly facts = new Map<NodeIndex, SystemFacts>();
  private created = floats();
  /** Infinity while not retired. */
  private retired = floats();
  /** The CI's place in code order when the arrays were last built; -1 for CIs added since. */
  private codeRank = new Int32Array(0);
  private nodeAtRank = new Int32Array(0);
  /** Scratch of sortedByCode for large levels: one flag per code rank, left all zero between uses. */
  private rankSeen = new Uint8Array(0);
  private readonly byNeoId = new Map<number, NodeIndex>();
  private readonly byCode = new Map<string, NodeIndex>();
  readonly classes = new Names();
  readonly lifecycles = new Names();

  // Relationships, by edge index. `since` is NaN when never begun; `until` Infinity while not ended.
  private src = ints();
  private dst = ints();
  private typeOf = ints();
  private since = floats();
  private until = floats();
  readonly types = new Names();

  // Adjacency: compressed rows built at load, plus the edges added since, per node.
  private outStart = new Int32Array(1);
  private outEdges = new Int32Array(0);
  private inStart = new Int32Array(1);
  private inEdges = new Int32Array(0);
  private builtNodes = 0;
  private readonly outExtra = new Map<NodeIndex, number[]>();
  private readonly inExtra = new Map<NodeIndex, number[]>();

  // Per-walk scratch, reused: a node is visited in the current walk when mark[node] === stamp.
  private mark = new Int32Array(0);
  private stamp = 0;
  private dist = new Int32Array(0);
  private parentOf = new Int32Array(0);
  private edgeOf = new Int32Array(0);
  private positionOf = new Int32Array(0);

  get size(): { cis: number; relationships: number } {
    return { cis: this.codes.length, relationships: this.src.length };
  }

  /** Whether the CI with this Neo4j id is in the graph. */
  knows(nid: number): boolean {
    return this.byNeoId.has(nid);
  }

  upsertNode(row: NodeRow): void {
    const nid = num(row.nid, -1);
    const code = String(row.code);
    let n = this.byNeoId.get(nid);
    if (n === undefined) {
      n = this.codes.length;
      this.byNeoId.set(nid, n);
      this.elementIds.push(String(row.eid));
      this.ids.push(String(row.id));
      this.codes.push(code);
      this.classOf.push(this.classes.of(String(row.class)));
      this.lifecycleOf.push(this.lifecycles.of(String(row.lifecycle)));
      this.created.push(num(row.createdAt, NaN));
      this.retired.push(num(row.retiredAt, Infinity));
      this.names.push(String(row.name));
      this.ownerOf.push(this.ownerIndex(row.owner));
    } else {
      if (this.codes[n] !== code) {
        this.byCode.delete(this.codes[n]);
        this.codes[n] = code;
        if (n < this.codeRank.length) this.codeRank[n] = -1;
      }
      this.lifecycleOf.data[n] = this.lifecycles.of(String(row.lifecycle));
      this.retired.data[n] = num(row.retiredAt, Infinity);
      this.names[n] = String(row.name);
      this.ownerOf.data[n] = this.ownerIndex(row.owner);
    }
    if (row.importance != null || row.internetFacing != null || row.branchScope != null) {
      this.facts.set(n, {
        importance: str(row.importance),
        internetFacing: row.internetFacing === true,
        branchScope: str(row.branchScope),
      });
    } else this.facts.delete(n);
    this.byCode.set(code, n);
  }

  private ownerIndex(owner: unknown): number {
    return owner === null || owner === undefined ? -1 : this.owners.of(String(owner));
  }

  /** The code of the CI that owns this one (a team), or null. */
  owner(node: NodeIndex): string | null {
    const o = this.ownerOf.data[node];
    return o < 0 ? null : this.owners.list[o];
  }

  /** Importance, internet exposure and branch scope, for the CIs (business systems) that carry them. */
  systemFacts(node: NodeIndex): SystemFacts | null {
    return this.facts.get(node) ?? null;
  }

  /** The other end of an edge seen from `node`. */
  otherEnd(edge: number, node: NodeIndex): NodeIndex {
    return this.src.data[edge] === node ? this.dst.data[edge] : this.src.data[edge];
  }

  /** Whether the relationship has begun and not ended, now. */
  edgeLiveNow(edge: number): boolean {
    const since = this.since.data[edge];
    return since === since && this.until.data[edge] === Infinity;
  }

  addEdge(row: EdgeRow): number | null {
    const s = this.byNeoId.get(num(row.src, -1));
    const d = this.byNeoId.get(num(row.dst, -1));
    if (s === undefined || d === undefined) return null;
    this.src.push(s);
    this.dst.push(d);
    this.typeOf.push(this.types.of(String(row.type)));
    this.since.push(num(row.since, NaN));
    return this.until.push(num(row.until, Infinity));
  }

  /** A relationship is known by its ends, type and start: ending it updates `until`; a new one joins the adjacency. */
  upsertEdge(row: EdgeRow): void {
    const s = this.byNeoId.get(num(row.src, -1));
    const d = this.byNeoId.get(num(row.dst, -1));
    if (s === undefined || d === undefined) return;
    const type = this.types.of(String(row.type));
    const since = num(row.since, NaN);
    let found = -1;
    this.eachEdge(s, true, (e) => {
      if (this.dst.data[e] === d && this.typeOf.data[e] === type && Object.is(this.since.data[e], since)) found = e;
    });
    if (found >= 0) {
      this.until.data[found] = num(row.until, Infinity);
      return;
    }
    const e = this.addEdge(row)!;
    for (const [map, node] of [
      [this.outExtra, s],
      [this.inExtra, d],
    ] as const) {
      const list = map.get(node);
      if (list) list.push(e);
      else map.set(node, [e]);
    }
  }

  /** Builds the compressed adjacency and the code ranks from the loaded arrays. */
  build(): void {
    const n = this.codes.length;
    const m = this.src.length;
    const outDeg = new Int32Array(n + 1);
    const inDeg = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) {
      outDeg[this.src.data[e] + 1]++;
      inDeg[this.dst.data[e] + 1]++;
    }
    for (let i = 0; i < n; i++) {
      outDeg[i + 1] += outDeg[i];
      inDeg[i + 1] += inDeg[i];
    }
    this.outStart = outDeg.slice();
    this.inStart = inDeg.slice();
    this.outEdges = new Int32Array(m);
    this.inEdges = new Int32Array(m);
    for (let e = 0; e < m; e++) {
      this.outEdges[outDeg[this.src.data[e]]++] = e;
      this.inEdges[inDeg[this.dst.data[e]]++] = e;
    }
    this.builtNodes = n;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
      this.codes[a] < this.codes[b] ? -1 : this.codes[a] > this.codes[b] ? 1 : 0,
    );
    this.codeRank = new Int32Array(n);
    this.nodeAtRank = Int32Array.from(order);
    order.forEach((node, rank) => (this.codeRank[node] = rank));
  }

  /** Every relationship of the CI, outgoing (`out`) or incoming, by edge number. */
  eachEdge(node: NodeIndex, out: boolean, visit: (edge: number) => void): void {
    if (node < this.builtNodes) {
      const start = out ? this.outStart : this.inStart;
      const edges = out ? this.outEdges : this.inEdges;
      for (let i = start[node]; i < start[node + 1]; i++) visit(edges[i]);
    }
    for (const e of (out ? this.outExtra : this.inExtra).get(node) ?? []) visit(e);
  }

  /** The node of a code, or undefined. */
  nodeOf(code: string): NodeIndex | undefined {
    return this.byCode.get(code);
  }

  className(node: NodeIndex): string {
    return this.classes.list[this.classOf.data[node]];
  }

  lifecycle(node: NodeIndex): string {
    return this.lifecycles.list[this.lifecycleOf.data[node]];
  }

  /** When the CI was created, epoch ms. */
  createdAt(node: NodeIndex): number {
    return this.created.data[node];
  }

  /** Whether the CI existed and was not retired at `at` (now when null). */
  live(node: NodeIndex, at: number | null): boolean {
    const retired = this.retired.data[node];
    return at === null ? retired === Infinity : this.created.data[node] <= at && retired > at;
  }

  edgeType(edge: number): string {
    return this.types.list[this.typeOf.data[edge]];
  }

  /** Whether the edge points from `from` to the other end. */
  edgeFrom(edge: number, from: NodeIndex): boolean {
    return this.src.data[edge] === from;
  }

  /**
   * A bounded breadth-first search from the live seeds along live relationships to live CIs, each CI
   * visited once at its shortest distance. Synchronous: nothing else touches the scratch arrays meanwhile.
   */
  walk(seeds: readonly NodeIndex[], options: TopologyWalkOptions): TopologyWalk {
    const n = this.codes.length;
    if (this.mark.length < n) {
      const size = Math.ceil(n * 1.25) + 1024;
      this.mark = new Int32Array(size);
      this.dist = new Int32Array(size);
      this.parentOf = new Int32Array(size);
      this.edgeOf = new Int32Array(size);
      this.positionOf = new Int32Array(size);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    const { at, maxDepth } = options;
    const fwd = new Uint8Array(this.types.list.length);
    const bwd = new Uint8Array(this.types.list.length);
    for (const t of options.forward) if (this.types.find(t) !== undefined) fwd[this.types.find(t)!] = 1;
    for (const t of options.backward) if (this.types.find(t) !== undefined) bwd[this.types.find(t)!] = 1;
    const stopAt = new Uint8Array(this.classes.list.length);
    for (const c of options.stopAt) if (this.classes.find(c) !== undefined) stopAt[this.classes.find(c)!] = 1;

    const order: number[] = [];
    let frontier: number[] = [];
    seeds.forEach((s, k) => {
      if (this.mark[s] === stamp) return;
      this.mark[s] = stamp;
      this.dist[s] = 0;
      this.parentOf[s] = -1;
      this.edgeOf[s] = -1;
      this.positionOf[s] = -1 - k;
      // A seed not live at `at` is named but does not propagate.
      if (this.live(s, at)) frontier.push(s);
    });
    for (let d = 1; d <= maxDepth && frontier.length; d++) {
      const level: number[] = [];
      for (const u of frontier) {
        if (u < this.builtNodes) {
          this.expand(u, this.outEdges, this.outStart[u], this.outStart[u + 1], fwd, this.dst.data, d, at, level);
          this.expand(u, this.inEdges, this.inStart[u], this.inStart[u + 1], bwd, this.src.data, d, at, level);
        }
        const out = this.outExtra.get(u);
        if (out) this.expand(u, out, 0, out.length, fwd, this.dst.data, d, at, level);
        const into = this.inExtra.get(u);
        if (into) this.expand(u, into, 0, into.length, bwd, this.src.data, d, at, level);
      }
      const sorted = this.sortedByCode(level);
      for (const v of sorted) {
        this.positionOf[v] = order.length;
        order.push(v);
      }
      frontier = sorted.filter((v) => !stopAt[this.classOf.data[v]]);
    }
    const { dist, parentOf, edgeOf, positionOf } = this;
    return {
      order,
      distance: (v) => dist[v],
      parent: (v) => parentOf[v],
      edge: (v) => edgeOf[v],
      position: (v) => positionOf[v],
    };
  }

  /**
   * Crosses edges[from..to) of node u whose type is in `follow`, to the other end (`other[e]`), when the
   * edge and that CI are live at `at` and the CI is not yet visited: it joins `level` at distance d.
   */
  private expand(
    u: NodeIndex,
    edges: Int32Array | number[],
    from: number,
    to: number,
    follow: Uint8Array,
    other: Int32Array,
    d: number,
    at: number | null,
    level: number[],
  ): void {
    const type = this.typeOf.data;
    const since = this.since.data;
    const until = this.until.data;
    const mark = this.mark;
    const stamp = this.stamp;
    for (let i = from; i < to; i++) {
      const e = edges[i];
      if (!follow[type[e]]) continue;
      const v = other[e];
      if (mark[v] === stamp) continue;
      // Live: begun (since is not NaN) and not ended now; or begun by `at` and not ended by then.
      if (at === null ? !(since[e] === since[e] && until[e] === Infinity) : !(since[e] <= at && until[e] > at))
        continue;
      if (!this.live(v, at)) continue;
      mark[v] = stamp;
      this.dist[v] = d;
      this.parentOf[v] = u;
      this.edgeOf[v] = e;
      level.push(v);
    }
  }

  /** Nodes in code order: by the precomputed ranks when all have one (a numeric sort), by the codes otherwise. */
  private sortedByCode(nodes: number[]): number[] {
    const rank = this.codeRank;
    const codes = this.codes;
    if (nodes.every((v) => v < rank.length && rank[v] >= 0)) {
      // A level holding a good part of the estate (a hub's): mark the ranks and read them in order, O(n).
      if (nodes.length > rank.length >>> 5) {
        if (this.rankSeen.length !== rank.length) this.rankSeen = new Uint8Array(rank.length);
        const seen = this.rankSeen;
        for (const v of nodes) seen[rank[v]] = 1;
        const sorted: number[] = [];
        for (let r = 0; r < seen.length; r++) {
          if (seen[r]) {
            seen[r] = 0;
            sorted.push(this.nodeAtRank[r]);
          }
        }
        return sorted;
      }
      const keys = Int32Array.from(nodes, (v) => rank[v]).sort();
      return Array.from(keys, (r) => this.nodeAtRank[r]);
    }
    return nodes.sort((a, b) => {
      const ra = a < rank.length ? rank[a] : -1;
      const rb = b < rank.length ? rank[b] : -1;
      if (ra >= 0 && rb >= 0) return ra - rb;
      return codes[a] < codes[b] ? -1 : codes[a] > codes[b] ? 1 : 0;
    });
  }
}

/**
 * The topology kept in step with the committed graph. `graph` is null until the first load finishes
 * (and while a reload after a very large delta runs): walks then go to the database instead.
 */
export class FailureTopology {
  private current: TopologyGraph | null = null;
  /** The operation-log seq the graph reflects. */
  private seq = 0;
  private loading: Promise<void> | null = null;
  private syncing: Promise<void> | null = null;
  /** Until then (performance.now()) walks need no head check: one was made within maxLagMs, no write since. */
  private freshUntil = 0;
  /** Bumped by every write this process commits: a head check that overlapped one proves nothing. */
  private writes = 0;

  constructor(
    private readonly executor: Executor,
    private readonly onError: (error: unknown) => void = () => {},
    /**
     * TOPOLOGY_MAX_LAG_MS: how long a head check stands for writes made through other processes (other
     * replicas, the CLI). Writes through this one are always seen by the next walk (`written`).
     */
    private readonly maxLagMs = 0,
  ) {}

  /** A write through this process has committed: the next walk checks the head, whatever the lag allows. */
  written(): void {
    this.writes++;
    this.freshUntil = 0;
  }

  get graph(): TopologyGraph | null {
    return this.current;
  }

  get status(): { loaded: boolean; seq: number; cis: number; relationships: number } {
    return { loaded: this.current !== null, seq: this.seq, ...(this.current?.size ?? { cis: 0, relationships: 0 }) };
  }

  /** Loads everything; concurrent callers share one load. Writes made meanwhile are caught up by the next sync. */
  load(model: CompiledModel): Promise<void> {
    this.loading ??= this.loadAll(model).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async loadAll(model: CompiledModel): Promise<void> {
    const graph = new TopologyGraph();
    // The head first: everything up to it is committed, so in what the scans below read.
    const seq = await this.headSeq();
    await this.executor.stream(
      QUERIES.nodes,
      {},
      (row) => graph.upsertNode(row as unknown as NodeRow),
      LOAD_TIMEOUT_MS,
    );
    const types = typeList(model);
    if (types) {
      const addEdge = (row: Record<string, unknown>) => void graph.addEdge(row as unknown as EdgeRow);
      await this.executor.stream(QUERIES.relationships(types), {}, addEdge, LOAD_TIMEOUT_MS);
    }
    graph.build();
    this.current = graph;
    this.seq = seq;
  }

  /**
   * Brings the graph up to the committed one: reads the log's head and re-reads what changed since the
   * last sync. Returns the graph to walk, or null when there is none loaded. With the caller's
   * transaction, the head is first read there, saving a transaction when nothing moved; what is re-read
   * is always read in a transaction of its own, so never a write the caller has not committed.
   */
  async sync(model: CompiledModel, tx?: Tx): Promise<TopologyGraph | null> {
    while (this.syncing) await this.syncing;
    if (!this.current) return null;
    const checkedAt = performance.now();
    if (checkedAt < this.freshUntil) return this.current;
    const writes = this.writes;
    if (!tx || headOf(await tx.run(QUERIES.head, { key: MAIN_CHAIN.key })) > this.seq) {
      const head = await this.headSeq();
      if (head > this.seq) {
        this.syncing = this.catchUp(this.current, model, this.seq, head).finally(() => {
          this.syncing = null;
        });
        await this.syncing;
      }
    }
    if (this.writes === writes && this.current) this.freshUntil = checkedAt + this.maxLagMs;
    return this.current;
  }

  private async catchUp(graph: TopologyGraph, model: CompiledModel, from: number, to: number): Promise<void> {
    const [delta] = await this.executor.query(QUERIES.touched, { from, to });
    const touched = (delta?.cis as number[] | undefined) ?? [];
    if (touched.length > MAX_DELTA_CIS) {
      // A bulk load: reading it CI by CI would hold every walk up; walk in the database until reloaded.
      this.current = null;
      this.load(model).catch(this.onError);
      return;
    }
    if (touched.length) {
      const types = typeList(model);
      const after = num(delta.oldest, 0) - SKEW_MS;
      const edges = types ? await this.executor.query(QUERIES.relationshipsOf(types), { nids: touched, after }) : [];
      const toRead = new Set<number>(touched);
      for (const e of edges) for (const n of [num(e.src, -1), num(e.dst, -1)]) if (!graph.knows(n)) toRead.add(n);
      for (const row of await this.executor.query(QUERIES.nodesById, { nids: [...toRead] })) {
        graph.upsertNode(row as unknown as NodeRow);
      }
      for (const row of edges) graph.upsertEdge(row as unknown as EdgeRow);
    }
    this.seq = Math.max(this.seq, to);
  }

  private async headSeq(): Promise<number> {
    return headOf(await this.executor.query(QUERIES.head, { key: MAIN_CHAIN.key }));
  }
}

const headOf = (rows: Record<string, unknown>[]): number => num(rows[0]?.seq, 0);

/** The model's relation types as a Cypher type alternation (allow-listed by relType); null when it has none. */
function typeList(model: CompiledModel): string | null {
  const names = [...model.relationTypes.keys()].map((n) => relType(model, n));
  return names.length ? names.join('|') : null;
}
