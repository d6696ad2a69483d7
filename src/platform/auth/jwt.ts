// Bearer tokens: who the caller is. Verification (HS256 secret, or RS256/ES256 public key) turns
// a token into an Actor whose roles are known Annex A roles and free of incompatible pairs.

import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  decode,
  JsonWebTokenError,
  NotBeforeError,
  sign,
  TokenExpiredError,
  verify,
  type Algorithm,
  type JwtPayload,
  type Secret,
  type SignOptions,
} from 'jsonwebtoken';
import type { Config } from '../config';
import { UnauthenticatedError } from '../errors';
import type { Actor } from '../server/context';
import { findIncompatiblePair, Role } from './roles';

export interface TokenClaims {
  /** The actor id: a person's id or a tool's name. */
  sub: string;
  name?: string;
  roles: Role[];
}

export interface VerifierOptions {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256 or ES256 public key, PEM. */
  publicKey?: string;
  issuer?: string;
  audience?: string;
}

/** Turns a raw token into an Actor or throws UnauthenticatedError saying why not. */
export type TokenVerifier = (token: string) => Actor;

export interface SignTokenOptions {
  /** Seconds or an ms-style string such as '8h'; default 8h. */
  expiresIn?: SignOptions['expiresIn'];
  issuer?: string;
  audience?: string;
  /** HS256 with a secret (default); RS256/ES256 with a private key. */
  algorithm?: 'HS256' | 'RS256' | 'ES256';
}

const KNOWN_ROLES = new Set<string>(Object.values(Role));
// Tokens issued by other systems may come from a host whose clock runs slightly ahead.
const CLOCK_TOLERANCE_SECONDS = 5;

export function signToken(claims: TokenClaims, secretOrPrivateKey: Secret, options: SignTokenOptions = {}): string {
  // Refuse to mint what the verifier would refuse anyway, so the CLI fails at the source.
  const problem = rolesProblem(claims.roles);
  if (problem) throw new Error(problem);
  const signOptions: SignOptions = {
    algorithm: options.algorithm ?? 'HS256',
    expiresIn: options.expiresIn ?? '8h',
    subject: claims.sub,
  };
  if (options.issuer) signOptions.issuer = options.issuer;
  if (options.audience) signOptions.audience = options.audience;
  const payload: Record<string, unknown> = { roles: claims.roles };
  if (claims.name) payload.name = claims.name;
  return sign(payload, secretOrPrivateKey, signOptions);
}

/**
 * Builds the verifier once at start, so a malformed public key stops the service instead of
 * failing every request. With both a secret and a key, the token's `alg` header picks one; the
 * algorithm lists are fixed per key so a token can never choose HS256 against a public key.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  if (!options.secret && !options.publicKey) {
    throw new Error('A JWT secret or public key is required to verify tokens');
  }
  const publicKey = options.publicKey ? loadPublicKey(options.publicKey) : undefined;
  // A key object made once: handed the raw secret, the library would try (and fail) to parse it as a
  // public key on every request first.
  const secretKey = options.secret ? createSecretKey(Buffer.from(options.secret)) : undefined;
  const keyAlgorithm: Algorithm | undefined = publicKey
    ? publicKey.asymmetricKeyType === 'ec'
      ? 'ES256'
      : 'RS256'
    : undefined;

  return (token: string): Actor => {
    const header = decode(token, { complete: true })?.header;
    if (!header) throw new UnauthenticatedError('Token is malformed');
    let key: Secret | KeyObject;
    let algorithms: Algorithm[];
    if (header.alg === 'HS256' && secretKey) {
      key = secretKey;
      algorithms = ['HS256'];
    } else if (publicKey && keyAlgorithm && header.alg === keyAlgorithm) {
      key = publicKey;
      algorithms = [keyAlgorithm];
    } else {
      throw new UnauthenticatedError(`Token algorithm ${String(header.alg)} is not accepted`);
    }

    let payload: JwtPayload;
    try {
      const verified = verify(token, key, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof verified === 'string') throw new UnauthenticatedError('Token payload is not a JSON object');
      payload = verified;
    } catch (error) {
      throw explain(error);
    }
    return actorFromPayload(payload);
  };
}

export function verifyToken(token: string, options: VerifierOptions): Actor {
  return createTokenVerifier(options)(token);
}

/** The verifier the service uses: the configured key and/or secret, else the dev secret. */
export function verifierFromConfig(config: Config): TokenVerifier {
  const { jwtSecret, jwtPublicKey, issuer, audience } = config.auth;
  // With only a public key configured, tokens come from an external issuer: no local secret.
  const secret = jwtSecret ?? (jwtPublicKey ? undefined : resolveJwtSecret(config));
  return createTokenVerifier({ secret, publicKey: jwtPublicKey, issuer, audience });
}

