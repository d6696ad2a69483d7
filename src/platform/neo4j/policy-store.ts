// A versioned policy document: rules that operations adjust as data (change grading and calendar,
// incident levels). Each version is kept as its own node; the newest is in force; version 0 is the
// built-in default, in force until someone saves one. Saving names the version it replaces.

import { ConflictError } from '../errors';
import type { Executor, Tx } from './executor';
import type { OpLogService, WriteContext } from '../../oplog/oplog.service';

export interface PolicyVersion<T> {
  version: number;
  policy: T;
  savedAt: number | null;
  savedBy: string | null;
}

export interface PolicyKind<T> {
  /** The node label, a constant of the code (never a request string). */
  label: 'ChangePolicy' | 'IncidentPolicy';
  /** The operation-log action of a save. */
  action: string;
  defaults: T;
  /** Checks a whole document; throws a ValidationError naming the bad field. */
  validate(input: unknown): Promise<T> | T;
}

export class PolicyStore<T> {
  private cached: { value: PolicyVersion<T>; readAt: number } | null = null;

  constructor(
    private readonly executor: Executor,
    private readonly oplog: OpLogService,
    private readonly kind: PolicyKind<T>,
    /** How long a read may trust the policy it last read (every assessment and lookup asks for it). */
    private readonly cacheMs = 1000,
  ) {}

  async current(): Promise<PolicyVersion<T>> {
    if (this.cached && Date.now() - this.cached.readAt < this.cacheMs) return this.cached.value;
    const value = await this.executor.read((tx) => this.inTransaction(tx));
    this.cached = { value, readAt: Date.now() };
    return value;
  }

  async inTransaction(tx: Tx): Promise<PolicyVersion<T>> {
    const [row] = await tx.run(
      `MATCH (p:${this.kind.label})
       RETURN p.version AS version, p.doc AS doc, p.savedAt AS savedAt, p.savedBy AS savedBy
       ORDER BY p.version DESC LIMIT 1`,
    );
    if (!row) return { version: 0, policy: this.kind.defaults, savedAt: null, savedBy: null };
    return {
      version: row.version as number,
      policy: JSON.parse(row.doc as string) as T,
      savedAt: row.savedAt as number,
      savedBy: row.savedBy as string,
    };
  }

  /** Replaces the policy; `expectedVersion` guards against overwriting someone else's edit. */
  async save(
    ctx: WriteContext,
    input: unknown,
    expectedVersion: number,
    comment: string | null,
  ): Promise<PolicyVersion<T>> {
    const policy = await this.kind.validate(input);
    const saved = await this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const before = await this.inTransaction(tx);
      if (before.version !== expectedVersion) {
        throw new ConflictError(
          `the policy is at version ${before.version}, not ${expectedVersion}: reload it and edit again`,
          { field: 'expectedVersion' },
        );
      }
      const version = before.version + 1;
      await tx.run(
        `CREATE (:${this.kind.label} {version: $version, doc: $doc, savedAt: $at, savedBy: $actor, comment: $comment})`,
        { version, doc: JSON.stringify(policy), at: ctx.at, actor: ctx.actor, comment },
      );
      await this.oplog.record(tx, ctx, [
        {
          action: this.kind.action,
          targetType: 'MODEL',
          targetId: `${this.kind.label}:${version}`,
          ciIds: [],
          before: before.policy,
          after: policy,
        },
      ]);
      return { version, policy, savedAt: ctx.at, savedBy: ctx.actor };
    });
    this.cached = { value: saved, readAt: Date.now() };
    return saved;
  }
}
