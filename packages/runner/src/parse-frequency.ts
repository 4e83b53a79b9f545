const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
};

/**
 * Nango's frequency strings in seconds: `every hour`, `every 5 minutes`, `every 1h`,
 * `every half hour`, `every day`, `30m`… Throws with the accepted forms for anything else.
 */
export function parseFrequency(text: string): number {
  const normalized = text
    .trim()
    .toLowerCase()
    .replace(/^every\s+/, '');
  if (normalized === 'half hour' || normalized === 'half an hour') return 1800;
  const match = /^(?:(\d+(?:\.\d+)?)\s*)?([a-z]+)$/.exec(
    normalized.replace(/\s+/g, ' ').replace(/^(\d+) ([a-z]+)$/, '$1$2'),
  );
  const unit = match?.[2];
  const seconds = unit === undefined ? undefined : UNITS[unit];
  if (match === null || seconds === undefined) {
    throw new Error(
      `frequency ${JSON.stringify(text)} is not understood; use e.g. "every hour", "every 5 minutes", "every day", "every 1h"`,
    );
  }
  const total = Math.round(Number(match[1] ?? 1) * seconds);
  if (total < 30) throw new Error(`frequency ${JSON.stringify(text)} is below the 30-second minimum`);
  return total;
}
