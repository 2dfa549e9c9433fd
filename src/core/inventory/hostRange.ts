/**
 * Ansible's host ranges: `web[01:20].example.com`, `db-[a:f]`, `node[1:10:2]`, several ranges in
 * one name. The same rules as ansible.plugins.inventory.expand_hostname_range, so a name means
 * here what it means to `ansible-inventory`:
 * - `[beg:end]` or `[beg:end:step]`, end inclusive; an empty `beg` is 0;
 * - a numeric `beg` with a leading zero pads every number to its width, and then `end` must have
 *   the same width;
 * - single letters give an alphabetic range (a–z then A–Z, in that order);
 * - `beg` above `end` expands to nothing for numbers (Ansible's `range()`), and is an error for letters.
 */

export class HostRangeError extends Error {
  override name = 'HostRangeError';
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Limit on one pattern's expansion: a typo like `[1:99999999]` must not take the process down. */
export const MAX_RANGE_HOSTS = 100_000;

export function hasHostRange(pattern: string): boolean {
  return /\[[^\]]*:[^\]]*\]/.test(pattern);
}

/** All names a pattern declares, in Ansible's order. A name without a range is itself. */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new HostRangeError(`'${pattern}': '[' without ']'`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const items = rangeItems(pattern, pattern.slice(open + 1, close));
  const names: string[] = [];
  for (const item of items) {
    for (const name of expandHostRange(head + item + tail)) {
      names.push(name);
      if (names.length > MAX_RANGE_HOSTS) throw new HostRangeError(`'${pattern}' expands to more than ${MAX_RANGE_HOSTS} hosts`);
    }
  }
  return names;
}

function rangeItems(pattern: string, body: string): string[] {
  const bounds = body.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostRangeError(`'${pattern}': a host range must be [begin:end] or [begin:end:step]`);
  const beg = bounds[0] || '0';
  const end = bounds[1];
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostRangeError(`'${pattern}': a host range must give its end`);
  const step = Number(stepText);
  if (!/^\d+$/.test(stepText) || step < 1) throw new HostRangeError(`'${pattern}': the step must be a positive integer, got '${stepText}'`);
  const padded = beg.length > 1 && beg[0] === '0';
  if (padded && beg.length !== end.length) throw new HostRangeError(`'${pattern}': begin and end must have the same width (${beg} vs ${end})`);

  const iBeg = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const iEnd = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new HostRangeError(`'${pattern}': a letter range must have begin <= end`);
    const out: string[] = [];
    for (let i = iBeg; i <= iEnd; i += step) out.push(LETTERS[i]);
    return out;
  }
  if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw new HostRangeError(`'${pattern}': '${body}' is neither a number nor a letter range`);
  const from = Number(beg);
  const to = Number(end);
  if ((to - from) / step + 1 > MAX_RANGE_HOSTS) throw new HostRangeError(`'${pattern}' expands to more than ${MAX_RANGE_HOSTS} hosts`);
  const out: string[] = [];
  for (let n = from; n <= to; n += step) out.push(padded ? String(n).padStart(beg.length, '0') : String(n));
  return out;
}
