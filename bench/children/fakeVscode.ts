// A minimal stand-in for the `vscode` module, enough for activate() to run under plain node:
// the handful of classes the extension constructs behave (events fire, disposables dispose,
// Uris join), everything else is an inert stub that records that it was touched. It measures
// the extension's own activation cost; VS Code's own work around it is not in the number.

type Listener = (e: unknown) => unknown;

export const touched = new Map<string, number>();

function touch(name: string): void {
  touched.set(name, (touched.get(name) ?? 0) + 1);
}

class Disposable {
  constructor(private readonly callOnDispose: () => unknown = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}

class EventEmitter<T> {
  private listeners = new Set<Listener>();
  event = (listener: (e: T) => unknown): Disposable => {
    this.listeners.add(listener as Listener);
    return new Disposable(() => this.listeners.delete(listener as Listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', '', p, '', '');
  }
  static parse(s: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(s);
    return m ? new Uri(m[1], m[2] ?? '', m[3] ?? '', m[4] ?? '', m[5] ?? '') : Uri.file(s);
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return base.with({ path: [base.path.replace(/\/$/, ''), ...parts].join('/') });
  }
  get fsPath(): string {
    return this.path;
  }
  with(c: Partial<{ scheme: string; authority: string; path: string; query: string; fragment: string }>): Uri {
    return new Uri(c.scheme ?? this.scheme, c.authority ?? this.authority, c.path ?? this.path, c.query ?? this.query, c.fragment ?? this.fragment);
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path };
  }
}

class ThemeIcon {
  static File = new ThemeIcon('file');
  static Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: unknown,
  ) {}
}
class ThemeColor {
  constructor(readonly id: string) {}
}
class TreeItem {
  [key: string]: unknown;
  constructor(
    labelOrUri: unknown,
    readonly collapsibleState?: number,
  ) {
    if (typeof labelOrUri === 'string') this.label = labelOrUri;
    else this.resourceUri = labelOrUri;
  }
}
class MarkdownString {
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  constructor(public value = '') {}
  appendMarkdown(s: string): this {
    this.value += s;
    return this;
  }
  appendText(s: string): this {
    this.value += s;
    return this;
  }
  appendCodeblock(s: string): this {
    this.value += '\n```\n' + s + '\n```\n';
    return this;
  }
}
class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

/** Anything not modelled: callable, constructible, awaitable to itself-free, iterable as empty. */
function stub(name: string): unknown {
  const target = function () {
    /* stub */
  };
  const assigned = new Map<PropertyKey, unknown>(); // what the extension set on it (label, text, ...)
  return new Proxy(target, {
    set(_t, prop, value) {
      assigned.set(prop, value);
      return true;
    },
    get(_t, prop) {
      if (assigned.has(prop)) return assigned.get(prop);
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'dispose') return () => undefined;
      if (typeof prop === 'symbol') return undefined;
      if (prop === 'length') return 0;
      const child = `${name}.${prop}`;
      touch(child);
      if (/^onDid|^onWill/.test(prop)) return () => new Disposable();
      return stub(child);
    },
    apply() {
      return stub(`${name}()`);
    },
    construct() {
      return stub(`new ${name}`) as object;
    },
  });
}

/** A namespace: real members where given, stubs for the rest. */
function namespace(name: string, real: Record<string, unknown>): unknown {
  return new Proxy(real, {
    get(t, prop) {
      if (typeof prop === 'symbol') return undefined;
      if (prop in t) return t[prop];
      const child = `${name}.${prop}`;
      touch(child);
      if (/^onDid|^onWill/.test(prop)) return () => new Disposable();
      return stub(child);
    },
  });
}

/** Enums: each unknown member gets a distinct number. */
function enumLike(name: string, known: Record<string, number> = {}): unknown {
  let next = 100;
  return new Proxy({ ...known } as Record<string, number>, {
    get(t, prop) {
      if (typeof prop === 'symbol') return undefined;
      if (!(prop in t)) t[prop] = next++;
      touch(`${name}.${prop}`);
      return t[prop];
    },
  });
}

const configuration = {
  get: (_key: string, fallback?: unknown) => fallback,
  has: () => false,
  inspect: () => undefined,
  update: async () => undefined,
};

const memento = () => {
  const values = new Map<string, unknown>();
  return {
    get: (k: string, d?: unknown) => (values.has(k) ? values.get(k) : d),
    update: async (k: string, v: unknown) => void values.set(k, v),
    keys: () => [...values.keys()],
    setKeysForSync: () => undefined,
  };
};

export function makeVscode(): Record<string, unknown> {
  const registered: string[] = [];
  const vscode: Record<string, unknown> = {
    version: '1.100.3',
    Disposable,
    EventEmitter,
    Uri,
    ThemeIcon,
    ThemeColor,
    TreeItem,
    MarkdownString,
    Position,
    Range,
    TreeItemCollapsibleState: enumLike('TreeItemCollapsibleState', { None: 0, Collapsed: 1, Expanded: 2 }),
    TreeItemCheckboxState: enumLike('TreeItemCheckboxState', { Unchecked: 0, Checked: 1 }),
    ViewColumn: enumLike('ViewColumn', { Active: -1, Beside: -2, One: 1, Two: 2 }),
    StatusBarAlignment: enumLike('StatusBarAlignment', { Left: 1, Right: 2 }),
    ProgressLocation: enumLike('ProgressLocation', { SourceControl: 1, Window: 10, Notification: 15 }),
    ConfigurationTarget: enumLike('ConfigurationTarget', { Global: 1, Workspace: 2, WorkspaceFolder: 3 }),
    commands: namespace('commands', {
      registerCommand: (id: string) => {
        registered.push(id);
        return new Disposable();
      },
      executeCommand: async () => undefined,
      getCommands: async () => registered,
    }),
    window: namespace('window', {
      activeTextEditor: undefined,
      visibleTextEditors: [],
      terminals: [],
    }),
    workspace: namespace('workspace', {
      getConfiguration: () => configuration,
      workspaceFolders: undefined,
      textDocuments: [],
      onDidChangeConfiguration: () => new Disposable(),
    }),
    env: namespace('env', { appName: 'fake', language: 'en', uiKind: 1 }),
    extensions: namespace('extensions', {}),
    languages: namespace('languages', {}),
    registeredCommands: registered,
  };
  return vscode;
}

export function fakeContext(extensionPath: string): Record<string, unknown> {
  const secrets = new Map<string, string>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionPath,
    extensionUri: Uri.file(extensionPath),
    globalState: memento(),
    workspaceState: memento(),
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: () => new Disposable(),
    },
    storageUri: Uri.file(extensionPath + '/.storage'),
    globalStorageUri: Uri.file(extensionPath + '/.global-storage'),
    logUri: Uri.file(extensionPath + '/.log'),
    storagePath: extensionPath + '/.storage',
    globalStoragePath: extensionPath + '/.global-storage',
    logPath: extensionPath + '/.log',
    extensionMode: 1,
    environmentVariableCollection: stub('context.environmentVariableCollection'),
    asAbsolutePath: (p: string) => `${extensionPath}/${p}`,
  };
}
