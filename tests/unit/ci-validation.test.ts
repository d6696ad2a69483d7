// Pure checks of CI input against the model (src/cis/ci.validation.ts): each attribute type, bounds
// and patterns, the attribute set as a whole, the naming rule, identification keys and baselines.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompiledModel } from '../../src/model/compiled-model';
import type { AttributeDef, AttributeType, ConfigModelData } from '../../src/model/model.types';
import {
  checkAttributeValue,
  checkAttributes,
  checkCode,
  identKeyOf,
  missingForBaseline,
} from '../../src/cis/ci.validation';

const DEFAULT: ConfigModelData = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'model.default.json'), 'utf8'),
);
const model = new CompiledModel(structuredClone(DEFAULT), 1);
const cls = (name: string) => model.getClass(name)!;

function def(type: AttributeType, extra: Partial<AttributeDef> = {}): AttributeDef {
  return { name: 'value', type, labelZh: '值', labelEn: 'Value', ...extra };
}

const ok = (d: AttributeDef, value: unknown) => checkAttributeValue(d, value);
const accepted = (d: AttributeDef, value: unknown) => {
  const r = checkAttributeValue(d, value);
  expect(r.problem).toBeUndefined();
  return r.value;
};
const problemOf = (d: AttributeDef, value: unknown) => {
  const r = checkAttributeValue(d, value);
  expect(r.value).toBeUndefined();
  return r.problem;
};

