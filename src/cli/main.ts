import { hostsCommand } from './hosts';
import { jobCommand } from './job';
import { runCommand } from './run';
import { sessionCommand } from './session';
import { testCommand } from './test';
import { EXIT, HELP, UsageError } from './usage';

declare const PACKAGE_VERSION: string | undefined;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'session':
      return sessionCommand(rest);
    case 'job':
      return jobCommand(rest);
    case 'test':
      return testCommand(rest);
    case 'hosts':
      return hostsCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`remote-invoke: ${err instanceof UsageError ? '' : 'internal error: '}${err.message}\n`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : 70;
  },
);
