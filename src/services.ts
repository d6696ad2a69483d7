// Wiring: one executor, one service per room. Resolvers reach the services through the context.

import type { Executor } from './platform/neo4j/executor';
import { OpLogService } from './oplog/oplog.service';
import { ModelService } from './model/model.service';
import { CIService } from './cis/ci.service';

export interface Services {
  executor: Executor;
  oplog: OpLogService;
  model: ModelService;
  cis: CIService;
}

export function createServices(executor: Executor): Services {
  const oplog = new OpLogService();
  const model = new ModelService(executor, oplog);
  const cis = new CIService(executor, model, oplog);
  return { executor, oplog, model, cis };
}
