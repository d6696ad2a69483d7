// The operations calendar (JR/T 0079—2025 §7.2.5.1 h, §7.2.5.2 b): working days across weekends,
// holidays and make-up working weekends, month arithmetic, local dates in the calendar's zone,
// freeze/peak window overlap, and the validation of a configured calendar.
// Every expected value below was worked out by hand from a wall calendar.

import { ValidationError } from '../../src/platform/errors';
import {
  addMonths,
  addWorkingDays,
  DEFAULT_CALENDAR,
  isWorkingDay,
  localDate,
  startOfDay,
  validateCalendar,
  windowsOverlapping,
  type CalendarWindow,
  type OperationsCalendar,
} from '../../src/changes/calendar';

/** A National Day style week: Thu 1 Oct – Wed 7 Oct 2026 off, Sun 20 Sep and Sat 10 Oct worked. */
const NATIONAL_DAY: OperationsCalendar = {
  timeZone: 'Asia/Shanghai',
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  workingWeekends: ['2026-09-20', '2026-10-10'],
  windows: [],
};

function calendarWith(overrides: Partial<OperationsCalendar>): OperationsCalendar {
  return { ...DEFAULT_CALENDAR, ...overrides };
}

function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details.field;
  }
  throw new Error('expected a ValidationError');
}

describe('DEFAULT_CALENDAR', () => {
  it('is Asia/Shanghai with no holidays and no windows', () => {
    expect(DEFAULT_CALENDAR).toEqual({ timeZone: 'Asia/Shanghai', holidays: [], workingWeekends: [], windows: [] });
  });

  it('cannot be changed by a caller', () => {
    expect(() => DEFAULT_CALENDAR.holidays.push('2026-10-01')).toThrow(TypeError);
  });
});

describe('isWorkingDay', () => {
  it('counts Monday to Friday and not the weekend', () => {
    expect(isWorkingDay(DEFAULT_CALENDAR, '2026-03-06')).toBe(true); // Friday
    expect(isWorkingDay(DEFAULT_CALENDAR, '2026-03-07')).toBe(false); // Saturday
    expect(isWorkingDay(DEFAULT_CALENDAR, '2026-03-08')).toBe(false); // Sunday
    expect(isWorkingDay(DEFAULT_CALENDAR, '2026-03-09')).toBe(true); // Monday
  });

  it('takes out holidays and puts make-up weekends back', () => {
    expect(isWorkingDay(NATIONAL_DAY, '2026-09-19')).toBe(false); // Saturday, ordinary
    expect(isWorkingDay(NATIONAL_DAY, '2026-09-20')).toBe(true); // Sunday, make-up
    expect(isWorkingDay(NATIONAL_DAY, '2026-09-30')).toBe(true); // Wednesday
    expect(isWorkingDay(NATIONAL_DAY, '2026-10-01')).toBe(false); // Thursday, holiday
    expect(isWorkingDay(NATIONAL_DAY, '2026-10-07')).toBe(false); // Wednesday, holiday
    expect(isWorkingDay(NATIONAL_DAY, '2026-10-08')).toBe(true); // Thursday
    expect(isWorkingDay(NATIONAL_DAY, '2026-10-10')).toBe(true); // Saturday, make-up
    expect(isWorkingDay(NATIONAL_DAY, '2026-10-11')).toBe(false); // Sunday, ordinary
  });

  it('refuses a date that is not a real calendar date', () => {
    expect(validationField(() => isWorkingDay(DEFAULT_CALENDAR, '2026-02-30'))).toBe('date');
  });
});

