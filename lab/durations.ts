/**
 * Lab durations (`20m`, `1h30m`, `45s`) in milliseconds. No imports: workflow code reads lab
 * durations with it too (the watch after a wait's deadline, workflows/engine/soft-deadline.ts).
 */

/** `1h30m` → 5400000. */
export function durationMs(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration such as 20m`);
  const [, h = '0', m = '0', s = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}
