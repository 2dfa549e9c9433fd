import * as assert from 'assert';
import { startTestBed, type TestBed } from '../support/sshd';
import { collect, configWithAlias, show } from './helpers/engine';

/** `via` reaches host2 only through host1 (ProxyJump); host1 of the second bed refuses forwarding. */
const jumpConfig = (bed: TestBed) => configWithAlias(bed, 'via', bed.hosts[1], 'ProxyJump host1');

describe('ProxyJump (real sshd)', () => {
  let open: TestBed;
  let closed: TestBed;
  before(async () => {
    open = await startTestBed({ count: 2 });
    closed = await startTestBed({ count: 2, extraSshdConfig: 'AllowTcpForwarding no' });
  });
  after(async () => {
    await open?.stop();
    await closed?.stop();
  });

  it('reaches a host through its jump host', async () => {
    const c = await collect({ sshConfig: jumpConfig(open), script: { text: 'echo through' }, targets: ['via'] });
    assert.strictEqual(c.result('via').status, 'Completed', show(c));
    assert.deepStrictEqual(c.lines('via'), ['through']);
  });

  it('goes through the jump host, not around it: a jump host that refuses forwarding makes the target Unreachable', async () => {
    const c = await collect({ sshConfig: jumpConfig(closed), script: { text: 'echo through' }, targets: ['via', 'host2'] });
    assert.strictEqual(c.result('via').status, 'Unreachable', show(c));
    assert.match(c.result('via').error ?? '', /jump host/);
    assert.strictEqual(c.result('host2').status, 'Completed', 'the same host reached directly works');
  });
});
