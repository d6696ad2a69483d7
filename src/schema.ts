// The GraphQL schema: every resolver of every room, the deny-by-default auth checker, and
// class-validator on all input. `schema/schema.graphql` is this schema printed.

import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './platform/auth/auth-checker';
import { ModelResolver } from './model/model.resolver';
import { CIResolver } from './cis/ci.resolver';
import { OpLogResolver } from './oplog/oplog.resolver';
import { TicketResolver } from './tickets/ticket.resolver';
import { ImportResolver } from './imports/import.resolver';
import { DiscoveryResolver } from './discovery/discovery.resolver';
import { ChangesResolver } from './changes/changes.resolver';
import { AuditResolver } from './audits/audit.resolver';
import { IncidentResolver, ProblemResolver } from './incidents/incident.resolver';
import { CIIncidentsResolver, TicketIncidentsResolver } from './incidents/incident-links.resolver';
import { BaselineComparisonResolver, BaselineResolver, BaselineTicketResolver } from './baselines/baseline.resolver';

export const RESOLVERS = [
  ModelResolver,
  CIResolver,
  TicketResolver,
  ChangesResolver,
  IncidentResolver,
  ProblemResolver,
  TicketIncidentsResolver,
  CIIncidentsResolver,
  BaselineResolver,
  BaselineComparisonResolver,
  BaselineTicketResolver,
  ImportResolver,
  DiscoveryResolver,
  OpLogResolver,
  AuditResolver,
] as const;

let built: Promise<GraphQLSchema> | null = null;

/** Built once per process: type-graphql's metadata is global, and building is not free. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...RESOLVERS],
    authChecker,
    authMode: 'error',
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  return built;
}

export async function printAppSchema(): Promise<string> {
  return `# Generated from the type-graphql resolvers by \`npm run schema:emit\`; a test fails when it is stale.\n\n${printSchema(await buildAppSchema())}\n`;
}
