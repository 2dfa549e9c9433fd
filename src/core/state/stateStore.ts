import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `REMOTE_INVOKE_STATE_DIR`, else the platform's per-user state folder. */
export function defaultStateDir(): string {
  if (process.env.REMOTE_INVOKE_STATE_DIR) return process.env.REMOTE_INVOKE_STATE_DIR;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? os.homedir(), 'remote-invoke');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'remote-invoke');
  return path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'remote-invoke');
}

/**
 * JSON records in a private folder, one file per record, written atomically, so a later process
 * (another CLI call, a reloaded window) finds what an earlier one started.
 */
export class RecordStore<T> {
  private readonly dir: string;

  constructor(stateDir: string, kind: string) {
    this.dir = path.join(stateDir, kind);
  }

  private file(key: string): string {
    if (!/^[\w.-]+$/.test(key)) throw new Error(`invalid name '${key}' (use letters, digits, '.', '_' or '-')`);
    return path.join(this.dir, `${key}.json`);
  }

  get(key: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(key), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  put(key: string, value: T): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(key);
    const temp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(value, null, 2), { mode: 0o600 });
    fs.renameSync(temp, target);
  }

  remove(key: string): boolean {
    try {
      fs.unlinkSync(this.file(key));
      return true;
    } catch {
      return false;
    }
  }

  keys(): string[] {
    try {
      return fs
        .readdirSync(this.dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    } catch {
      return [];
    }
  }

  /** The next free integer key (job ids, like PowerShell's). */
  nextNumericKey(): string {
    const used = this.keys().map(Number).filter(Number.isInteger);
    return String(used.length ? Math.max(...used) + 1 : 1);
  }
}
