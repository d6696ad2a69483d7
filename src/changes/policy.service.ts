// The stored change policy: versioned, each version kept, the newest in force. Version 0 is the
// standard's defaults, in force until the configuration manager saves one.

import { ConflictError } from '../platform/errors';
import type { Executor, Tx } from '../platform/neo4j/executor';
import type { ModelService } from '../model/model.service';
import type { OpLogService, WriteContext } from '../oplog/oplog.service';
import { CHANGES_QUERIES } from './changes.repository';
import { DEFAULT_CHANGE_POLICY, validateChangePolicy, type ChangePolicy } from './policy';

export interface PolicyVersion {
  version: number;
  policy: ChangePolicy;
  savedAt: number | null;
  savedBy: string | null;
}

export class ChangePolicyService {
  constructor(
    private readonly executor: Executor,
    private readonly model: ModelService,
    private readonly oplog: OpLogService,
  ) {}

  current(): Promise<PolicyVersion> {
    return this.executor.read((tx) => this.inTransaction(tx));
  }

  async inTransaction(tx: Tx): Promise<PolicyVersion> {
    const [row] = await tx.run(CHANGES_QUERIES.policyCurrent);
    if (!row) return { version: 0, policy: DEFAULT_CHANGE_POLICY, savedAt: null, savedBy: null };
    return {
      version: row.version as number,
      policy: JSON.parse(row.doc as string) as ChangePolicy,
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
  ): Promise<PolicyVersion> {
    const policy = validateChangePolicy(input, await this.model.current());
    return this.executor.write(async (tx) => {
      await this.oplog.lock(tx, ctx.at);
      const before = await this.inTransaction(tx);
      if (before.version !== expectedVersion) {
        throw new ConflictError(
          `the change policy is at version ${before.version}, not ${expectedVersion}: reload it and edit again`,
          { field: 'expectedVersion' },
        );
      }
      const version = before.version + 1;
      const doc = JSON.stringify(policy);
      await tx.run(CHANGES_QUERIES.policySave, { version, doc, at: ctx.at, actor: ctx.actor, comment });
      await this.oplog.record(tx, ctx, [
        {
          action: 'CHANGE_POLICY',
          targetType: 'MODEL',
          targetId: `change-policy:${version}`,
          ciIds: [],
          before: before.policy,
          after: policy,
        },
      ]);
      return { version, policy, savedAt: ctx.at, savedBy: ctx.actor };
    });
  }
}
