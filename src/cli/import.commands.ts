// `import`, `export` and `template` for operators: the same paths as the GraphQL API; and
// `initial-load`, which fills a new embedded store through Neo4j's offline importer.

import fs from 'node:fs';
import type { Config } from '../platform/config';
import { option } from './args';
import type { Logger } from '../platform/logging';
import { startRuntime } from '../runtime';
import { CompiledModel } from '../model/compiled-model';
import type { NewCI, NewRelation } from '../cis/ci.batch';
import { loadDefaultModel } from '../model/model.service';
import { DomainError } from '../platform/errors';
import { fileBatches, initialLoad } from '../imports/initial-load';
import {
  csvColumns,
  exportCsv,
  exportJson,
  jsonSchemaFor,
  readCsvCIs,
  readCsvRelations,
  parseJsonImport,
} from '../imports/formats';

export const IMPORT_USAGE = `  template --class CLASS           print the CSV header and JSON schema of a class
  import --file F [--relations R.csv] --ticket T [--write] [--batch 1000]
                        import CIs (CSV or JSON by extension); a dry run unless --write
  initial-load --file F [--relations R.csv] --ticket T [--title TITLE] [--write] [--batch 5000]
                        load an estate into a new, empty embedded store (offline, with
                        the bulk path's checks; the service must not be running)
  export [--class CLASS] [--format csv|json] [--limit N]
                        print CIs (and, in JSON, the relationships among them)
`;

export async function importCommand(
  command: 'template' | 'import' | 'export',
  config: Config,
  log: Logger,
  args: string[],
): Promise<number> {
  const runtime = await startRuntime({ ...config, demoEstate: 'never' }, log);
  try {
    const { services } = runtime;
    const model = await services.model.current();
    if (command === 'template') {
      const cls = model.getClass(option(args, 'class') ?? '');
      if (!cls || cls.abstract) {
        console.error('--class must name a concrete class');
        return 2;
      }
      console.log(csvColumns(cls).join(','));
      console.log(JSON.stringify(jsonSchemaFor(model, cls), null, 2));
      return 0;
    }
    if (command === 'export') {
      const className = option(args, 'class');
      const format = option(args, 'format') ?? 'json';
      const { cis, relations } = await services.cis.exportSet(
        { classes: className ? [className] : null },
        Number(option(args, 'limit') ?? 1_000_000),
      );
      const cls = model.getClass(className ?? '');
      if (format === 'csv' && !cls) {
        console.error('CSV export needs --class');
        return 2;
      }
      process.stdout.write(
        format === 'csv'
          ? exportCsv(
              cls!,
              cis.filter((c) => c.class === cls!.name),
            )
          : exportJson(cis, relations),
      );
      return 0;
    }
    const file = option(args, 'file');
    if (!file) {
      console.error('--file is required');
      return 2;
    }
    const data = await readImportFiles(model, file, option(args, 'relations'));
    const ctx = {
      actor: cliActor(),
      at: Date.now(),
      source: 'import',
      ticket: option(args, 'ticket') ?? null,
    };
    const report = await services.imports.run(ctx, data, {
      dryRun: !args.includes('--write'),
      batchSize: Number(option(args, 'batch') ?? 1000),
    });
    for (const r of report.rows.filter((x) => x.action === 'REJECTED' || x.reason)) {
      console.log(`${r.kind} row ${r.row} ${r.key}: ${r.action}${r.field ? ` [${r.field}]` : ''} ${r.reason ?? ''}`);
    }
    console.log(
      `${report.dryRun ? 'dry run: ' : ''}${report.created} create, ${report.updated} update, ${report.unchanged} unchanged, ${report.rejected} rejected; ${report.batchesWritten}/${report.batches} batches written`,
    );
    return report.rejected ? 1 : 0;
  } finally {
    await runtime.close();
  }
}

function cliActor(): string {
  return process.env.USER ? `cli:${process.env.USER}` : 'cli';
}

/** The rows of an import: a JSON file of CIs and relationships, or a CSV of CIs and another of relationships (read as streams). */
async function readImportFiles(
  model: CompiledModel,
  file: string,
  relationsFile: string | undefined,
): Promise<{ cis: NewCI[]; relations: NewRelation[] }> {
  if (file.endsWith('.json')) return parseJsonImport(fs.readFileSync(file, 'utf8'));
  return {
    cis: await readCsvCIs(model, file),
    relations: relationsFile ? await readCsvRelations(relationsFile) : [],
  };
}

/**
 * `initial-load`: checks the files as `import` would and, with --write, imports them into the
 * embedded store, then starts Neo4j once to apply the migrations (which build the indexes) and the
 * default model. Exit 1 with the refused row when a row is bad: the store is then untouched.
 */
export async function initialLoadCommand(config: Config, log: Logger, args: string[]): Promise<number> {
  const file = option(args, 'file');
  const ticket = option(args, 'ticket');
  if (!file || !ticket) {
    console.error('--file and --ticket are required');
    return 2;
  }
  if (config.neo4j.uri) {
    console.error(
      'initial-load fills the embedded store; NEO4J_URI is set. Unset it, or load into an external server with its own neo4j-admin import.',
    );
    return 2;
  }
  const batchSize = Number(option(args, 'batch') ?? 5000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    console.error('--batch must be a whole number of CIs from 1 to 100000');
    return 2;
  }
  const write = args.includes('--write');
  const started = Date.now();
  const model = new CompiledModel(loadDefaultModel(config.projectRoot), 1);
  try {
    // The rows are held only by the batches, each let go of once checked and written out.
    const batches = fileBatches(model, await readImportFiles(model, file, option(args, 'relations')), batchSize);
    const result = await initialLoad(model, batches, {
      ticket: { ref: ticket, title: option(args, 'title') ?? '配置初始化 initial load' },
      actor: cliActor(),
      dryRun: !write,
      dataDir: config.neo4j.embedded.dataDir,
      projectRoot: config.projectRoot,
      heap: config.neo4j.embedded.heap,
      log: (m) => log.info(m),
    });
    if (write) {
      const runtime = await startRuntime({ ...config, demoEstate: 'never' }, log);
      await runtime.close();
    }
    console.log(
      `${result.dryRun ? 'dry run: ' : ''}${result.cis} CIs and ${result.relations} relationships ${result.dryRun ? 'would be loaded' : 'loaded'} under ${result.ticket} in ${((Date.now() - started) / 1000).toFixed(1)} s (${result.batches} batches, ${result.oplogEntries} log entries)`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    console.error(`refused${e.details.field ? ` [${String(e.details.field)}]` : ''}: ${e.message}; nothing was loaded`);
    return 1;
  }
}
