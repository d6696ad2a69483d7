// Checks of JSON documents given whole through the API (policies): each refusal names the field.

import { ValidationError } from './errors';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses the document, naming the field at fault and why. */
export function fail(field: string, reason: string): never {
  throw new ValidationError(`${field}: ${reason}`, { field });
}
