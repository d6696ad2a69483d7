// Cursor pagination shared by every list: opaque keyset cursors and a hard page-size cap.

import { ValidationError } from './errors';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

/** A cursor is the base64url of the sort key of the last row seen; opaque to clients. */
export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): string | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, 'base64url').toString();
  if (!text.startsWith('k:')) throw new ValidationError('after is not a cursor this API issued', { field: 'after' });
  return text.slice(2);
}

export interface Page<T> {
  items: T[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}
