// Reproducible sampling: sizes by ratio and minimum, same seed same sample, previous cron slot.

import { parse } from 'node-cron';
import { drawSample, previousSlot, prng, sampleSize } from '../../src/audits/sampling';

describe('audit sampling', () => {
  it('takes max(minimum, ceil(ratio × count)), or all when fewer', () => {
    expect(sampleSize(100, 0.1, 3)).toBe(10);
    expect(sampleSize(30, 0.1, 3)).toBe(3);
    expect(sampleSize(31, 0.1, 3)).toBe(4);
    expect(sampleSize(12, 0.1, 3)).toBe(3);
    expect(sampleSize(2, 0.1, 3)).toBe(2);
    expect(sampleSize(0, 0.1, 3)).toBe(0);
    expect(sampleSize(7, 1, 1)).toBe(7);
  });

  it('gives the same sample for the same seed, whatever the input order, and another for another seed', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `id-${String(i).padStart(3, '0')}`);
    const a = drawSample(ids, 20, 'seed-1', 'VirtualMachine');
    const b = drawSample([...ids].reverse(), 20, 'seed-1', 'VirtualMachine');
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(20);
    expect(drawSample(ids, 20, 'seed-2', 'VirtualMachine')).not.toEqual(a);
    expect(drawSample(ids, 20, 'seed-1', 'Database')).not.toEqual(a);
    expect(drawSample(ids.slice(0, 5), 20, 'x', 'C')).toEqual(ids.slice(0, 5));
  });

  it('spreads draws over the range', () => {
    const r = prng('spread');
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(r() * 10)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(850);
  });

  it('finds the previous slot of hourly, daily and yearly patterns', () => {
    const at = new Date(2026, 4, 17, 10, 37, 12).getTime();
    expect(previousSlot(parse('0 * * * *'), at)).toBe(new Date(2026, 4, 17, 10, 0).getTime());
    expect(previousSlot(parse('30 3 * * *'), at)).toBe(new Date(2026, 4, 17, 3, 30).getTime());
    expect(previousSlot(parse('30 11 * * *'), at)).toBe(new Date(2026, 4, 16, 11, 30).getTime());
    expect(previousSlot(parse('0 2 1 1 *'), at)).toBe(new Date(2026, 0, 1, 2, 0).getTime());
    expect(previousSlot(parse('*/5 * * * *'), at)).toBe(new Date(2026, 4, 17, 10, 35).getTime());
    expect(previousSlot(parse('0 9 * * 1'), at)).toBe(new Date(2026, 4, 11, 9, 0).getTime());
  });
});
