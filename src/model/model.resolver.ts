// GraphQL in and out for the configuration model: anyone signed in reads it, only the
// configuration manager (配置经理) edits it.

import { Arg, Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { LimitArgs } from '../platform/graphql/page';
import { Permission } from '../platform/auth/roles';
import { writeContextOf, type RequestContext } from '../platform/server/context';
import { NotFoundError } from '../platform/errors';
import type { CompiledModel } from './compiled-model';
import type { ClassDef, LifecycleDef, RelationTypeDef } from './model.types';
import {
  CIClassType,
  ConfigModelType,
  LifecycleType,
  ModelVersionInfoType,
  RelationTypeType,
  ResolvedClassType,
} from './model.graphql';

function modelView(model: CompiledModel): ConfigModelType {
  return { version: model.version, ...(model.data as unknown as Omit<ConfigModelType, 'version'>) };
}

/** GraphQL input objects carry undefined for absent optional fields; the stored model leaves them out. */
function plain<T>(input: object): T {
  return JSON.parse(JSON.stringify(input)) as T;
}

@Resolver()
export class ModelResolver {
  @Authorized(Permission.READ_CMDB)
  @Query(() => ConfigModelType, { description: 'The configuration model 配置模型, current or a past version' })
  async configModel(
    @Ctx() ctx: RequestContext,
    @Arg('version', () => Int, { nullable: true }) version?: number,
  ): Promise<ConfigModelType> {
    const model = version ? await ctx.services.model.version(version) : await ctx.services.model.current();
    return modelView(model);
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => ResolvedClassType, { description: 'A class with its inherited attributes, keys and baselines' })
  async ciClass(@Ctx() ctx: RequestContext, @Arg('name', () => String) name: string): Promise<ResolvedClassType> {
    const model = await ctx.services.model.current();
    const cls = model.getClass(name);
    if (!cls) throw new NotFoundError(`unknown class ${JSON.stringify(name)}`, { field: 'name' });
    return {
      name: cls.name,
      definition: cls.def as unknown as CIClassType,
      ancestors: cls.ancestors,
      selfAndDescendants: cls.selfAndDescendants,
      attributes: [...cls.attributes.values()] as ResolvedClassType['attributes'],
      identificationKeys: cls.identificationKeys,
      codePattern: cls.codePattern?.source,
      lifecycleBaselines: [...cls.baselines.entries()].map(([state, b]) => ({ state, ...b })),
    };
  }

  @Authorized(Permission.READ_CMDB)
  @Query(() => [ModelVersionInfoType], { description: 'Versions of the model, newest first' })
  async modelVersions(
    @Ctx() ctx: RequestContext,
    @Args(() => LimitArgs) page: LimitArgs,
  ): Promise<ModelVersionInfoType[]> {
    const rows = await ctx.services.model.versions(page.first);
    return rows.map((r) => ({
      version: r.version as number,
      createdAt: new Date(r.createdAt as number),
      actor: r.actor as string,
      comment: (r.comment as string | null) ?? undefined,
      changes: (r.changes as string[]) ?? [],
    }));
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ConfigModelType, { description: 'Adds or replaces a class; refused if existing CIs would break' })
  async upsertClass(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => CIClassType) input: CIClassType,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ConfigModelType> {
    return modelView(await ctx.services.model.upsertClass(writeContextOf(ctx), plain<ClassDef>(input), comment));
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ConfigModelType, { description: 'Removes a class; refused while it has CIs or subclasses' })
  async removeClass(
    @Ctx() ctx: RequestContext,
    @Arg('name', () => String) name: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ConfigModelType> {
    return modelView(await ctx.services.model.removeClass(writeContextOf(ctx), name, comment));
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ConfigModelType, {
    description: 'Adds or replaces a relationship type; refused if existing relationships would break',
  })
  async upsertRelationType(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RelationTypeType) input: RelationTypeType,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ConfigModelType> {
    return modelView(
      await ctx.services.model.upsertRelationType(writeContextOf(ctx), plain<RelationTypeDef>(input), comment),
    );
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ConfigModelType, { description: 'Removes a relationship type; refused while relationships use it' })
  async removeRelationType(
    @Ctx() ctx: RequestContext,
    @Arg('name', () => String) name: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ConfigModelType> {
    return modelView(await ctx.services.model.removeRelationType(writeContextOf(ctx), name, comment));
  }

  @Authorized(Permission.EDIT_MODEL)
  @Mutation(() => ConfigModelType, { description: 'Replaces the lifecycle states and transitions' })
  async setLifecycle(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => LifecycleType) input: LifecycleType,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
  ): Promise<ConfigModelType> {
    return modelView(await ctx.services.model.setLifecycle(writeContextOf(ctx), plain<LifecycleDef>(input), comment));
  }
}
