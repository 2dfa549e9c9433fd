import * as assert from 'node:assert';
import * as vscode from 'vscode';

describe('extension host', () => {
  it('runs inside a real VS Code', () => {
    assert.match(vscode.version, /^1\.\d+/);
  });
});
