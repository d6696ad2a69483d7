// Tokens and permissions: what a token must carry to be believed, the Annex A incompatible pairs,
// the permission matrix as the auth checker applies it, and the walk that finds unguarded fields.

import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GraphQLResolveInfo } from 'graphql';
import { sign } from 'jsonwebtoken';
import {
  Authorized,
  buildSchema,
  Field,
  FieldResolver,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  type ResolverData,
} from 'type-graphql';
import { authChecker, fieldsWithoutAuthRule } from '../../src/platform/auth/auth-checker';
import {
  actorFromAuthorizationHeader,
  createTokenVerifier,
  resolveJwtSecret,
  signToken,
  verifierFromConfig,
  verifyToken,
} from '../../src/platform/auth/jwt';
import { Permission, PERMISSION_MATRIX, Role } from '../../src/platform/auth/roles';
import { loadConfig } from '../../src/platform/config';
import { DomainError, ForbiddenError, UnauthenticatedError } from '../../src/platform/errors';
import type { Actor, RequestContext } from '../../src/platform/server/context';

const SECRET = 'auth-test-secret-0123456789abcdef0123456789';

function rejection(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthenticatedError);
    return error as DomainError;
  }
  throw new Error('expected the token to be rejected');
}

describe('signToken and verifyToken', () => {
  const verifier = createTokenVerifier({ secret: SECRET });

  it('round-trips subject, name and roles (HS256)', () => {
    const token = signToken({ sub: 'u-42', name: 'Li Wei', roles: [Role.CONFIG_ADMIN, Role.AUDITOR] }, SECRET);
    expect(verifier(token)).toEqual({ id: 'u-42', name: 'Li Wei', roles: [Role.CONFIG_ADMIN, Role.AUDITOR] });
  });

  it('checks issuer and audience when configured', () => {
    const options = { issuer: 'cmdb', audience: 'cmdb-api' };
    const good = signToken({ sub: 'u', roles: [Role.AUDITOR] }, SECRET, options);
    expect(verifyToken(good, { secret: SECRET, ...options }).id).toBe('u');

    const otherIssuer = signToken({ sub: 'u', roles: [Role.AUDITOR] }, SECRET, { ...options, issuer: 'elsewhere' });
    expect(rejection(() => verifyToken(otherIssuer, { secret: SECRET, ...options })).message).toBe(
      'Token issuer is not accepted',
    );
    const otherAudience = signToken({ sub: 'u', roles: [Role.AUDITOR] }, SECRET, { ...options, audience: 'other' });
    expect(rejection(() => verifyToken(otherAudience, { secret: SECRET, ...options })).message).toBe(
      'Token audience is not accepted',
    );
  });

  it('rejects an expired token', () => {
    const token = signToken({ sub: 'u', roles: [Role.AUDITOR] }, SECRET, { expiresIn: -60 });
    expect(rejection(() => verifier(token)).message).toMatch(/^Token expired at \d{4}-\d\d-\d\dT/);
  });

  it('rejects a token signed with another secret', () => {
    const token = signToken({ sub: 'u', roles: [Role.AUDITOR] }, 'some-other-secret-0123456789abcdef0123');
    const error = rejection(() => verifier(token));
    expect(error.message).toBe('Token signature is invalid');
    expect(error.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a token that is not a JWT', () => {
    expect(rejection(() => verifier('not-a-token')).message).toBe('Token is malformed');
  });

  it('rejects unknown role names, naming them', () => {
    const token = sign({ roles: [Role.AUDITOR, 'SUPERUSER'] }, SECRET, { subject: 'u', expiresIn: '5m' });
    expect(rejection(() => verifier(token)).message).toBe('Token carries unknown role(s): "SUPERUSER"');
    expect(() => signToken({ sub: 'u', roles: ['SUPERUSER' as Role] }, SECRET)).toThrow(/SUPERUSER/);
  });

  it('rejects a token without roles, subject or expiry', () => {
    const noRoles = sign({ roles: [] }, SECRET, { subject: 'u', expiresIn: '5m' });
    expect(rejection(() => verifier(noRoles)).message).toMatch(/no roles/);
    const noSubject = sign({ roles: [Role.AUDITOR] }, SECRET, { expiresIn: '5m' });
    expect(rejection(() => verifier(noSubject)).message).toBe('Token has no subject (sub)');
    const noExpiry = sign({ roles: [Role.AUDITOR] }, SECRET, { subject: 'u' });
    expect(rejection(() => verifier(noExpiry)).message).toBe('Token has no expiry (exp)');
  });

  it('rejects an Annex A incompatible pair, naming both roles', () => {
    const token = sign({ roles: [Role.OPS_ENGINEER, Role.DEVELOPER] }, SECRET, { subject: 'u', expiresIn: '5m' });
    const message = rejection(() => verifier(token)).message;
    expect(message).toContain('OPS_ENGINEER');
    expect(message).toContain('DEVELOPER');
    expect(message).toMatch(/incompatible/);
    // The CLI cannot mint one either.
    expect(() => signToken({ sub: 'u', roles: [Role.DEV_MANAGER, Role.TESTER] }, SECRET)).toThrow(
      /DEV_MANAGER and TESTER/,
    );
  });

  it('verifies RS256 and ES256 tokens with a PEM public key, and refuses HS256 against that key', () => {
    for (const [type, algorithm] of [
      ['rsa', 'RS256'],
      ['ec', 'ES256'],
    ] as const) {
      const pair =
        type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const verifyWithKey = createTokenVerifier({ publicKey: publicPem.replace(/\n/g, '\\n') });
      const token = signToken({ sub: 'tool', roles: [Role.DISCOVERY] }, pair.privateKey, { algorithm });
      expect(verifyWithKey(token)).toEqual({ id: 'tool', roles: [Role.DISCOVERY] });

      // The classic algorithm-confusion attack: the public key used as an HMAC secret.
      const confused = sign({ roles: [Role.CONFIG_MANAGER] }, publicPem, {
        subject: 'x',
        expiresIn: '5m',
        algorithm: 'HS256',
      });
      expect(rejection(() => verifyWithKey(confused)).message).toBe('Token algorithm HS256 is not accepted');
    }
  });
});

describe('actorFromAuthorizationHeader', () => {
  const verifier = createTokenVerifier({ secret: SECRET });

  it('returns null without a header', () => {
    expect(actorFromAuthorizationHeader(undefined, verifier)).toBeNull();
    expect(actorFromAuthorizationHeader('', verifier)).toBeNull();
  });

  it('returns the actor for a good bearer token', () => {
    const token = signToken({ sub: 'u-1', roles: [Role.OPS_MANAGER] }, SECRET);
    expect(actorFromAuthorizationHeader(`Bearer ${token}`, verifier)).toEqual({ id: 'u-1', roles: [Role.OPS_MANAGER] });
  });

  it('throws UnauthenticatedError for a present but bad header', () => {
    expect(() => actorFromAuthorizationHeader('Basic dXNlcjpwYXNz', verifier)).toThrow(UnauthenticatedError);
    expect(() => actorFromAuthorizationHeader('Bearer', verifier)).toThrow(UnauthenticatedError);
    expect(() => actorFromAuthorizationHeader('Bearer abc.def.ghi', verifier)).toThrow(UnauthenticatedError);
  });
});

describe('resolveJwtSecret', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-jwt-'));
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('uses JWT_SECRET when set', () => {
    const config = loadConfig({ NODE_ENV: 'development', JWT_SECRET: SECRET, CMDB_PROJECT_ROOT: root });
    expect(resolveJwtSecret(config)).toBe(SECRET);
    expect(fs.existsSync(path.join(root, 'data', 'dev-jwt-secret'))).toBe(false);
  });

  it('generates a development secret once, mode 600, that CLI and service share', () => {
    const config = loadConfig({ NODE_ENV: 'development', CMDB_PROJECT_ROOT: root });
    const secret = resolveJwtSecret(config);
    const file = path.join(root, 'data', 'dev-jwt-secret');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret(config)).toBe(secret);

    // A token minted the CLI way verifies with the service's verifier.
    const token = signToken({ sub: 'ops', roles: [Role.CONFIG_MANAGER] }, secret);
    expect(verifierFromConfig(config)(token).id).toBe('ops');
  });

  it('never generates a secret in production', () => {
    const config = { ...loadConfig({ NODE_ENV: 'development', CMDB_PROJECT_ROOT: root }), env: 'production' as const };
    expect(() => resolveJwtSecret(config)).toThrow(/JWT_SECRET is required/);
  });
});