describe('addWorkingDays', () => {
  it('skips the weekend going forwards', () => {
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-06', 1)).toBe('2026-03-09'); // Fri → Mon
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-05', 2)).toBe('2026-03-09'); // Thu → Mon
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-02', 10)).toBe('2026-03-16'); // Mon → Mon, two weeks
  });

  it('skips the weekend going backwards', () => {
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-09', -1)).toBe('2026-03-06'); // Mon → Fri
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-16', -10)).toBe('2026-03-02');
  });

  it('does not count the starting date, even from a weekend', () => {
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-07', 1)).toBe('2026-03-09'); // Sat → Mon
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-08', -1)).toBe('2026-03-06'); // Sun → Fri
  });

  it('returns the date itself for n = 0, working day or not', () => {
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-06', 0)).toBe('2026-03-06');
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-03-07', 0)).toBe('2026-03-07');
  });

  it('skips a configured holiday on a weekday', () => {
    const mayDay = calendarWith({ holidays: ['2026-05-01'] }); // a Friday
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-04-30', 1)).toBe('2026-05-01');
    expect(addWorkingDays(mayDay, '2026-04-30', 1)).toBe('2026-05-04');
    expect(addWorkingDays(mayDay, '2026-05-04', -1)).toBe('2026-04-30');
  });

  it('counts a make-up Saturday as a working day', () => {
    const makeUp = calendarWith({ workingWeekends: ['2026-03-07'] });
    expect(addWorkingDays(makeUp, '2026-03-06', 1)).toBe('2026-03-07');
    expect(addWorkingDays(makeUp, '2026-03-06', 2)).toBe('2026-03-09');
    expect(addWorkingDays(makeUp, '2026-03-09', -1)).toBe('2026-03-07');
  });

  it('jumps the National Day week and uses its make-up days', () => {
    expect(addWorkingDays(NATIONAL_DAY, '2026-09-30', 1)).toBe('2026-10-08'); // Wed → Thu after the week
    expect(addWorkingDays(NATIONAL_DAY, '2026-09-30', 3)).toBe('2026-10-10'); // Thu 8, Fri 9, Sat 10 (make-up)
    expect(addWorkingDays(NATIONAL_DAY, '2026-09-30', 4)).toBe('2026-10-12');
    expect(addWorkingDays(NATIONAL_DAY, '2026-10-08', -1)).toBe('2026-09-30');
    // Sat 10, Fri 9, Thu 8, Wed 30, Tue 29, Mon 28, Fri 25, Thu 24, Wed 23, Tue 22
    expect(addWorkingDays(NATIONAL_DAY, '2026-10-12', -10)).toBe('2026-09-22');
    expect(addWorkingDays(NATIONAL_DAY, '2026-09-22', -2)).toBe('2026-09-20'); // Mon 21, Sun 20 (make-up)
    expect(addWorkingDays(NATIONAL_DAY, '2026-09-22', -3)).toBe('2026-09-18');
  });

  it('crosses a year end', () => {
    expect(addWorkingDays(DEFAULT_CALENDAR, '2026-12-31', 1)).toBe('2027-01-01'); // Thu → Fri
    expect(addWorkingDays(DEFAULT_CALENDAR, '2027-01-01', 1)).toBe('2027-01-04');
  });

  it('refuses a fractional count or a malformed date', () => {
    expect(validationField(() => addWorkingDays(DEFAULT_CALENDAR, '2026-03-06', 1.5))).toBe('n');
    expect(validationField(() => addWorkingDays(DEFAULT_CALENDAR, '2026-3-6', 1))).toBe('date');
  });
});

describe('addMonths', () => {
  it('clamps to the end of a shorter month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29'); // leap year
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonths('2026-08-31', 1)).toBe('2026-09-30');
  });

  it('keeps the day when it exists', () => {
    expect(addMonths('2026-05-31', -2)).toBe('2026-03-31');
    expect(addMonths('2026-10-12', 1)).toBe('2026-11-12');
    expect(addMonths('2026-03-15', 0)).toBe('2026-03-15');
  });

  it('crosses year boundaries both ways', () => {
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15');
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonths('2026-08-31', -14)).toBe('2025-06-30');
    expect(addMonths('2026-02-28', 24)).toBe('2028-02-28');
  });

  it('refuses a date that does not exist', () => {
    expect(validationField(() => addMonths('2026-04-31', 1))).toBe('date');
  });
});

