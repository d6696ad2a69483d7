// Authorization: the type-graphql auth checker behind every @Authorized field (permissions, never
// roles, per the matrix in roles.ts), and the metadata walk that proves no field lacks a rule.

import type { GraphQLSchema } from 'graphql';
import { isIntrospectionType, isObjectType } from 'graphql';
import { getMetadataStorage, type AuthCheckerFn } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { RequestContext } from '../server/context';
import { Permission, rolesAllow } from './roles';

const KNOWN_PERMISSIONS = new Set<string>(Object.values(Permission));

/**
 * `@Authorized()` admits any authenticated actor; `@Authorized(A, B)` admits an actor holding A or
 * B. Throwing (rather than returning false) lets the error carry our codes and name the field.
 */
export const authChecker: AuthCheckerFn<RequestContext, Permission> = ({ context, info }, permissions) => {
  const actor = context?.actor;
  if (!actor) throw new UnauthenticatedError();
  if (permissions.length === 0) return true;
  const field = `${info.parentType.name}.${info.fieldName}`;
  // A misspelt permission must not silently become "nobody" without a trace, nor "everybody".
  const unknown = permissions.filter((p) => !KNOWN_PERMISSIONS.has(p));
  if (unknown.length > 0) {
    throw new ForbiddenError(`${field} names unknown permission(s) ${unknown.join(', ')}`, {
      schemaField: field,
      requiredPermissions: [...permissions],
    });
  }
  if (permissions.some((p) => rolesAllow(actor.roles, p))) return true;
  throw new ForbiddenError(`${field} requires permission ${permissions.join(' or ')}`, {
    schemaField: field,
    requiredPermissions: [...permissions],
  });
};

// type-graphql keys its metadata by class constructor.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Target = Function;

interface OutputField {
  /** The class that declared the field: type-graphql takes its auth rule from there. */
  declaredOn: Target;
  name: string;
  schemaName: string;
  simple: boolean;
}

/**
 * Every GraphQL field that no @Authorized covers, as `Type.field`. Mirrors how type-graphql
 * 2.0.0-rc.4 resolves roles (MetadataStorage.findFieldRoles): a rule on the field itself, else on
 * the class that declared the field (object type, interface or resolver class). For an object
 * field backed by a @FieldResolver, a rule on either side counts, as type-graphql copies it across.
 * A `simple` resolver is reported even with a rule, since type-graphql then runs no middleware and
 * the rule would be ignored. Fields declared on a superclass take that superclass's rule, not the
 * subclass's class-level rule: that is what runs.
 *
 * Without `schema`, walks everything registered in the metadata storage; with it, only what the
 * schema exposes, and any schema field unknown to the metadata counts as uncovered.
 */
