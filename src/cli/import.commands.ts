// `import`, `export` and `template` for operators: the same paths as the GraphQL API.

import fs from 'node:fs';
import type { Config } from '../platform/config';
import { option } from './args';
import type { Logger } from '../platform/logging';
import { startRuntime } from '../runtime';
import {
  csvColumns,
  exportCsv,
  exportJson,
  jsonSchemaFor,
  parseCsvCIs,
  parseCsvRelations,
  parseJsonImport,
} from '../imports/formats';

export const IMPORT_USAGE = `  template --class CLASS           print the CSV header and JSON schema of a class
  import --file F [--relations R.csv] --ticket T [--write] [--batch 1000]
                        import CIs (CSV or JSON by extension); a dry run unless --write
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
    const text = fs.readFileSync(file, 'utf8');
    const relationsFile = option(args, 'relations');
    const data = file.endsWith('.json')
      ? parseJsonImport(text)
      : {
          cis: parseCsvCIs(model, text),
          relations: relationsFile ? parseCsvRelations(fs.readFileSync(relationsFile, 'utf8')) : [],
        };
    const ctx = {
      actor: process.env.USER ? `cli:${process.env.USER}` : 'cli',
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