describe('localDate and startOfDay', () => {
  it('puts 23:30 UTC on the next day in Asia/Shanghai', () => {
    expect(localDate(DEFAULT_CALENDAR, Date.UTC(2026, 2, 5, 23, 30))).toBe('2026-03-06');
    expect(localDate(calendarWith({ timeZone: 'UTC' }), Date.UTC(2026, 2, 5, 23, 30))).toBe('2026-03-05');
  });

  it('turns the Shanghai day at 16:00 UTC', () => {
    expect(localDate(DEFAULT_CALENDAR, Date.UTC(2026, 2, 5, 15, 59, 59, 999))).toBe('2026-03-05');
    expect(localDate(DEFAULT_CALENDAR, Date.UTC(2026, 2, 5, 16, 0, 0, 0))).toBe('2026-03-06');
    expect(startOfDay(DEFAULT_CALENDAR, '2026-03-06')).toBe(Date.UTC(2026, 2, 5, 16));
    expect(startOfDay(NATIONAL_DAY, '2026-10-01')).toBe(Date.UTC(2026, 8, 30, 16));
  });

  it('follows daylight saving time in a DST zone', () => {
    const newYork = calendarWith({ timeZone: 'America/New_York' }); // DST from 2026-03-08, to 2026-11-01
    expect(localDate(newYork, Date.UTC(2026, 2, 8, 4, 59))).toBe('2026-03-07');
    expect(localDate(newYork, Date.UTC(2026, 2, 8, 5, 0))).toBe('2026-03-08');
    expect(startOfDay(newYork, '2026-03-08')).toBe(Date.UTC(2026, 2, 8, 5)); // EST, UTC-5
    expect(startOfDay(newYork, '2026-03-09')).toBe(Date.UTC(2026, 2, 9, 4)); // EDT, UTC-4
    expect(startOfDay(newYork, '2026-11-02')).toBe(Date.UTC(2026, 10, 2, 5));
  });

  it('starts the day when the clocks jump over midnight', () => {
    // Brazil started DST at 00:00 on 2018-11-04: local time went from 23:59:59 straight to 01:00.
    const saoPaulo = calendarWith({ timeZone: 'America/Sao_Paulo' });
    expect(startOfDay(saoPaulo, '2018-11-04')).toBe(Date.UTC(2018, 10, 4, 3)); // 01:00 at UTC-2
    expect(startOfDay(saoPaulo, '2018-11-03')).toBe(Date.UTC(2018, 10, 3, 3)); // 00:00 at UTC-3
  });
});

describe('windowsOverlapping', () => {
  const nationalDayFreeze: CalendarWindow = {
    name: 'National Day freeze',
    kind: 'FREEZE',
    start: Date.UTC(2026, 8, 30, 16), // 2026-10-01 00:00 Shanghai
    end: Date.UTC(2026, 9, 7, 16), // 2026-10-08 00:00 Shanghai, exclusive
    description: '国庆封网',
  };
  const yearEndPeak: CalendarWindow = {
    name: 'Year-end peak',
    kind: 'PEAK',
    start: Date.UTC(2026, 11, 30, 16), // 2026-12-31 00:00 Shanghai
    end: Date.UTC(2027, 0, 1, 16), // 2027-01-02 00:00 Shanghai
  };
  const cal = calendarWith({ windows: [yearEndPeak, nationalDayFreeze] });
  const HOUR = 3_600_000;

  it('does not report a window that ends exactly when the change starts', () => {
    expect(windowsOverlapping(cal, nationalDayFreeze.end, nationalDayFreeze.end + HOUR)).toEqual([]);
  });

  it('does not report a window that starts exactly when the change ends', () => {
    expect(windowsOverlapping(cal, nationalDayFreeze.start - HOUR, nationalDayFreeze.start)).toEqual([]);
  });

  it('reports a window touched by a single millisecond at either edge', () => {
    expect(windowsOverlapping(cal, nationalDayFreeze.start - HOUR, nationalDayFreeze.start + 1)).toEqual([
      nationalDayFreeze,
    ]);
    expect(windowsOverlapping(cal, nationalDayFreeze.end - 1, nationalDayFreeze.end + HOUR)).toEqual([
      nationalDayFreeze,
    ]);
  });

  it('reports a window that contains the change, and all windows a long change spans, in time order', () => {
    const oct3Evening = Date.UTC(2026, 9, 3, 12); // 2026-10-03 20:00 Shanghai
    expect(windowsOverlapping(cal, oct3Evening, oct3Evening + 2 * HOUR)).toEqual([nationalDayFreeze]);
    expect(windowsOverlapping(cal, Date.UTC(2026, 8, 1), Date.UTC(2027, 0, 31))).toEqual([
      nationalDayFreeze,
      yearEndPeak,
    ]);
  });

  it('reports nothing in a quiet period', () => {
    expect(windowsOverlapping(cal, Date.UTC(2026, 10, 10, 14), Date.UTC(2026, 10, 10, 18))).toEqual([]);
  });
});

