// Domain errors: what a service may refuse with. The server's error mapper turns each into a
// GraphQL error with a stable `extensions.code`; anything else becomes INTERNAL_SERVER_ERROR.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'VALIDATION_FAILED'
  | 'CHANGE_REQUIRED'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'TIME_LIMIT_EXCEEDED';

export interface ErrorDetails {
  /** The input field the refusal is about, dotted for nested input (`attributes.serialNumber`). */
  field?: string;
  [key: string]: unknown;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('NOT_FOUND', message, details);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CONFLICT', message, details);
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('VALIDATION_FAILED', message, details);
  }
}

export class ChangeRequiredError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CHANGE_REQUIRED', message, details);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('FORBIDDEN', message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid bearer token is required') {
    super('UNAUTHENTICATED', message);
  }
}

/** A request the database could not answer within the transaction time-out: the caller should narrow it. */
export class TimeLimitError extends DomainError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('TIME_LIMIT_EXCEEDED', message, details);
  }
}
