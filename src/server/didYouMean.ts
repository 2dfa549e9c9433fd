// "Did you mean": a diagnostic on a misspelt name carries the closest real names, and its quick
// fixes replace the name with each of them (the closest one preferred).
import { CodeAction, CodeActionKind, DiagnosticSeverity, TextEdit, type CodeActionParams, type Diagnostic, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DIAGNOSTIC_SOURCE } from './protocol';
import { closestNames } from './sshKeywords';

interface Suggestions {
  suggestions: string[];
}

/** A diagnostic for `name` at `range`: "<message>. Did you mean 'x'?" with the suggestions as data. */
export function misspelt(range: Range, severity: DiagnosticSeverity, code: string, message: string, name: string, known: Iterable<string>): Diagnostic {
  const suggestions = closestNames(name, known);
  return {
    range,
    severity,
    code,
    source: DIAGNOSTIC_SOURCE,
    message: `${message}${suggestions.length ? ` Did you mean '${suggestions[0]}'?` : ''}`,
    data: { suggestions } satisfies Suggestions,
  };
}

/** The "Change to 'x'" fixes of the diagnostics with one of `codes`. */
export function renameFixes(doc: TextDocument, params: CodeActionParams, codes: string[]): CodeAction[] {
  return params.context.diagnostics.flatMap((d) => {
    if (!codes.includes(String(d.code))) return [];
    const suggestions = (d.data as Suggestions | undefined)?.suggestions ?? [];
    return suggestions.map((s, i) => {
      const action = CodeAction.create(`Change to '${s}'`, { changes: { [doc.uri]: [TextEdit.replace(d.range, s)] } }, CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.isPreferred = i === 0;
      return action;
    });
  });
}
