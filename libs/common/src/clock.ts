/** The current time, behind a port so tests can move it. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that stands still until moved: for tests of expiry and windows. */
export class ManualClock extends Clock {
  constructor(private at = Date.parse('2026-01-01T00:00:00Z')) {
    super();
  }

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
