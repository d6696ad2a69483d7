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
import { ChangeApprovalService } from './changes/approval.service';
import { AuditService } from './audits/audit.service';
import { DEFAULT_AUDIT_CAUSES } from './audits/audit.types';
import { PolicyStore } from './platform/neo4j/policy-store';
import { DEFAULT_INCIDENT_POLICY, validateIncidentPolicy, type IncidentPolicy } from './incidents/incident.rules';
import { RootCauseService } from './incidents/root-cause.service';
import { IncidentService } from './incidents/incident.service';
import { ProblemService } from './incidents/problem.service';
import { BaselineService } from './baselines/baseline.service';
import { FailureTopology } from './cis/topology';
import { Propagation } from './cis/propagation';

export interface Services {
  executor: Executor;
  /** The failure topology in memory; null when TOPOLOGY_IN_MEMORY is off (walks then run in Neo4j). */
  topology: FailureTopology | null;
  /** Blast radius and root-cause walks: over the topology when loaded, in Neo4j otherwise. */
  propagation: Propagation;
  oplog: OpLogService;
  model: ModelService;
  tickets: TicketService;
  cis: CIService;
  imports: ImportService;
  discovery: DiscoveryService;
  impact: ImpactService;
  changePolicy: ChangePolicyService;
  assessments: AssessmentService;
  incidentPolicy: PolicyStore<IncidentPolicy>;
  rootCauses: RootCauseService;
  incidents: IncidentService;
  problems: ProblemService;
  baselines: BaselineService;
  audits: AuditService;
}

export interface ServiceOptions {
  /** Hours without a report after which a discovered CI is flagged stale. */
  discoveryStaleHours: number;
  /** The causes of a difference an auditor may record (AUDIT_CAUSES); the defaults when absent. */
  auditCauses?: string[];
  /** Keep the failure topology in memory for walks (TOPOLOGY_IN_MEMORY); default true. */
  topology?: boolean;
  /**
   * TOPOLOGY_MAX_LAG_MS: how long a check of the log's head stands for writes made through other processes;
   * 0 (the default here) checks before every walk. Writes through this process are seen at once either way.
   */
  topologyMaxLagMs?: number;
  /** Where a failed background reload of the topology is reported. */
  onTopologyError?: (error: unknown) => void;
}

export function createServices(executor: Executor, options: ServiceOptions = { discoveryStaleHours: 72 }): Services {
  const oplog = new OpLogService();
  const model = new ModelService(executor, oplog);
  const tickets = new TicketService(executor, oplog);
  const cis = new CIService(executor, model, oplog, tickets);
  const imports = new ImportService(executor, cis, tickets, oplog);
  const discovery = new DiscoveryService(executor, cis, oplog, options.discoveryStaleHours * 3_600_000);
  const topology =
    options.topology === false
      ? null
      : new FailureTopology(executor, options.onTopologyError, options.topologyMaxLagMs ?? 0);
  if (topology) executor.afterCommit.push(() => topology.written());
  const propagation = new Propagation(executor, topology);
  const impact = new ImpactService(executor, model, tickets, propagation);
  const changePolicy = new ChangePolicyService(executor, model, oplog);
  const assessments = new AssessmentService(executor, model, tickets, impact, changePolicy, oplog, propagation);
  tickets.changeGate = new ChangeApprovalService(changePolicy);
  const baselines = new BaselineService(executor, model, oplog, tickets);
  tickets.onTransition.push((tx, ctx, before, after) => baselines.onTicketTransition(tx, ctx, before, after));
  const incidentPolicy = new PolicyStore<IncidentPolicy>(executor, oplog, {
    label: 'IncidentPolicy',
    action: 'INCIDENT_POLICY',
    defaults: DEFAULT_INCIDENT_POLICY,
    validate: validateIncidentPolicy,
  });
  const rootCauses = new RootCauseService(executor, model, propagation, oplog);
  const incidents = new IncidentService(executor, model, oplog, incidentPolicy, rootCauses, propagation);
  const problems = new ProblemService(executor, oplog);
  const audits = new AuditService(executor, model, oplog, tickets, cis, propagation, {
    causes: options.auditCauses ?? DEFAULT_AUDIT_CAUSES,
  });
  // A MAJOR or worse incident opens its scenario audit (§7.1.4.3 b 重大事件).
  incidents.onMajorIncident(audits);
  return {
    executor,
    topology,
    propagation,
    oplog,
    model,
    tickets,
    cis,
    imports,
    discovery,
    impact,
    changePolicy,
    assessments,
    baselines,
    incidentPolicy,
    rootCauses,
    incidents,
    problems,
    audits,
  };
}