describe('checkAttributeValue', () => {
  it('STRING takes text up to 1000 characters, TEXT up to 100000', () => {
    expect(accepted(def('STRING'), 'hello')).toBe('hello');
    expect(accepted(def('STRING'), 'x'.repeat(1000))).toHaveLength(1000);
    expect(problemOf(def('STRING'), 'x'.repeat(1001))).toBe('must be at most 1000 characters');
    expect(problemOf(def('STRING'), 12)).toBe('must be a string');
    expect(problemOf(def('STRING'), true)).toBe('must be a string');
    expect(accepted(def('TEXT'), 'y'.repeat(5000))).toHaveLength(5000);
    expect(problemOf(def('TEXT'), 'y'.repeat(100_001))).toBe('must be at most 100000 characters');
  });

  it('INTEGER takes safe integers only: 1.5, text and huge numbers are refused', () => {
    expect(accepted(def('INTEGER'), 42)).toBe(42);
    expect(accepted(def('INTEGER'), -3)).toBe(-3);
    expect(accepted(def('INTEGER'), 0)).toBe(0);
    expect(problemOf(def('INTEGER'), 1.5)).toBe('must be an integer');
    expect(problemOf(def('INTEGER'), '42')).toBe('must be an integer');
    expect(problemOf(def('INTEGER'), 2 ** 53)).toBe('must be an integer');
    expect(problemOf(def('INTEGER'), Number.NaN)).toBe('must be an integer');
  });

  it('FLOAT takes finite numbers', () => {
    expect(accepted(def('FLOAT'), 99.95)).toBe(99.95);
    expect(accepted(def('FLOAT'), 3)).toBe(3);
    expect(problemOf(def('FLOAT'), Number.POSITIVE_INFINITY)).toBe('must be a number');
    expect(problemOf(def('FLOAT'), Number.NaN)).toBe('must be a number');
    expect(problemOf(def('FLOAT'), '1.5')).toBe('must be a number');
  });

  it('BOOLEAN takes true and false, not their spellings', () => {
    expect(accepted(def('BOOLEAN'), true)).toBe(true);
    expect(accepted(def('BOOLEAN'), false)).toBe(false);
    expect(problemOf(def('BOOLEAN'), 'true')).toBe('must be true or false');
    expect(problemOf(def('BOOLEAN'), 1)).toBe('must be true or false');
  });

  it('DATE takes YYYY-MM-DD only', () => {
    expect(accepted(def('DATE'), '2025-03-31')).toBe('2025-03-31');
    for (const bad of ['2025-3-31', '2025-03-31T00:00:00Z', '31/03/2025', '2025-13-45', 'yesterday', 20250331]) {
      expect(problemOf(def('DATE'), bad)).toBe('must be a date YYYY-MM-DD');
    }
  });

  it('DATE refuses days that do not exist in the month (2025-02-30 is no date)', () => {
    // Date.parse alone rolls 2025-02-30 over to 2025-03-02; the value must be refused, not stored.
    expect(accepted(def('DATE'), '2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2025-02-29', '2025-02-30', '2025-04-31']) {
      expect(ok(def('DATE'), bad)).toEqual({ problem: 'must be a date YYYY-MM-DD' });
    }
  });

  it('DATETIME takes ISO 8601 with a time and stores it normalised to UTC ISO', () => {
    expect(accepted(def('DATETIME'), '2025-03-31T08:00:00+08:00')).toBe('2025-03-31T00:00:00.000Z');
    expect(accepted(def('DATETIME'), '2025-03-31T00:00:00Z')).toBe('2025-03-31T00:00:00.000Z');
    expect(accepted(def('DATETIME'), '2025-03-31T12:34:56.789Z')).toBe('2025-03-31T12:34:56.789Z');
    for (const bad of [
      '2025-03-31',
      'March 31 2025 08:00',
      '2025-03-31Tnonsense',
      '2025-03-31T25:00:00Z',
      '2025-02-30T08:00:00Z',
      '2025-03-31T08:00:00',
      1743379200000,
    ]) {
      expect(problemOf(def('DATETIME'), bad)).toBe('must be an ISO 8601 date-time with a zone (Z or +08:00)');
    }
  });

  it('ENUM takes one of its allowed values, case-sensitively, and names them when refusing', () => {
    const colour = def('ENUM', { allowedValues: ['RED', 'GREEN'] });
    expect(accepted(colour, 'RED')).toBe('RED');
    expect(problemOf(colour, 'red')).toBe('must be one of RED, GREEN');
    expect(problemOf(colour, 'BLUE')).toBe('must be one of RED, GREEN');
    expect(problemOf(colour, 1)).toBe('must be one of RED, GREEN');
  });

  it('IP_ADDRESS takes IPv4 and IPv6', () => {
    for (const good of ['10.0.0.1', '192.168.255.254', '::1', '2001:db8::8a2e:370:7334', 'fe80::1']) {
      expect(accepted(def('IP_ADDRESS'), good)).toBe(good);
    }
    for (const bad of ['999.1.1.1', '10.0.0', '10.0.0.1/24', 'localhost', '2001:db8:::1', 167772161]) {
      expect(problemOf(def('IP_ADDRESS'), bad)).toBe('must be an IPv4 or IPv6 address');
    }
  });

  it('URL takes absolute URLs', () => {
    expect(accepted(def('URL'), 'https://wiki.example.com/docs?id=1')).toBe('https://wiki.example.com/docs?id=1');
    expect(accepted(def('URL'), 'ftp://files.example.com/a')).toBe('ftp://files.example.com/a');
    for (const bad of ['not a url', '/relative/path', 'example.com', 42, 'javascript:alert(1)', 'data:text/html,x'])
      expect(problemOf(def('URL'), bad)).toMatch(/^must be a URL/);
  });

  it('EMAIL takes addresses with a local part, @ and a dotted domain', () => {
    expect(accepted(def('EMAIL'), 'ops.team@insurer.com.cn')).toBe('ops.team@insurer.com.cn');
    for (const bad of ['ops@', '@insurer.com', 'ops@insurer', 'ops team@insurer.com', 'ops']) {
      expect(problemOf(def('EMAIL'), bad)).toBe('must be an e-mail address');
    }
  });

  it('enforces inclusive min and max on numbers', () => {
    const port = def('INTEGER', { min: 1, max: 65535 });
    expect(accepted(port, 1)).toBe(1);
    expect(accepted(port, 65535)).toBe(65535);
    expect(problemOf(port, 0)).toBe('must be at least 1');
    expect(problemOf(port, 65536)).toBe('must be at most 65535');
    const pct = def('FLOAT', { min: 0, max: 100 });
    expect(accepted(pct, 99.99)).toBe(99.99);
    expect(problemOf(pct, -0.01)).toBe('must be at least 0');
    expect(problemOf(pct, 100.5)).toBe('must be at most 100');
  });

  it('enforces the pattern on string values', () => {
    const host = def('STRING', { pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });
    expect(accepted(host, 'web-01')).toBe('web-01');
    expect(problemOf(host, 'Web_01')).toBe('does not match the pattern ^[a-z0-9][a-z0-9-]{0,62}$');
    // the pattern applies after the type check
    expect(problemOf(host, 7)).toBe('must be a string');
  });

  it('returns a problem or a value, never both', () => {
    const r = ok(def('INTEGER'), 'x');
    expect(r).toEqual({ problem: 'must be an integer' });
    expect(ok(def('INTEGER'), 3)).toEqual({ value: 3 });
  });
});