/**
 * Returns null when there is no Authorization header (the auth checker then refuses every field),
 * and throws for a header that is present but not a valid bearer token: a client that sent
 * credentials must learn they were refused rather than be silently treated as anonymous.
 */
export function actorFromAuthorizationHeader(header: string | undefined, verifier: TokenVerifier): Actor | null {
  if (header === undefined || header.trim() === '') return null;
  const match = /^Bearer[ \t]+([A-Za-z0-9_\-.=+/]+)[ \t]*$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  return verifier(match[1]);
}

const DEV_SECRET_FILE = path.join('data', 'dev-jwt-secret');
const devSecretCache = new Map<string, string>();

/**
 * The HS256 secret: JWT_SECRET when set. Otherwise, outside production, a random secret kept in
 * `<projectRoot>/data/dev-jwt-secret` so that `npm run cli -- token` and the running service
 * agree without anyone choosing a password.
 */
export function resolveJwtSecret(config: Config): string {
  if (config.auth.jwtSecret) return config.auth.jwtSecret;
  if (config.env === 'production') {
    throw new Error('JWT_SECRET is required when NODE_ENV=production (no development secret is generated)');
  }
  const file = path.join(config.projectRoot, DEV_SECRET_FILE);
  const cached = devSecretCache.get(file);
  if (cached) return cached;
  const secret = readOrCreateDevSecret(file);
  devSecretCache.set(file, secret);
  return secret;
}

function readOrCreateDevSecret(file: string): string {
  const existing = readSecretFile(file);
  if (existing !== undefined) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  try {
    // 'wx' fails if another process (CLI and service starting together) wrote it first.
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = readSecretFile(file);
    if (winner === undefined) throw new Error(`Could not read the development JWT secret in ${file}`, { cause: error });
    return winner;
  }
}

function readSecretFile(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.length < 32) {
    throw new Error(
      `The development JWT secret in ${file} is shorter than 32 characters; delete the file to regenerate it`,
    );
  }
  // A copy or an unzip may have widened the mode; anyone who can read it can mint any role.
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return text;
}

function loadPublicKey(pem: string): KeyObject {
  // Environment variables often carry PEM newlines as literal "\n".
  const text = pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new Error('JWT_PUBLIC_KEY is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new Error(`JWT_PUBLIC_KEY must be an RSA or EC (P-256) key, got ${String(key.asymmetricKeyType)}`);
  }
  return key;
}

function explain(error: unknown): Error {
  if (error instanceof UnauthenticatedError) return error;
  if (error instanceof TokenExpiredError) {
    return new UnauthenticatedError(`Token expired at ${error.expiredAt.toISOString()}`);
  }
  if (error instanceof NotBeforeError) {
    return new UnauthenticatedError(`Token is not valid before ${error.date.toISOString()}`);
  }
  if (error instanceof JsonWebTokenError) {
    const message = error.message;
    if (message === 'invalid signature') return new UnauthenticatedError('Token signature is invalid');
    if (message.startsWith('jwt malformed') || message.startsWith('invalid token')) {
      return new UnauthenticatedError('Token is malformed');
    }
    if (message.startsWith('jwt issuer invalid')) return new UnauthenticatedError('Token issuer is not accepted');
    if (message.startsWith('jwt audience invalid')) return new UnauthenticatedError('Token audience is not accepted');
    return new UnauthenticatedError(`Token rejected: ${message}`);
  }
  return new UnauthenticatedError('Token could not be verified');
}

function actorFromPayload(payload: JwtPayload): Actor {
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') {
    throw new UnauthenticatedError('Token has no subject (sub)');
  }
  // A token without expiry would stay valid forever if it leaked.
  if (typeof payload.exp !== 'number') throw new UnauthenticatedError('Token has no expiry (exp)');
  const problem = rolesProblem(payload.roles);
  if (problem) throw new UnauthenticatedError(problem);
  const actor: Actor = { id: payload.sub, roles: [...new Set(payload.roles as Role[])] };
  if (typeof payload.name === 'string' && payload.name !== '') actor.name = payload.name;
  return actor;
}

/** Why these roles cannot be on one token, or undefined when they can. */
function rolesProblem(raw: unknown): string | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    return 'Token carries no roles (roles must be a non-empty array)';
  }
  const unknown = raw.filter((r) => typeof r !== 'string' || !KNOWN_ROLES.has(r));
  if (unknown.length > 0) {
    return `Token carries unknown role(s): ${unknown.map((r) => JSON.stringify(r)).join(', ')}`;
  }
  const pair = findIncompatiblePair(raw as Role[]);
  if (pair) {
    return `Token combines incompatible roles ${pair[0]} and ${pair[1]} (JR/T 0079 Annex A separation of duties)`;
  }
  return undefined;
}
