// The operations calendar (运维日历): which days are working days, and which periods are freeze
// (封网) or business-peak (业务高峰) windows. Change windows must avoid peaks and sensitive periods
// (JR/T 0079—2025 §7.2.5.1 h) and conflict checks run against this calendar (§7.2.5.2 b); lead
// times and regulatory report deadlines count working days on it (§7.2.5.1 i, §7.2.6).
//
// Pure: no database, no clock. Dates are 'YYYY-MM-DD' calendar dates in the calendar's time zone;
// instants are epoch milliseconds. Date arithmetic runs on UTC Date objects so the host's own
// time zone never leaks in.

import { ValidationError } from '../platform/errors';

/** A freeze or business-peak period, [start, end) in epoch ms. */
export interface CalendarWindow {
  name: string;
  kind: 'FREEZE' | 'PEAK';
  start: number;
  /** Exclusive. */
  end: number;
  description?: string | null;
}

export interface OperationsCalendar {
  /** IANA zone; every calendar date is a date in this zone. */
  timeZone: string;
  /** 'YYYY-MM-DD' days off that would otherwise be working days (法定节假日). */
  holidays: string[];
  /** 'YYYY-MM-DD' Saturdays/Sundays that are working days (调休补班). */
  workingWeekends: string[];
  /** Freeze (封网) and business-peak (业务高峰) windows. */
  windows: CalendarWindow[];
}

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

// Frozen so no caller can add a holiday to everyone's default.
export const DEFAULT_CALENDAR: OperationsCalendar = Object.freeze({
  timeZone: DEFAULT_TIME_ZONE,
  holidays: Object.freeze([]) as unknown as string[],
  workingWeekends: Object.freeze([]) as unknown as string[],
  windows: Object.freeze([]) as unknown as CalendarWindow[],
});

export const WINDOW_KINDS: readonly CalendarWindow['kind'][] = ['FREEZE', 'PEAK'];

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

// ---------------------------------------------------------------------------------------------
// Calendar dates

interface YMD {
  year: number;
  month: number; // 1–12
  day: number;
}

