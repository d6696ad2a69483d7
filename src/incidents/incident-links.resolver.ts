// What a ticket or a CI page shows of incidents and problems (§7.1.4.1 e): the incidents a change is
// linked to and the problems behind it; a CI's incidents (as a symptom or an affected system) and the
// problems rooted in it.

import { Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Permission } from '../platform/auth/roles';
import type { RequestContext } from '../platform/server/context';
import { TicketType } from '../tickets/ticket.graphql';
import { CIType } from '../cis/ci.graphql';
import { IncidentType, ProblemType } from './incident.graphql';
import { incidentView, problemView } from './incident.resolver';

@Resolver(() => TicketType)
export class TicketIncidentsResolver {
  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [IncidentType], {
    description: 'Recorded incidents linked to the ticket, newest first (at most 100)',
  })
  async incidents(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<IncidentType[]> {
    return (await ctx.services.incidents.related({ ticketId: ticket.id })).map(incidentView);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [ProblemType], { description: 'Problems linked to the ticket (at most 100)' })
  async problems(@Root() ticket: TicketType, @Ctx() ctx: RequestContext): Promise<ProblemType[]> {
    return (await ctx.services.problems.related({ ticketId: ticket.id })).map(problemView);
  }
}

@Resolver(() => CIType)
export class CIIncidentsResolver {
  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [IncidentType], {
    description:
      'Incidents with this CI among their symptoms or affected systems, newest first (at most 100, §7.1.4.1 e)',
  })
  async incidents(@Root() ci: CIType, @Ctx() ctx: RequestContext): Promise<IncidentType[]> {
    return (await ctx.services.incidents.related({ ciId: ci.id })).map(incidentView);
  }

  @Authorized(Permission.READ_CMDB)
  @FieldResolver(() => [ProblemType], {
    description: 'Problems rooted in this CI or behind incidents it was a symptom of (at most 100, §7.1.4.1 e)',
  })
  async problems(@Root() ci: CIType, @Ctx() ctx: RequestContext): Promise<ProblemType[]> {
    return (await ctx.services.problems.related({ ciId: ci.id })).map(problemView);
  }
}
