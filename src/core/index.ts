// The engine's public surface: what the CLI, the extension, the tests and the benchmarks use.
export * from './types';
export { SshConfigFile, parseHostTarget, defaultSshConfigPath, type ResolvedHost, type HostTarget } from './inventory/sshConfig';
export { connect, type ConnectOptions } from './ssh/connect';
export { fingerprintSha256, KnownHosts, knownHostsName } from './ssh/knownHosts';
export { SharedCredentials } from './ssh/credentials';
export { invoke, DEFAULT_THROTTLE } from './invoke/invoke';
export type { InvokeRequest, InvokeRun, ScriptSource, ConnectionSettings } from './invoke/request';
export { planLaunch } from './invoke/interpreter';
export { SessionPool, HostSession, type SessionState } from './session/pool';
export { LineSplitter } from './output/lineSplitter';
export { HostOutputBuffer, type OutputLine } from './output/hostOutputBuffer';
