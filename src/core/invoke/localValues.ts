// Local values sent with a run, as PowerShell's `$Using:` and `-InputObject` do.

/** A variable name both PowerShell (`$Using:NAME`) and POSIX sh (an environment variable) accept. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class LocalValueError extends Error {
  override name = 'LocalValueError';
}

/**
 * `NAME=VALUE` assignments (`--var`, repeatable) → a map; the value is everything after the first
 * `=`, taken literally (it may be empty or hold `=`, quotes, `$`). A later NAME replaces an earlier one.
 */
export function parseVarAssignments(assignments: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const name = eq < 0 ? assignment : assignment.slice(0, eq);
    if (eq < 0) throw new LocalValueError(`--var '${assignment}' has no '=' (write NAME=VALUE)`);
    if (!VARIABLE_NAME.test(name)) {
      throw new LocalValueError(`--var name '${name}' is not a valid variable name (letters, digits and _, not starting with a digit)`);
    }
    vars[name] = assignment.slice(eq + 1);
  }
  return vars;
}

/** The map back as `NAME=VALUE` strings (what a UI shows and remembers). */
export function formatVarAssignments(vars: Record<string, string>): string[] {
  return Object.entries(vars).map(([name, value]) => `${name}=${value}`);
}