describe('authChecker', () => {
  function check(actor: Actor | null, permissions: Permission[]): boolean | Promise<boolean> {
    const data = {
      root: {},
      args: {},
      context: { actor, requestId: 'r-1' } as RequestContext,
      info: { parentType: { name: 'Query' }, fieldName: 'configurationItems' } as unknown as GraphQLResolveInfo,
    } satisfies ResolverData<RequestContext>;
    return authChecker(data, permissions);
  }

  it('refuses every field to a caller without a token', () => {
    expect(() => check(null, [])).toThrow(UnauthenticatedError);
    expect(() => check(null, [Permission.READ_CMDB])).toThrow(UnauthenticatedError);
  });

  it('admits any authenticated actor to @Authorized() without permissions', () => {
    expect(check({ id: 'u', roles: [Role.TESTER] }, [])).toBe(true);
  });

  it.each(Object.values(Permission))('applies the permission matrix for %s', (permission) => {
    for (const role of Object.values(Role)) {
      const actor = { id: 'u', roles: [role] };
      if (PERMISSION_MATRIX[permission].includes(role)) {
        expect(check(actor, [permission])).toBe(true);
      } else {
        let error: unknown;
        try {
          check(actor, [permission]);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ForbiddenError);
        expect((error as Error).message).toBe(`Query.configurationItems requires permission ${permission}`);
      }
    }
  });

  it('admits an actor holding any one of several listed permissions', () => {
    expect(check({ id: 'd', roles: [Role.DISCOVERY] }, [Permission.WRITE_CI, Permission.DISCOVER])).toBe(true);
    expect(() => check({ id: 'a', roles: [Role.AUDITOR] }, [Permission.WRITE_CI, Permission.DISCOVER])).toThrow(
      'Query.configurationItems requires permission WRITE_CI or DISCOVER',
    );
  });

  it('refuses a permission name it does not know', () => {
    expect(() => check({ id: 'u', roles: [Role.CONFIG_MANAGER] }, ['READ_EVERYTHING' as Permission])).toThrow(
      ForbiddenError,
    );
  });
});

