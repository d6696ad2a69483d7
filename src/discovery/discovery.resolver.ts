// GraphQL in and out for discovery tools (the DISCOVERY role): report what was found.

import { Length } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, Field, InputType, Int, Mutation, ObjectType, Resolver } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import type { RequestContext } from '../platform/server/context';
import { UnauthenticatedError, ValidationError } from '../platform/errors';

@InputType('DiscoveredItemInput')
export class DiscoveredItemInput {
  @Field(() => String, { name: 'class' })
  @Length(1, 64)
  class!: string;

  @Field(() => GraphQLJSONObject, { description: 'Attribute values found, including the identification keys' })
  attributes!: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'The owner the tool sees; compared, never written' })
  owner?: string;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('Drift', { description: 'A human-owned attribute whose discovered value differs: reported, not written' })
export class DriftType {
  @Field(() => String)
  attribute!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: '{ value }' })
  recorded!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: '{ value }' })
  discovered!: Record<string, unknown> | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('DiscoveryItemReport')
export class DiscoveryItemReportType {
  @Field(() => Int)
  index!: number;

  @Field(() => String, { nullable: true })
  code!: string | null;

  @Field(() => String, { description: 'UPDATED, UNCHANGED, UNMATCHED (not registered) or REJECTED' })
  outcome!: string;

  @Field(() => [String])
  updated!: string[];

  @Field(() => [DriftType])
  drift!: DriftType[];

  @Field(() => String, { nullable: true })
  reason!: string | null;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('DiscoveryReport')
export class DiscoveryReportType {
  @Field(() => String)
  source!: string;

  @Field(() => [DiscoveryItemReportType])
  items!: DiscoveryItemReportType[];

  @Field(() => Int, { description: 'CIs of this source flagged stale by this run' })
  markedStale!: number;
}

@Resolver()
export class DiscoveryResolver {
  @Authorized(Permission.DISCOVER)
  @Mutation(() => DiscoveryReportType, {
    description:
      'Reconciles discovered CIs by identification keys: discovery-owned attributes are written without a ticket, differing human-owned ones are reported as drift',
  })
  async reportDiscovery(
    @Ctx() ctx: RequestContext,
    @Arg('source', () => String) source: string,
    @Arg('items', () => [DiscoveredItemInput]) items: DiscoveredItemInput[],
  ): Promise<DiscoveryReportType> {
    if (!ctx.actor) throw new UnauthenticatedError();
    if (items.length > 10_000) throw new ValidationError('at most 10000 items per report', { field: 'items' });
    const report = await ctx.services.discovery.report(ctx.actor.id, source, items);
    return {
      ...report,
      items: report.items.map((i) => ({
        ...i,
        drift: i.drift.map((d) => ({
          attribute: d.attribute,
          recorded: { value: d.recorded },
          discovered: { value: d.discovered },
        })),
      })),
    };
  }
}
