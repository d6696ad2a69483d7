// Wiring: one executor, one service per room. Resolvers reach the services through the context.

import type { Executor } from './platform/neo4j/executor';
import { OpLogService } from './oplog/oplog.service';
import { ModelService } from './model/model.service';
import { CIService } from './cis/ci.service';
import { TicketService } from './tickets/ticket.service';
import { ImportService } from './imports/import.service';
import { DiscoveryService } from './discovery/discovery.service';
import { ImpactService } from './changes/impact.service';
import { ChangePolicyService } from './changes/policy.service';
import { AssessmentService } from './changes/assessment.service';

export interface Services {
  executor: Executor;
  oplog: OpLogService;
  model: ModelService;
  tickets: TicketService;
  cis: CIService;
  imports: ImportService;
  discovery: DiscoveryService;
  impact: ImpactService;
  changePolicy: ChangePolicyService;
  assessments: AssessmentService;
}

export interface ServiceOptions {
  /** Hours without a report after which a discovered CI is flagged stale. */
  discoveryStaleHours: number;
}

export function createServices(executor: Executor, options: ServiceOptions = { discoveryStaleHours: 72 }): Services {
  const oplog = new OpLogService();
  const model = new ModelService(executor, oplog);
  const tickets = new TicketService(executor, oplog);
  const cis = new CIService(executor, model, oplog, tickets);
  const imports = new ImportService(executor, cis, tickets, oplog);
  const discovery = new DiscoveryService(executor, cis, oplog, options.discoveryStaleHours * 3_600_000);
  const impact = new ImpactService(executor, model, tickets);
  const changePolicy = new ChangePolicyService(executor, model, oplog);
  const assessments = new AssessmentService(executor, model, tickets, impact, changePolicy, oplog);
  return { executor, oplog, model, tickets, cis, imports, discovery, impact, changePolicy, assessments };
}