// Deliberately incomplete types: the walk must find exactly the unguarded fields.
@ObjectType()
@Authorized()
class GuardedType {
  @Field(() => String) a!: string;
}

@ObjectType()
class HalfGuardedType {
  @Authorized(Permission.READ_CMDB)
  @Field(() => String)
  guarded!: string;

  @Field(() => String)
  open!: string;
}

// simpleResolvers makes type-graphql skip middleware, so the class rule would be ignored.
@ObjectType({ simpleResolvers: true })
@Authorized()
class SimpleType {
  @Field(() => String) s!: string;
}

@Resolver(() => HalfGuardedType)
@Authorized(Permission.READ_CMDB)
class GuardedResolver {
  @Query(() => HalfGuardedType)
  half(): HalfGuardedType {
    return Object.assign(new HalfGuardedType(), { guarded: 'g', open: 'o' });
  }

  @Query(() => GuardedType)
  guardedType(): GuardedType {
    return Object.assign(new GuardedType(), { a: 'a' });
  }

  @FieldResolver(() => String)
  computed(): string {
    return 'c';
  }
}

@Resolver()
class PartlyOpenResolver {
  @Query(() => String)
  openQuery(): string {
    return 'anyone';
  }

  @Authorized(Permission.WRITE_CI)
  @Mutation(() => String)
  closedMutation(): string {
    return 'writers';
  }
}

describe('fieldsWithoutAuthRule', () => {
  it('lists every field no @Authorized covers, from the metadata', () => {
    expect(fieldsWithoutAuthRule()).toEqual(['HalfGuardedType.open', 'Query.openQuery', 'SimpleType.s']);
    // Keep the classes referenced so they are clearly part of the test.
    expect(SimpleType).toBeDefined();
  });

  it('restricted to a schema, lists only what the schema exposes', async () => {
    const schema = await buildSchema({ resolvers: [GuardedResolver, PartlyOpenResolver], authChecker });
    expect(fieldsWithoutAuthRule(schema)).toEqual(['HalfGuardedType.open', 'Query.openQuery']);
  });
});
