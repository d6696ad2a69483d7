// A request that outruns the database time-out is refused with TIME_LIMIT_EXCEEDED and a hint to
// narrow it, not masked as an internal error.

import { createDriver, Executor } from '../../src/platform/neo4j/executor';
import { TimeLimitError } from '../../src/platform/errors';

it('turns a transaction time-out into TIME_LIMIT_EXCEEDED naming the limit', async () => {
  const executor = new Executor(
    createDriver(process.env.CMDB_TEST_NEO4J_URI!, process.env.TEST_NEO4J_USERNAME, process.env.TEST_NEO4J_PASSWORD),
    {
      queryTimeoutMs: 200,
    },
  );
  try {
    const slow = executor.query('UNWIND range(1, 200000000) AS x WITH x WHERE x % 7 = 3 RETURN count(x) AS n');
    await expect(slow).rejects.toBeInstanceOf(TimeLimitError);
    await expect(slow).rejects.toMatchObject({ code: 'TIME_LIMIT_EXCEEDED', details: { limitMs: 200 } });
    expect(await executor.query('RETURN 1 AS ok')).toEqual([{ ok: 1 }]);
  } finally {
    await executor.close();
  }
});
