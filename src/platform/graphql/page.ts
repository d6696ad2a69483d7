// Cursor pagination in GraphQL: `first`/`after` arguments capped by class-validator, and the
// connection's page info. Every list in the API uses these.

import { Max, Min } from 'class-validator';
import { Authorized, ArgsType, Field, Int, ObjectType } from 'type-graphql';
import { Permission } from '../auth/roles';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination';

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, at most ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  after?: string;
}

/** For short lists that are read whole, newest first: only a cap. */
@ArgsType()
export class LimitArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `How many, at most ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;
}

@Authorized(Permission.READ_CMDB)
@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