function parseYMD(value: unknown): YMD | null {
  if (typeof value !== 'string') return null;
  const m = DATE_PATTERN.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/** Parses a 'YYYY-MM-DD' that must be a real calendar date (no 2026-02-30). */
function requireDate(value: unknown, field: string): YMD {
  const ymd = parseYMD(value);
  if (!ymd) {
    throw new ValidationError(`${field} must be a real calendar date as YYYY-MM-DD, got ${JSON.stringify(value)}`, {
      field,
    });
  }
  return ymd;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** UTC midnight of the date: a day number for arithmetic, not the local start of day. */
function utcMs({ year, month, day }: YMD): number {
  const d = new Date(Date.UTC(2000, month - 1, day));
  d.setUTCFullYear(year); // Date.UTC maps years 0–99 to 1900–1999
  return d.getTime();
}

function formatUtc(ms: number): string {
  const d = new Date(ms);
  return formatYMD({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

function formatYMD({ year, month, day }: YMD): string {
  if (year < 0 || year > 9999) {
    throw new ValidationError(`date out of range: year ${year} is not between 0000 and 9999`, { field: 'date' });
  }
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function isWeekend(ymd: YMD): boolean {
  const dow = new Date(utcMs(ymd)).getUTCDay();
  return dow === 0 || dow === 6;
}

/** Calendar months, clamped to month end: 2026-01-31 + 1 → 2026-02-28. `n` may be negative. */
export function addMonths(date: string, n: number): string {
  const ymd = requireDate(date, 'date');
  requireInteger(n, 'n');
  const index = ymd.year * 12 + (ymd.month - 1) + n;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return formatYMD({ year, month, day: Math.min(ymd.day, daysInMonth(year, month)) });
}

function requireInteger(n: number, field: string): void {
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError(`${field} must be an integer, got ${String(n)}`, { field });
  }
}

// ---------------------------------------------------------------------------------------------
// Working days

/** Mon–Fri not in holidays, or a Saturday/Sunday listed in workingWeekends. */
export function isWorkingDay(cal: OperationsCalendar, date: string): boolean {
  const ymd = requireDate(date, 'date');
  return workingDayTest(cal)(date, ymd);
}

function workingDayTest(cal: OperationsCalendar): (date: string, ymd: YMD) => boolean {
  const holidays = new Set(cal.holidays);
  const workingWeekends = new Set(cal.workingWeekends);
  return (date, ymd) => (isWeekend(ymd) ? workingWeekends.has(date) : !holidays.has(date));
}

/**
 * The n-th working day after (n > 0) or before (n < 0) `date`, not counting `date` itself;
 * n = 0 returns `date` unchanged even if it is not a working day.
 */
export function addWorkingDays(cal: OperationsCalendar, date: string, n: number): string {
  let ms = utcMs(requireDate(date, 'date'));
  requireInteger(n, 'n');
  const working = workingDayTest(cal);
  const step = n > 0 ? DAY_MS : -DAY_MS;
  let remaining = Math.abs(n);
  let current = date;
  // Terminates: holidays are a finite list, so working weekdays keep coming.
  while (remaining > 0) {
    ms += step;
    current = formatUtc(ms);
    if (working(current, parseYMD(current) as YMD)) remaining--;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Instants and the calendar's time zone

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading in `timeZone` at `instantMs`, expressed as if it were UTC. */
function wallClockAsUtc(timeZone: string, instantMs: number): number {
  const parts: Record<string, number> = {};
  for (const p of wallClockFormatter(timeZone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const d = new Date(Date.UTC(2000, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second));
  d.setUTCFullYear(parts.year);
  return d.getTime() + (((instantMs % 1000) + 1000) % 1000);
}

function requireInstant(ms: number, field: string): void {
  if (!Number.isFinite(ms)) throw new ValidationError(`${field} must be an epoch-ms number`, { field });
}

/** 'YYYY-MM-DD' of the instant in the calendar's zone (DST handled by Intl). */
export function localDate(cal: OperationsCalendar, instantMs: number): string {
  requireInstant(instantMs, 'instant');
  return formatUtc(Math.floor(wallClockAsUtc(cal.timeZone, instantMs) / DAY_MS) * DAY_MS);
}

/**
 * Epoch ms of the first instant of `date` in the calendar's zone: 00:00 local, or the moment the
 * clocks jump forward where a DST change skips midnight.
 */
export function startOfDay(cal: OperationsCalendar, date: string): number {
  const midnightAsUtc = utcMs(requireDate(date, 'date'));
  // Offset-based guess, refined once so an offset change near midnight is picked up.
  let guess = midnightAsUtc - (wallClockAsUtc(cal.timeZone, midnightAsUtc) - midnightAsUtc);
  guess = midnightAsUtc - (wallClockAsUtc(cal.timeZone, guess) - guess);
  if (localDate(cal, guess) === date && localDate(cal, guess - 1) < date) return guess;
  // Midnight skipped or repeated: search for the first instant whose local date is `date`.
  // Offsets stay within ±18 h, so the answer lies in this range.
  let lo = midnightAsUtc - 18 * 3_600_000;
  let hi = midnightAsUtc + 18 * 3_600_000;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(cal, mid) >= date) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Windows intersecting [start, end); both ends exclusive so back-to-back periods do not touch. */
export function windowsOverlapping(cal: OperationsCalendar, start: number, end: number): CalendarWindow[] {
  requireInstant(start, 'start');
  requireInstant(end, 'end');
  return cal.windows
    .filter((w) => w.start < end && start < w.end)
    .sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------
// Validation

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dateList(input: Record<string, unknown>, key: 'holidays' | 'workingWeekends'): string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new ValidationError(`calendar.${key} must be a list of dates`, { field: `calendar.${key}` });
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const field = `calendar.${key}[${i}]`;
    const ymd = requireDate(item, field);
    if (key === 'workingWeekends' && !isWeekend(ymd)) {
      throw new ValidationError(
        `${field} ${String(item)} is a weekday; only Saturdays and Sundays can be make-up working days`,
        {
          field,
        },
      );
    }
    seen.add(item as string);
  });
  return [...seen].sort();
}

function validateWindow(value: unknown, i: number): CalendarWindow {
  const base = `calendar.windows[${i}]`;
  if (!isRecord(value)) throw new ValidationError(`${base} must be an object`, { field: base });
  const { name, kind, start, end, description } = value;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ValidationError(`${base}.name must be a non-empty string`, { field: `${base}.name` });
  }
  if (typeof kind !== 'string' || !(WINDOW_KINDS as readonly string[]).includes(kind)) {
    throw new ValidationError(`${base}.kind must be one of ${WINDOW_KINDS.join(', ')}, got ${JSON.stringify(kind)}`, {
      field: `${base}.kind`,
    });
  }
  for (const [key, v] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw new ValidationError(`${base}.${key} must be an integer epoch-ms instant`, { field: `${base}.${key}` });
    }
  }
  if ((end as number) <= (start as number)) {
    throw new ValidationError(`${base}.end must be after ${base}.start`, { field: `${base}.end` });
  }
  if (description !== undefined && description !== null && typeof description !== 'string') {
    throw new ValidationError(`${base}.description must be a string or null`, { field: `${base}.description` });
  }
  return {
    name,
    kind: kind as CalendarWindow['kind'],
    start: start as number,
    end: end as number,
    description: description ?? null,
  };
}

/**
 * Checks a calendar from configuration or API input and returns a normalised copy (date lists
 * de-duplicated and sorted). A missing time zone defaults to Asia/Shanghai; missing lists to [].
 */
export function validateCalendar(input: unknown): OperationsCalendar {
  if (!isRecord(input)) throw new ValidationError('calendar must be an object', { field: 'calendar' });
  const tz = input.timeZone ?? DEFAULT_TIME_ZONE;
  if (typeof tz !== 'string' || !isValidTimeZone(tz)) {
    throw new ValidationError(`calendar.timeZone must be an IANA time zone, got ${JSON.stringify(tz)}`, {
      field: 'calendar.timeZone',
    });
  }
  const holidays = dateList(input, 'holidays');
  const workingWeekends = dateList(input, 'workingWeekends');
  const holidaySet = new Set(holidays);
  const raw = input.workingWeekends as unknown[] | undefined;
  const clash = raw?.findIndex((d) => holidaySet.has(d as string)) ?? -1;
  if (clash >= 0) {
    throw new ValidationError(
      `calendar.workingWeekends[${clash}] ${String(raw?.[clash])} is also listed in calendar.holidays; a day cannot be both`,
      { field: `calendar.workingWeekends[${clash}]` },
    );
  }
  const windows = input.windows ?? [];
  if (!Array.isArray(windows)) {
    throw new ValidationError('calendar.windows must be a list of windows', { field: 'calendar.windows' });
  }
  return { timeZone: tz, holidays, workingWeekends, windows: windows.map(validateWindow) };
}