describe('checkAttributes', () => {
  const vm = cls('VirtualMachine');

  it('accepts valid values, inherited ones included, and normalises them', () => {
    const { attributes, problems } = checkAttributes(vm, {
      hostname: 'web-01',
      ipAddress: '10.0.0.1',
      cpuCores: 8,
      lastBootTime: '2025-01-01T08:00:00+08:00',
    });
    expect(problems).toEqual([]);
    expect(attributes).toEqual({
      hostname: 'web-01',
      ipAddress: '10.0.0.1',
      cpuCores: 8,
      lastBootTime: '2025-01-01T00:00:00.000Z',
    });
  });

  it('refuses an attribute the class does not have, naming it', () => {
    const { problems } = checkAttributes(vm, { hostname: 'web-01', colour: 'red', serialNumber: 'SN123456' });
    expect(problems).toEqual([
      { field: 'attributes.colour', message: 'VirtualMachine has no attribute colour' },
      { field: 'attributes.serialNumber', message: 'VirtualMachine has no attribute serialNumber' },
    ]);
  });

  it('refuses reserved CI fields and hostile names as attributes', () => {
    const { problems } = checkAttributes(vm, { hostname: 'web-01', code: 'X', __proto__x: 1, "x' OR 1=1 //": 1 });
    expect(problems.map((p) => p.field)).toEqual([
      'attributes.code',
      'attributes.__proto__x',
      "attributes.x' OR 1=1 //",
    ]);
  });

  it('names each invalid value with its field', () => {
    const { problems } = checkAttributes(vm, { hostname: 'web-01', cpuCores: 1.5, ipAddress: 'nope' });
    expect(problems).toEqual([
      { field: 'attributes.cpuCores', message: 'cpuCores must be an integer' },
      { field: 'attributes.ipAddress', message: 'ipAddress must be an IPv4 or IPv6 address' },
    ]);
  });

  it('requires required attributes, once each, also when the given value is invalid', () => {
    const team = cls('Team');
    expect(checkAttributes(team, {}).problems).toEqual([
      { field: 'attributes.teamType', message: 'teamType is required for Team' },
    ]);
    expect(checkAttributes(team, { teamType: 'BOGUS' }).problems).toEqual([
      { field: 'attributes.teamType', message: expect.stringMatching(/^teamType must be one of OPERATIONS, /) },
    ]);
  });

  it('requires the identification keys, even when not marked required', () => {
    const data = structuredClone(DEFAULT);
    data.classes.push({
      name: 'UnitTestKeyed',
      labelZh: '测试',
      labelEn: 'Test',
      identificationKeys: ['assetNo'],
      attributes: [{ name: 'assetNo', type: 'STRING', labelZh: '资产号', labelEn: 'Asset no.' }],
    });
    const keyed = new CompiledModel(data, 1).getClass('UnitTestKeyed')!;
    expect(checkAttributes(keyed, {}).problems).toEqual([
      { field: 'attributes.assetNo', message: 'assetNo identifies a UnitTestKeyed and is required' },
    ]);
    expect(checkAttributes(keyed, { assetNo: 'A-1' }).problems).toEqual([]);
    // the NetworkDevice key, inherited by a Switch
    expect(checkAttributes(cls('Switch'), { vendorModel: 'H3C S6850' }).problems).toEqual([
      { field: 'attributes.serialNumber', message: 'serialNumber is required for Switch' },
    ]);
  });

  it('on a patch, null or empty clears an attribute, absent ones stay, and the result is the full set', () => {
    const current = { hostname: 'web-01', ipAddress: '10.0.0.1', cpuCores: 4 };
    const { attributes, problems } = checkAttributes(vm, { ipAddress: null, cpuCores: 8, os: '' }, current);
    expect(problems).toEqual([]);
    expect(attributes).toEqual({ hostname: 'web-01', cpuCores: 8 });
    expect(current).toEqual({ hostname: 'web-01', ipAddress: '10.0.0.1', cpuCores: 4 }); // not mutated
  });

  it('refuses clearing a required attribute or identification key on a patch', () => {
    const { problems } = checkAttributes(vm, { hostname: null }, { hostname: 'web-01' });
    expect(problems).toEqual([{ field: 'attributes.hostname', message: 'hostname is required for VirtualMachine' }]);
  });

  it('refuses something that is not an object of values', () => {
    for (const bad of [null, [], 'hostname=web-01']) {
      expect(checkAttributes(vm, bad as unknown as Record<string, unknown>).problems).toEqual([
        { field: 'attributes', message: 'must be an object of attribute values' },
      ]);
    }
  });
});