export function fieldsWithoutAuthRule(schema?: GraphQLSchema): string[] {
  const storage = getMetadataStorage();
  const fieldRules = new Map<Target, Set<string>>();
  for (const rule of storage.authorizedFields) {
    const names = fieldRules.get(rule.target) ?? new Set<string>();
    names.add(rule.fieldName);
    fieldRules.set(rule.target, names);
  }
  const classRules = new Set<Target>(storage.authorizedResolver.map((rule) => rule.target));
  const hasRule = (target: Target, name: string): boolean =>
    fieldRules.get(target)?.has(name) === true || classRules.has(target);

  // Type name -> field schema name -> covered?
  const coverage = new Map<string, Map<string, boolean>>();
  const record = (typeName: string, field: string, covered: boolean): void => {
    const fields = coverage.get(typeName) ?? new Map<string, boolean>();
    fields.set(field, (fields.get(field) ?? false) || covered);
    coverage.set(typeName, fields);
  };

  const roots: Array<[string, typeof storage.queries]> = [
    ['Query', storage.queries],
    ['Mutation', storage.mutations],
    ['Subscription', storage.subscriptions],
  ];
  for (const [typeName, handlers] of roots) {
    for (const handler of handlers) record(typeName, handler.schemaName, hasRule(handler.target, handler.methodName));
  }

  const declaredFields = new Map<Target, OutputField[]>();
  for (const field of storage.fields) {
    const list = declaredFields.get(field.target) ?? [];
    list.push({
      declaredOn: field.target,
      name: field.name,
      schemaName: field.schemaName,
      simple: field.simple === true,
    });
    declaredFields.set(field.target, list);
  }
  const interfaceTargets = new Set<Target>(storage.interfaceTypes.map((t) => t.target));
  const objectTargets = new Set<Target>(storage.objectTypes.map((t) => t.target));

  const fieldResolvers = storage.fieldResolvers.flatMap((resolver) => {
    const objectType = objectTypeOfFieldResolver(resolver, storage.resolverClasses);
    return objectType ? [{ resolver, objectType }] : [];
  });

  for (const objectType of storage.objectTypes) {
    // Same order as the schema generator: interface fields, own fields, then superclass fields
    // for any name not already defined.
    const fields = new Map<string, OutputField>();
    for (const iface of objectType.interfaceClasses ?? []) {
      for (const f of declaredFields.get(iface) ?? []) fields.set(f.schemaName, f);
    }
    for (const f of declaredFields.get(objectType.target) ?? []) fields.set(f.schemaName, f);
    for (let parent = Object.getPrototypeOf(objectType.target) as Target | null; parent && parent.prototype;) {
      if (objectTargets.has(parent) || interfaceTargets.has(parent)) {
        for (const f of declaredFields.get(parent) ?? []) if (!fields.has(f.schemaName)) fields.set(f.schemaName, f);
      }
      parent = Object.getPrototypeOf(parent) as Target | null;
    }

    const simpleType = objectType.simpleResolvers === true;
    for (const f of fields.values()) {
      const backing = fieldResolvers.find((fr) => fr.objectType === f.declaredOn && fr.resolver.methodName === f.name);
      const covered = backing
        ? hasRule(backing.resolver.target, backing.resolver.methodName) || hasRule(f.declaredOn, f.name)
        : !(f.simple || simpleType) && hasRule(f.declaredOn, f.name);
      record(objectType.name, f.schemaName, covered);
    }
    // Field resolvers that add a field the class does not declare.
    for (const { resolver } of fieldResolvers.filter((fr) => fr.objectType === objectType.target)) {
      if (![...fields.values()].some((f) => f.declaredOn === objectType.target && f.name === resolver.methodName)) {
        record(objectType.name, resolver.schemaName, hasRule(resolver.target, resolver.methodName));
      }
    }
  }

  const uncovered: string[] = [];
  if (schema) {
    const rootNames = new Set(
      [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
        t ? [t.name] : [],
      ),
    );
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || isIntrospectionType(type)) continue;
      // Root types are recorded under their default names by type-graphql.
      const metadataName = rootNames.has(type.name) ? rootMetadataName(schema, type.name) : type.name;
      const known = coverage.get(metadataName);
      for (const fieldName of Object.keys(type.getFields())) {
        if (known?.get(fieldName) !== true) uncovered.push(`${type.name}.${fieldName}`);
      }
    }
  } else {
    for (const [typeName, fields] of coverage) {
      for (const [fieldName, covered] of fields) if (!covered) uncovered.push(`${typeName}.${fieldName}`);
    }
  }
  return [...new Set(uncovered)].sort();
}

function rootMetadataName(schema: GraphQLSchema, typeName: string): string {
  if (schema.getQueryType()?.name === typeName) return 'Query';
  if (schema.getMutationType()?.name === typeName) return 'Mutation';
  return 'Subscription';
}

interface FieldResolverLike {
  kind: 'internal' | 'external';
  target: Target;
}

interface ResolverClassLike {
  target: Target;
  getObjectType: () => Target;
}

/** The object type a @FieldResolver belongs to, or undefined when type-graphql could not tell. */
function objectTypeOfFieldResolver(
  resolver: FieldResolverLike,
  resolverClasses: readonly ResolverClassLike[],
): Target | undefined {
  if (resolver.kind === 'internal') return resolver.target;
  const resolverClass = resolverClasses.find((r) => r.target === resolver.target);
  try {
    return resolverClass?.getObjectType();
  } catch {
    // `@Resolver()` without a type on an abstract base: mapped onto subclasses at build time.
    return undefined;
  }
}
