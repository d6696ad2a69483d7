// Reproducible sampling for audits (§7.1.4.3): a seeded PRNG over a deterministic order, so the
// recorded seed gives back the very same sample. Pure: no database, no clock.

import { createHash } from 'node:crypto';

/** sfc32 seeded from SHA-256 of the text: small, fast and good enough for sampling (not for secrets). */
export function prng(seed: string): () => number {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // warm up: the first outputs of sfc32 follow the seed closely
  return next;
}

/** n = min(count, max(minimum, ceil(ratio × count))): a ratio of the class, never fewer than the minimum. */
export function sampleSize(count: number, ratio: number, minimum: number): number {
  // Rounded first: 0.1 × 30 is 3.0000000000000004 in binary and must not become 4.
  const byRatio = Math.ceil(Number((ratio * count).toFixed(9)));
  return Math.min(count, Math.max(minimum, byRatio));
}

/**
 * Draws n of the candidates without replacement: sorted by id first (the order the database returns
 * must not matter), then a partial Fisher–Yates shuffle driven by the seed and the stratum's name, so
 * adding a class to an audit does not change the sample of another. Returns the sample sorted by id.
 */
export function drawSample(ids: readonly string[], n: number, seed: string, stratum: string): string[] {
  const pool = [...new Set(ids)].sort();
  const take = Math.min(n, pool.length);
  const random = prng(`${seed}\u0000${stratum}`);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, take).sort();
}

/**
 * The latest moment at or before `now` that a five-field cron pattern matches (minute resolution,
 * local time), searching back at most `maxDays`; null when none. node-cron 4 computes only the next
 * run, and a catch-up needs the previous one. Day of month and day of week are both required to match
 * (cron's "either" rule applies only when both are restricted; patterns here restrict one at most).
 */
export function previousSlot(
  fields: {
    minute: number[];
    hour: number[];
    dayOfMonth: (number | string)[];
    month: number[];
    dayOfWeek: (number | string)[];
  },
  now: number,
  maxDays = 400,
): number | null {
  const minutes = new Set(fields.minute);
  const hours = new Set(fields.hour);
  const doms = new Set(fields.dayOfMonth.map(Number));
  const months = new Set(fields.month);
  const dows = new Set(fields.dayOfWeek.map((d) => Number(d) % 7));
  const t = new Date(now);
  t.setSeconds(0, 0);
  const stop = now - maxDays * 86_400_000;
  while (t.getTime() >= stop) {
    if (!months.has(t.getMonth() + 1) || !doms.has(t.getDate()) || !dows.has(t.getDay())) {
      // Skip the rest of this day: back to 23:59 of the day before.
      t.setHours(0, 0, 0, 0);
      t.setMinutes(-1);
      continue;
    }
    if (!hours.has(t.getHours())) {
      t.setMinutes(0);
      t.setMinutes(-1);
      continue;
    }
    if (minutes.has(t.getMinutes())) return t.getTime();
    t.setMinutes(t.getMinutes() - 1);
  }
  return null;
}