describe('checkCode', () => {
  it('accepts a code following the naming rule', () => {
    expect(checkCode(cls('VirtualMachine'), 'VM-WEB-01')).toBeUndefined();
    expect(checkCode(cls('Switch'), 'SW-CORE-01')).toBeUndefined();
  });

  it('refuses a code breaking the naming rule with a message naming the rule and the class', () => {
    const problem = checkCode(cls('VirtualMachine'), 'vm-web-01');
    expect(problem).toEqual({ field: 'code', message: expect.stringContaining('VirtualMachine') });
    expect(problem!.message).toContain('^VM-[A-Z0-9-]{2,40}$');
    expect(problem!.message).toContain('"vm-web-01"');
  });

  it('names the human-readable rule when the class has one', () => {
    const data = structuredClone(DEFAULT);
    data.classes.push({
      name: 'UnitTestRuled',
      labelZh: '测试',
      labelEn: 'Test',
      codePattern: '^UT-[0-9]{4}$',
      codeRule: 'UT-<4位序号>',
      attributes: [],
    });
    const ruled = new CompiledModel(data, 1).getClass('UnitTestRuled')!;
    expect(checkCode(ruled, 'UT-0001')).toBeUndefined();
    const problem = checkCode(ruled, 'UT-1');
    expect(problem?.field).toBe('code');
    expect(problem?.message).toContain('(UT-<4位序号>)');
    expect(problem?.message).toContain('^UT-[0-9]{4}$');
  });

  it('refuses an empty, overlong or non-text code, also in a class without a rule', () => {
    const data = structuredClone(DEFAULT);
    data.classes.push({ name: 'UnitTestFree', labelZh: '测试', labelEn: 'Test', attributes: [] });
    const free = new CompiledModel(data, 1).getClass('UnitTestFree')!;
    expect(checkCode(free, 'anything goes')).toBeUndefined();
    for (const bad of ['', 'X'.repeat(129), 12, null]) {
      expect(checkCode(free, bad)).toEqual({ field: 'code', message: 'code must be 1 to 128 characters' });
    }
  });
});

