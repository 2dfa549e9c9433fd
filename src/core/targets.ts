import type { Fleet } from './inventory/fleet';
import { resolvePattern } from './inventory/patterns';
import { LastRunStore } from './state/lastRun';
import { defaultStateDir } from './state/stateStore';

/**
 * A `-H` / quick-pick pattern → target names, with `@failed` read from the last-run record in
 * `stateDir`. The CLI and the extension both call this, so a pattern means the same in each.
 * Throws PatternError (its `pattern` names the term at fault).
 */
export function selectTargets(pattern: string, fleet: Fleet, stateDir: string = defaultStateDir()): string[] {
  return resolvePattern(pattern, fleet, { failedHosts: () => new LastRunStore(stateDir).failedHosts() });
}
