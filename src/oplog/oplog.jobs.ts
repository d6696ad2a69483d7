// The retention job (§9.1.5.1 e): once a day the operation log drops what is older than
// OPLOG_RETENTION_DAYS (never less than six months). Several replicas may run it: a purge only
// deletes entries that are past retention, in order, under the writers' lock, so a second run
// finds nothing to do.

import { schedule, type ScheduledTask } from 'node-cron';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logging';
import type { Services } from '../services';
import { purgeExpired } from './oplog.service';

export function scheduleRetention(services: Services, config: Config, log: Logger): ScheduledTask {
  return schedule(
    config.oplog.purgeCron,
    async () => {
      try {
        const result = await purgeExpired(services, config);
        log.info(
          { deleted: result.deleted, cutoff: new Date(result.cutoff).toISOString() },
          'operation log retention run',
        );
      } catch (e) {
        log.error({ err: e }, 'operation log retention run failed');
      }
    },
    { name: 'oplog-retention', noOverlap: true },
  );
}
