// `npm run cli -- <command>`: what operators script. Each command boots only what it needs.

import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logging';
import { resolveJwtSecret, signToken } from '../platform/auth/jwt';
import { Role } from '../platform/auth/roles';
import { connect, startRuntime } from '../runtime';
import { migrate } from '../platform/neo4j/migrate';
import { printAppSchema } from '../schema';
import { loadDemoEstate } from './demo-estate';
import { option } from './args';
import { IMPORT_USAGE, importCommand, initialLoadCommand } from './import.commands';
import { OPLOG_USAGE, purgeOplogCommand, verifyOplogCommand } from './oplog.commands';
import { AUDIT_USAGE, auditCommand } from './audit.commands';

const USAGE = `usage: npm run cli -- <command> [options]

  token --role ROLE[,ROLE…] [--sub ID] [--name NAME] [--expires 8h]
                        print a signed bearer token (roles: ${Object.values(Role).join(', ')})
  migrate               apply pending migrations
  demo-estate           load the demo estate into an empty database
  emit-schema           write schema/schema.graphql from the resolvers
${IMPORT_USAGE}${OPLOG_USAGE}${AUDIT_USAGE}`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  switch (command) {
    case 'token': {
      const roles = (option(args, 'role') ?? '').split(',').filter(Boolean);
      const unknown = roles.filter((r) => !(Object.values(Role) as string[]).includes(r));
      if (roles.length === 0 || unknown.length) {
        console.error(
          `--role must name one or more of ${Object.values(Role).join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
        );
        return 2;
      }
      const sub = option(args, 'sub') ?? `user:${roles[0].toLowerCase()}`;
      const token = signToken(
        { sub, name: option(args, 'name') ?? sub, roles: roles as Role[] },
        resolveJwtSecret(config),
        {
          expiresIn: (option(args, 'expires') ?? '8h') as '8h',
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        },
      );
      console.log(token);
      return 0;
    }
    case 'migrate': {
      const { executor, embedded } = await connect(config, log);
      try {
        const applied = await migrate(executor, path.join(config.projectRoot, 'migrations'));
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
      } finally {
        await executor.close();
        await embedded?.stop();
      }
      return 0;
    }
    case 'demo-estate': {
      const runtime = await startRuntime({ ...config, demoEstate: 'never' }, log);
      try {
        const loaded = await loadDemoEstate(runtime.services, config.projectRoot, { onlyIfEmpty: true });
        console.log(
          loaded
            ? `loaded ${loaded.cis} CIs and ${loaded.relations} relations`
            : 'the database already holds CIs: nothing loaded',
        );
      } finally {
        await runtime.close();
      }
      return 0;
    }
    case 'emit-schema': {
      const file = path.join(config.projectRoot, 'schema', 'schema.graphql');
      fs.writeFileSync(file, await printAppSchema());
      console.log(`wrote ${file}`);
      return 0;
    }
    case 'template':
    case 'import':
    case 'export':
      return importCommand(command, config, log, args);
    case 'initial-load':
      return initialLoadCommand(config, log, args);
    case 'verify-oplog':
      return verifyOplogCommand(config, log, args);
    case 'purge-oplog':
      return purgeOplogCommand(config, log, args);
    case 'audit-run':
    case 'audit-report':
    case 'audit-export':
      return auditCommand(command, config, log, args);
    default:
      console.error(USAGE);
      return command ? 2 : 0;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error((e as Error).message);
      process.exit(1);
    },
  );
}
