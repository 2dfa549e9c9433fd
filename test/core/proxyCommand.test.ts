/**
 * ProxyCommand against real sshd: the connection runs through a local relay started as OpenSSH
 * would (`sh -c 'exec …'`, %h/%p/%r/%n expanded); a proxy that fails says why; the relay does not
 * outlive the connection.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SshConfigFile } from '../../src/core';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, configWithAlias, isLive, show, tmpDir, waitFor } from './helpers/engine';

/** A TCP relay on stdin/stdout that records its arguments and pid. */
const RELAY = `
const fs = require('fs');
const net = require('net');
const [log, host, port, ...rest] = process.argv.slice(2);
fs.appendFileSync(log, JSON.stringify({ pid: process.pid, host, port, rest }) + '\\n');
const s = net.connect(Number(port), host);
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('error', (e) => { process.stderr.write('relay: ' + e.message + '\\n'); process.exit(2); });
`;

describe('ProxyCommand (real sshd)', () => {
  let bed: TestBed;
  let work: string;
  let relay: string;
  let log: string;
  before(async () => {
    bed = await startTestBed({ count: 2 });
    work = tmpDir('proxycommand');
    relay = path.join(work, 'relay.js');
    log = path.join(work, 'relay.log');
    fs.writeFileSync(relay, RELAY);
  });
  after(async () => {
    await bed?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** `through` reaches host1's address only by its ProxyCommand; the rest of the bed's config follows. */
  const config = (proxyCommand: string) => configWithAlias(bed, 'through', bed.hosts[0], `ProxyCommand ${proxyCommand}`);

  const relayLog = () =>
    fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; host: string; port: string; rest: string[] }) : [];

  it('resolves with its tokens expanded, as OpenSSH does', () => {
    const host = config(`"${process.execPath}" relay %h %p %r %n 100%%`).resolve('through');
    assert.strictEqual(host.proxyCommand, `"${process.execPath}" relay ${bed.hosts[0].address} ${bed.hosts[0].port} ${bed.user} through 100%`);
    assert.strictEqual(config('none').resolve('through').proxyCommand, undefined);
    // the rest of the line, verbatim: quotes and separators are the shell's business
    const verbatim = `sh -c 'echo "a; b" >&2' -- "%h" x=1`;
    assert.strictEqual(config(verbatim).resolve('through').proxyCommand, verbatim.replace('%h', bed.hosts[0].address));
    assert.strictEqual(SshConfigFile.fromText('Host q\n  ProxyCommand=nc %h %p\r\n').resolve('q').proxyCommand, 'nc q 22');
  });

  it('carries the connection through the command; the host key is still checked; the relay ends with the run', async () => {
    fs.rmSync(log, { force: true });
    const c = await collect({
      sshConfig: config(`"${process.execPath}" "${relay}" "${log}" %h %p %r %n`),
      script: { text: 'echo "through $SSH_CONNECTION"' },
      targets: ['through', 'host2'],
    });
    assert.strictEqual(c.result('through').status, 'Completed', show(c));
    assert.match(c.lines('through')[0], /^through 127\./);
    assert.strictEqual(c.result('host2').status, 'Completed');
    const [entry] = relayLog();
    assert.deepStrictEqual([entry.host, entry.port, entry.rest], [bed.hosts[0].address, String(bed.hosts[0].port), [bed.user, 'through']]);
    assert.ok(await waitFor(() => !isLive(entry.pid), 3000), 'the ProxyCommand outlived its connection');
  });

  it("a failing command makes that host Unreachable with the command's own words; the others carry on", async () => {
    const c = await collect({
      sshConfig: config(`sh -c 'echo "bastion says no" >&2; exit 3'`),
      script: { text: 'echo hi' },
      targets: ['through', 'host2'],
    });
    const r = c.result('through');
    assert.strictEqual(r.status, 'Unreachable', show(c));
    assert.match(r.error ?? '', /ProxyCommand .* exited with code 3: bastion says no/);
    assert.strictEqual(c.result('host2').status, 'Completed');
  });

  it('a command that hangs times out, and is stopped', async () => {
    const pidFile = path.join(work, 'hang.pid');
    const c = await collect({
      sshConfig: config(`sh -c 'echo $$ > "${pidFile}"; exec sleep 60'`),
      script: { text: 'echo hi' },
      targets: ['through'],
      connectTimeoutMs: 1500,
    });
    assert.strictEqual(c.result('through').status, 'Unreachable', show(c));
    assert.match(c.result('through').error ?? '', /timed out/);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    assert.ok(await waitFor(() => !isLive(pid), 3000), 'the hanging ProxyCommand was left running');
  });

  it('a command that does not exist is reported as such', async () => {
    const c = await collect({ sshConfig: config('/nonexistent/proxy %h %p'), script: { text: 'echo hi' }, targets: ['through'] });
    assert.strictEqual(c.result('through').status, 'Unreachable', show(c));
    assert.match(c.result('through').error ?? '', /ProxyCommand `\/nonexistent\/proxy .*` exited with code 127: .*not found/);
  });
});
