#!/bin/sh
# vscodeExecutablePath for @vscode/test-electron's runTests() where desktop VS Code is absent:
# takes VS Code's arguments and runs them in code-server + headless Chromium (launcher.ts).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../node_modules/.bin/tsx" "$here/launcher.ts" "$@"
