// The Remote Invoke language server: ssh_config files and Ansible inventories, over LSP.
// `node dist/server.js --stdio` (vscode-languageserver reads the transport from argv), so any
// editor can start it; the extension does through vscode-languageclient. Settings arrive as
// initializationOptions and in workspace/didChangeConfiguration (section `remoteInvoke`).
import { CodeLensRefreshRequest, createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SSH_CONFIG_LANGUAGE_ALIASES, type ServerSettings } from './protocol';
import { InventoryFeatures } from './inventoryFeatures';
import { SshConfigFeatures } from './sshConfigFeatures';
import { filePathOf, Workspace } from './workspace';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const workspace = new Workspace();
const sshConfig = new SshConfigFeatures(workspace);
const inventory = new InventoryFeatures(workspace);

type Kind = 'sshConfig' | 'inventory' | undefined;

/** What a document is: ssh_config by its language, an inventory when the settings list it. */
function kindOf(doc: TextDocument): Kind {
  if (SSH_CONFIG_LANGUAGE_ALIASES.includes(doc.languageId)) return 'sshConfig';
  const file = filePathOf(doc.uri);
  if (file && workspace.inventoryPaths.includes(file)) return 'inventory';
  return undefined;
}

let canRefreshLenses = false;

connection.onInitialize((params): InitializeResult => {
  workspace.configure(params.initializationOptions as ServerSettings | undefined);
  canRefreshLenses = !!params.capabilities.workspace?.codeLens?.refreshSupport;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: [' ', '=', ','] },
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'remote-invoke-language-server' },
  };
});

connection.onDidChangeConfiguration((params) => {
  const settings = (params.settings as { remoteInvoke?: ServerSettings } | undefined)?.remoteInvoke;
  if (settings) workspace.configure(settings);
  validateAll();
  if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
});

// Another file's edit can change this one's diagnostics (an Include, a duplicate Host across
// files, an inventory naming ssh_config aliases), so every open document is checked again: the
// edited one soon after typing pauses, the others once it has paused for longer (resolving a fleet
// of thousands of hosts takes a while, and each check of an inventory does it).
let pendingEdited: NodeJS.Timeout | undefined;
let pendingOthers: NodeJS.Timeout | undefined;
function validateAll(edited?: TextDocument): void {
  clearTimeout(pendingEdited);
  clearTimeout(pendingOthers);
  if (edited) pendingEdited = setTimeout(() => validate(edited), 100);
  pendingOthers = setTimeout(
    () => {
      for (const doc of documents.all()) if (doc !== edited) validate(doc);
    },
    edited ? 600 : 100,
  );
}

function validate(doc: TextDocument): void {
  const kind = kindOf(doc);
  let diagnostics: import('vscode-languageserver').Diagnostic[] = [];
  try {
    if (kind === 'sshConfig') diagnostics = sshConfig.diagnostics(doc);
    if (kind === 'inventory') diagnostics = inventory.diagnostics(doc);
  } catch (err) {
    connection.console.error(`diagnostics of ${doc.uri}: ${(err as Error).stack}`);
  }
  void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
}

documents.onDidOpen((e) => workspace.opened(e.document));
documents.onDidChangeContent((e) => {
  workspace.opened(e.document);
  workspace.changed();
  validateAll(e.document);
});
documents.onDidClose((e) => {
  workspace.closed(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  validateAll();
});

/** Runs a feature for a document of a kind; a feature that throws answers with nothing, and says why in the log. */
function handle<T>(uri: string, features: Partial<Record<NonNullable<Kind>, (doc: TextDocument) => T>>, empty: T): T {
  const doc = documents.get(uri);
  if (!doc) return empty;
  const kind = kindOf(doc);
  const feature = kind ? features[kind] : undefined;
  if (!feature) return empty;
  try {
    return feature(doc) ?? empty;
  } catch (err) {
    connection.console.error(`${uri}: ${(err as Error).stack}`);
    return empty;
  }
}

connection.onCompletion((p) =>
  handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.completion(doc, p.position), inventory: (doc) => inventory.completion(doc, p.position) }, []),
);
connection.onHover((p) =>
  handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.hover(doc, p.position) ?? null, inventory: (doc) => inventory.hover(doc, p.position) ?? null }, null),
);
connection.onDefinition((p) =>
  handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.definition(doc, p.position), inventory: (doc) => inventory.definition(doc, p.position) }, []),
);
connection.onReferences((p) =>
  handle(
    p.textDocument.uri,
    {
      sshConfig: (doc) => sshConfig.references(doc, p.position, p.context.includeDeclaration),
      inventory: (doc) => inventory.references(doc, p.position, p.context.includeDeclaration),
    },
    [],
  ),
);
connection.onDocumentSymbol((p) => handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.symbols(doc), inventory: (doc) => inventory.symbols(doc) }, []));
connection.onCodeAction((p) => handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.codeActions(doc, p), inventory: (doc) => inventory.codeActions(doc, p) }, []));
connection.onCodeLens((p) => handle(p.textDocument.uri, { sshConfig: (doc) => sshConfig.codeLenses(doc), inventory: (doc) => inventory.codeLenses(doc) }, []));

documents.listen(connection);
connection.listen();
