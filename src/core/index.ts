// The engine's public surface: what the CLI, the extension, the tests and the benchmarks use.
export * from './types';
export { SshConfigFile, parseHostTarget, defaultSshConfigPath, type ResolvedHost, type HostTarget } from './inventory/sshConfig';
export { connect, connectByName, type ConnectOptions } from './ssh/connect';
export { AGENT_FORWARDING_WARNING, forwardedAgent } from './ssh/connect';
export { fingerprintSha256, KnownHosts, knownHostsName } from './ssh/knownHosts';
export { SharedCredentials } from './ssh/credentials';
export { invoke, DEFAULT_THROTTLE } from './invoke/invoke';
export type { InvokeRequest, InvokeRun, ScriptSource, ConnectionSettings } from './invoke/request';
export { planLaunch } from './invoke/interpreter';
export { SessionPool, HostSession, type SessionState, type PooledSession } from './session/pool';
export { LineSplitter } from './output/lineSplitter';
export { HostOutputBuffer, type OutputLine } from './output/hostOutputBuffer';
export { defaultStateDir, RecordStore } from './state/stateStore';
export { SessionStore, type NamedSessionRecord } from './state/sessionStore';
export { captureReach, reachSettings, type ReachRecord } from './state/reach';
export {
  JobStore,
  JOB_STATES,
  jobState,
  startJob,
  refreshJob,
  receiveJob,
  stopJob,
  removeJob,
  connector,
  type JobRecord,
  type JobChild,
  type JobState,
  type ReceivedLine,
  type ReceivedObject,
} from './jobs/jobs';
export {
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  queryStatus,
  execCommand,
  removeCommand,
  type DurableShellRecord,
  type RemoteStatus,
} from './session/durable';
export type { SessionOptions } from './session/pool';
export {
  parseBatchSpec,
  parseFailureBudget,
  planBatches,
  type BatchSize,
  type FailureBudget,
  type RolloutReport,
  type StoppedBy,
} from './invoke/rollout';
export { testConnection, type TestConnectionRequest, type TestConnectionResult, type TestHostKey } from './invoke/testConnection';
export { checkBecomeUser, type BecomeOptions } from './session/become';
// The fleet: hosts and groups from ssh_config (Tag) and Ansible INI/YAML inventories, with provenance.
export * from './inventory/model';
export { Fleet, loadFleet, parseInventory, inventoryFormat, loadVarsDirectories } from './inventory/fleet';
export { parseIniInventory } from './inventory/iniInventory';
export { parseYamlInventory, parseVarsFile } from './inventory/yamlInventory';
export { expandHostRange, hasHostRange, HostRangeError } from './inventory/hostRange';
export { interpretVariable, parseSshArgs, ansibleBoolean, PLAIN_SECRET_VARIABLES, CONNECTION_VARIABLES } from './inventory/ansibleVariables';
export { scanSshConfig, hostPatternsMatch, firstApplying, SshConfigIndex, type SshConfigDirective } from './inventory/sshConfigSources';
export type { HostOverrides } from './inventory/sshConfig';
export { resolvePattern, splitPattern, PatternError, type PatternScope, type PatternOptions, type PatternTerm, type PatternTermKind, type PatternOperator } from './inventory/patterns';
export { LastRunStore, failedHostsOf, type LastRunRecord } from './state/lastRun';
export { selectTargets } from './targets';
// The fleet as a checkable tree (the Hosts view), and byte-exact group edits of INI inventories.
export { HostTree, HostFilter, IMPLICIT_GROUPS, type CheckState, type GroupCheck, type TreeEntry, type TargetDescription } from './inventory/hostTree';
export {
  iniAddGroup,
  iniAddHosts,
  iniRemoveHosts,
  iniGroupHosts,
  iniHasGroup,
  validateGroupName,
  validateHostName,
  InventoryEditError,
} from './inventory/iniEdit';
export { PASSWORD_ATTEMPTS, describeAuthAttempts } from './ssh/connect';
export { hostConfigProblems } from './ssh/configProblems';
export { HandshakeGate, MAX_IN_FLIGHT } from './invoke/handshakeGate';
export type { LineTag } from './session/protocol';
export { jsonObjectLine, parseJson } from './output/jsonLines';