describe('validateCalendar', () => {
  it('fills in the defaults and returns a normalised copy', () => {
    expect(validateCalendar({})).toEqual({
      timeZone: 'Asia/Shanghai',
      holidays: [],
      workingWeekends: [],
      windows: [],
    });
    const input = {
      timeZone: 'Europe/London',
      holidays: ['2026-12-25', '2026-05-01', '2026-12-25'],
      workingWeekends: ['2026-10-10'],
      windows: [{ name: 'Freeze', kind: 'FREEZE', start: 1000, end: 2000 }],
    };
    expect(validateCalendar(input)).toEqual({
      timeZone: 'Europe/London',
      holidays: ['2026-05-01', '2026-12-25'],
      workingWeekends: ['2026-10-10'],
      windows: [{ name: 'Freeze', kind: 'FREEZE', start: 1000, end: 2000, description: null }],
    });
  });

  it('accepts the National Day calendar as written', () => {
    expect(validateCalendar(NATIONAL_DAY)).toEqual(NATIONAL_DAY);
  });

  it('names a date that does not exist', () => {
    const holidays = ['2026-10-01', '2026-10-02', '2026-02-30'];
    expect(validationField(() => validateCalendar({ holidays }))).toBe('calendar.holidays[2]');
    expect(() => validateCalendar({ holidays })).toThrow(/calendar\.holidays\[2\].*real calendar date.*2026-02-30/);
    expect(validationField(() => validateCalendar({ holidays: ['2026/10/01'] }))).toBe('calendar.holidays[0]');
    expect(validationField(() => validateCalendar({ workingWeekends: [20261010] }))).toBe(
      'calendar.workingWeekends[0]',
    );
  });

  it('refuses an unknown time zone', () => {
    expect(validationField(() => validateCalendar({ timeZone: 'Mars/Olympus_Mons' }))).toBe('calendar.timeZone');
    expect(validationField(() => validateCalendar({ timeZone: 8 }))).toBe('calendar.timeZone');
  });

  it('refuses a day listed as both a holiday and a make-up working day', () => {
    const input = { holidays: ['2026-10-03'], workingWeekends: ['2026-09-20', '2026-10-03'] };
    expect(validationField(() => validateCalendar(input))).toBe('calendar.workingWeekends[1]');
    expect(() => validateCalendar(input)).toThrow(/2026-10-03.*both/);
  });

  it('refuses a weekday as a make-up working weekend', () => {
    expect(validationField(() => validateCalendar({ workingWeekends: ['2026-10-08'] }))).toBe(
      'calendar.workingWeekends[0]',
    );
    expect(() => validateCalendar({ workingWeekends: ['2026-10-08'] })).toThrow(/weekday/);
  });

  it('refuses a window that does not end after it starts', () => {
    const windows = [
      { name: 'ok', kind: 'PEAK', start: 1000, end: 2000 },
      { name: 'empty', kind: 'FREEZE', start: 2000, end: 2000 },
    ];
    expect(validationField(() => validateCalendar({ windows }))).toBe('calendar.windows[1].end');
  });

  it('names the bad field of a window', () => {
    const window = { name: 'w', kind: 'FREEZE', start: 1000, end: 2000 };
    expect(validationField(() => validateCalendar({ windows: [{ ...window, kind: 'HOLIDAY' }] }))).toBe(
      'calendar.windows[0].kind',
    );
    expect(validationField(() => validateCalendar({ windows: [{ ...window, name: ' ' }] }))).toBe(
      'calendar.windows[0].name',
    );
    expect(validationField(() => validateCalendar({ windows: [{ ...window, start: '2026-10-01' }] }))).toBe(
      'calendar.windows[0].start',
    );
    expect(validationField(() => validateCalendar({ windows: [{ ...window, description: 5 }] }))).toBe(
      'calendar.windows[0].description',
    );
    expect(validationField(() => validateCalendar({ windows: 'none' }))).toBe('calendar.windows');
  });

  it('refuses something that is not a calendar at all', () => {
    expect(validationField(() => validateCalendar(null))).toBe('calendar');
    expect(validationField(() => validateCalendar([]))).toBe('calendar');
    expect(validationField(() => validateCalendar({ holidays: '2026-10-01' }))).toBe('calendar.holidays');
  });
});
