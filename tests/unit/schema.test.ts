// The checked-in SDL is what the server serves, and every field the server serves has an auth rule.

import fs from 'node:fs';
import path from 'node:path';
import { buildAppSchema, printAppSchema } from '../../src/schema';
import { fieldsWithoutAuthRule } from '../../src/platform/auth/auth-checker';

describe('GraphQL schema', () => {
  it('schema/schema.graphql matches the resolvers (run `npm run schema:emit` after changing them)', async () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printAppSchema());
  });

  it('denies by default: every query, mutation and object field carries an auth rule', async () => {
    const schema = await buildAppSchema();
    expect(fieldsWithoutAuthRule(schema)).toEqual([]);
  });
});
