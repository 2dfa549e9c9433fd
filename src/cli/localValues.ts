import * as fs from 'node:fs';
import { LocalValueError, parseVarAssignments } from '../core/invoke/localValues';
import { UsageError } from './usage';

/** `--var NAME=VALUE` (repeatable) and `--input FILE|-` of `run`: checked before anything runs. */
export const LOCAL_VALUE_OPTIONS = {
  var: { type: 'string', multiple: true },
  input: { type: 'string' },
} as const;

export function localValues(values: Record<string, unknown>): { vars?: Record<string, string>; input?: string } {
  const assignments = (values.var as string[] | undefined) ?? [];
  let vars: Record<string, string> | undefined;
  try {
    vars = assignments.length ? parseVarAssignments(assignments) : undefined;
  } catch (err) {
    if (err instanceof LocalValueError) throw new UsageError(err.message);
    throw err;
  }
  const source = values.input as string | undefined;
  return { vars, input: source === undefined ? undefined : readInput(source) };
}

/** `-` is the CLI's own stdin, read to its end before any host starts. */
function readInput(source: string): string {
  try {
    return fs.readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (err) {
    const what = source === '-' ? 'the input from stdin' : `input file '${source}'`;
    throw new UsageError(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
