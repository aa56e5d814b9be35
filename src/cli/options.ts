// Argument parsers the commands share: a repeatable option, and a Go-style duration refused as
// commander refuses any bad option value (naming the option).

import { InvalidArgumentError } from 'commander';
import { parseDuration } from './duration.js';

/** For a repeatable option: each use adds one value. */
export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** A duration such as 30s, 5m or 1h30m, in milliseconds. */
export function durationOption(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A whole number of days from `min` to `max`. */
export function daysOption(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number of days between ${min} and ${max}`);
    return n;
  };
}
