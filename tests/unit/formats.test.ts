// Import files read as streams (the CLI's `import` and `initial-load`) give the same rows as the same
// text parsed at once (the GraphQL `importCIs`), and a broken file is refused by name.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledModel } from '../../src/model/compiled-model';
import { loadDefaultModel } from '../../src/model/model.service';
import { PROJECT_ROOT } from '../../src/platform/config';
import { parseCsvCIs, parseCsvRelations, readCsvCIs, readCsvRelations } from '../../src/imports/formats';

const model = new CompiledModel(loadDefaultModel(PROJECT_ROOT), 1);
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmdb-formats-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('CSV import files read as streams', () => {
  it('give the rows the same text parsed at once gives: classes mixed, typed, quoted, empty cells left out', async () => {
    const text =
      '\uFEFFclass,code,name,owner,lifecycle,hostname,cpuCores,employeeId\n' +
      'VirtualMachine,VM-SH-CSV-01,"虚拟机, 第一台",T-INFRA,,sh-csv-01,8,\n' +
      'Person,P-E77001,"王 ""小"" 明",P-E77001,IN_SERVICE,,,E77001\n';
    const cis = await readCsvCIs(model, file('cis.csv', text));
    expect(cis).toEqual(parseCsvCIs(model, text));
    expect(cis).toEqual([
      {
        class: 'VirtualMachine',
        code: 'VM-SH-CSV-01',
        name: '虚拟机, 第一台',
        owner: 'T-INFRA',
        lifecycle: null,
        attributes: { hostname: 'sh-csv-01', cpuCores: 8 },
      },
      {
        class: 'Person',
        code: 'P-E77001',
        name: '王 "小" 明',
        owner: 'P-E77001',
        lifecycle: 'IN_SERVICE',
        attributes: { employeeId: 'E77001' },
      },
    ]);
    const relations = 'type,source,target\nRUNS_ON,APP-X,VM-SH-CSV-01\n';
    expect(await readCsvRelations(file('relations.csv', relations))).toEqual(parseCsvRelations(relations));
  });

  it('a file that is not CSV is refused naming the file', async () => {
    const broken = file('broken.csv', 'class,code,name\nServer,"SRV-1,unclosed\n');
    await expect(readCsvCIs(model, broken)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'file' },
      message: expect.stringContaining(broken),
    });
  });
});
