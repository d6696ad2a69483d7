// What every resolver receives: who is asking (from the verified bearer token), the request id
// that ties logs and masked errors together, and the services.

import type { Role } from '../auth/roles';
import type { Services } from '../../services';
import type { WriteContext } from '../../oplog/oplog.service';
import { UnauthenticatedError } from '../errors';

export interface Actor {
  /** The token's subject: a person's id or a tool's name. Recorded in history as the actor. */
  id: string;
  name?: string;
  roles: Role[];
}

export interface RequestContext {
  actor: Actor | null;
  requestId: string;
  services: Services;
}

/** The authority a write runs under; the actor always comes from the verified token. */
export function writeContextOf(ctx: RequestContext, ticket: string | null = null, source = 'manual'): WriteContext {
  if (!ctx.actor) throw new UnauthenticatedError();
  return { actor: ctx.actor.id, at: Date.now(), source, ticket, roles: ctx.actor.roles };
}
