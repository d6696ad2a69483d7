// The stored change policy (risk rules, lead times, operations calendar): versioned, the newest in
// force, the standard's defaults (version 0) until the configuration manager saves one.

import type { Executor } from '../platform/neo4j/executor';
import { PolicyStore, type PolicyVersion } from '../platform/neo4j/policy-store';
import type { ModelService } from '../model/model.service';
import type { OpLogService } from '../oplog/oplog.service';
import { DEFAULT_CHANGE_POLICY, validateChangePolicy, type ChangePolicy } from './policy';

export type ChangePolicyVersion = PolicyVersion<ChangePolicy>;

export class ChangePolicyService extends PolicyStore<ChangePolicy> {
  constructor(executor: Executor, model: ModelService, oplog: OpLogService) {
    super(executor, oplog, {
      label: 'ChangePolicy',
      action: 'CHANGE_POLICY',
      defaults: DEFAULT_CHANGE_POLICY,
      validate: async (input) => validateChangePolicy(input, await model.current()),
    });
  }
}