describe('identKeyOf', () => {
  it('is keyed by the declaring class, so subclasses of NetworkDevice share one key space', () => {
    const sw = identKeyOf(cls('Switch'), { serialNumber: 'SN-0001', vendorModel: 'a' });
    const rt = identKeyOf(cls('Router'), { serialNumber: 'SN-0001', vendorModel: 'b' });
    expect(sw).toBe('NetworkDevice|serialNumber="SN-0001"');
    expect(rt).toBe(sw);
  });

  it('differs between classes that declare their own keys', () => {
    expect(identKeyOf(cls('PhysicalServer'), { serialNumber: 'SN-0001' })).toBe(
      'PhysicalServer|serialNumber="SN-0001"',
    );
    expect(identKeyOf(cls('StorageArray'), { serialNumber: 'SN-0001' })).toBe('StorageArray|serialNumber="SN-0001"');
  });

  it('quotes values so a value cannot pose as a separator', () => {
    expect(identKeyOf(cls('VirtualMachine'), { hostname: 'a|b=c' })).toBe('VirtualMachine|hostname="a|b=c"');
  });

  it('is null for a class without identification keys', () => {
    expect(identKeyOf(cls('Team'), { teamType: 'OPERATIONS' })).toBeNull();
  });
});

describe('missingForBaseline', () => {
  it('names the missing attributes and relations, with the relation label', () => {
    const missing = missingForBaseline(model, cls('VirtualMachine'), 'IN_SERVICE', { hostname: 'web-01' }, []);
    expect(missing).toEqual([
      'attribute ipAddress',
      `relation RUNS_ON (${model.relationTypes.get('RUNS_ON')!.labelZh})`,
    ]);
  });

  it('is empty when the baseline is met', () => {
    expect(
      missingForBaseline(model, cls('VirtualMachine'), 'IN_SERVICE', { hostname: 'web-01', ipAddress: '10.0.0.1' }, [
        { type: 'RUNS_ON', direction: 'OUT', count: 1 },
      ]),
    ).toEqual([]);
  });

  it('counts a relation only in the required direction', () => {
    const missing = missingForBaseline(model, cls('VirtualMachine'), 'IN_SERVICE', { ipAddress: '10.0.0.1' }, [
      { type: 'RUNS_ON', direction: 'IN', count: 3 },
    ]);
    expect(missing).toEqual([expect.stringMatching(/^relation RUNS_ON /)]);
    const zero = missingForBaseline(model, cls('VirtualMachine'), 'IN_SERVICE', { ipAddress: '10.0.0.1' }, [
      { type: 'RUNS_ON', direction: 'OUT', count: 0 },
    ]);
    expect(zero).toEqual([expect.stringMatching(/^relation RUNS_ON /)]);
  });

  it('uses the merged baseline: a Switch inherits the NetworkDevice baseline', () => {
    expect(missingForBaseline(model, cls('Switch'), 'IN_SERVICE', {}, [])).toEqual([
      'attribute managementIp',
      expect.stringMatching(/^relation LOCATED_IN /),
    ]);
  });

  it('marks incoming relations', () => {
    const data = structuredClone(DEFAULT);
    data.classes.push({
      name: 'UnitTestHost',
      labelZh: '测试',
      labelEn: 'Test',
      attributes: [],
      lifecycleBaselines: [{ state: 'IN_SERVICE', requiredRelations: [{ type: 'RUNS_ON', direction: 'IN' }] }],
    });
    const m = new CompiledModel(data, 1);
    expect(missingForBaseline(m, m.getClass('UnitTestHost')!, 'IN_SERVICE', {}, [])).toEqual([
      expect.stringMatching(/^relation incoming RUNS_ON /),
    ]);
  });

  it('is empty for a state without a baseline', () => {
    expect(missingForBaseline(model, cls('VirtualMachine'), 'PLANNED', {}, [])).toEqual([]);
    expect(missingForBaseline(model, cls('Team'), 'IN_SERVICE', {}, [])).toEqual([]);
  });
});
