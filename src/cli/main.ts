import { installBrokenPipeExit, isGone, stdoutClosed } from './brokenPipe';
import { parseCommandArgs } from './common';
import { HOSTS_OPTIONS, hostsCommand } from './hosts';
import { JOB_OPTIONS, jobCommand } from './job';
import { RUN_OPTIONS, runCommand } from './run';
import { SESSION_OPTIONS, sessionCommand } from './session';
import { TEST_OPTIONS, testCommand } from './test';
import { COMMAND_HELP, commandHelp, EXIT, HELP, UsageError } from './usage';
import { holderMain } from './holder';

declare const PACKAGE_VERSION: string | undefined;

const COMMANDS: Record<string, { options: Record<string, unknown>; run(argv: string[]): Promise<number>; actions: boolean }> = {
  run: { options: RUN_OPTIONS, run: runCommand, actions: false },
  session: { options: SESSION_OPTIONS, run: sessionCommand, actions: true },
  job: { options: JOB_OPTIONS, run: jobCommand, actions: true },
  test: { options: TEST_OPTIONS, run: testCommand, actions: false },
  hosts: { options: HOSTS_OPTIONS, run: hostsCommand, actions: false },
};

function printHelp(key: string): number {
  const help = COMMAND_HELP[key];
  if (!help) throw new UsageError(`no help for '${key}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
  process.stdout.write(commandHelp(key, COMMANDS[key.split(' ')[0]].options));
  return EXIT.ok;
}

/** The help key `argv` asks for with -h/--help (`run`, `job`, `job receive`), or undefined. */
function helpAsked(command: string, argv: string[]): string | undefined {
  const { actions, options } = COMMANDS[command];
  const [first, ...rest] = argv;
  if (actions && (first === '-h' || first === '--help')) return command;
  let values;
  try {
    ({ values } = parseCommandArgs(actions ? rest : argv, options as never));
  } catch {
    return undefined; // the command itself reports the bad flag
  }
  if (!values.help) return undefined;
  return actions && COMMAND_HELP[`${command} ${first}`] ? `${command} ${first}` : command;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const known = command !== undefined ? COMMANDS[command] : undefined;
  if (known) {
    const help = helpAsked(command, rest);
    return help ? printHelp(help) : known.run(rest);
  }
  switch (command) {
    case 'help':
      if (rest.length) return printHelp(rest.join(' '));
      process.stdout.write(HELP);
      return EXIT.ok;
    case '__holder': // a named session's warm connections, started by the CLI itself (holder.ts)
      return holderMain(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    case '-V':
    case '--version':
      process.stdout.write(`${typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'dev'}\n`);
      return EXIT.ok;
    default:
      throw new UsageError(`unknown command '${command}' (try 'remote-invoke --help')`);
  }
}

/**
 * Exits as soon as every result is out, instead of letting the event loop drain: that would wait
 * for each server's FIN after our connections' end, one round trip per run for nothing. Durable
 * shells and saved records need nothing more from us by now.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  for (const stream of [process.stdout, process.stderr]) {
    if (isGone(stream)) done();
    else stream.write('', () => done());
  }
}

installBrokenPipeExit();
main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(stdoutClosed.aborted ? EXIT.brokenPipe : code),
  (err: Error) => {
    process.stderr.write(`remote-invoke: ${err instanceof UsageError ? '' : 'internal error: '}${err.message}\n`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : 70;
  },
);
