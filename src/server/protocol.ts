// What the language server and the extension's client share. No `vscode` and no server imports:
// both sides (and other editors' configurations) read these names.

/** The language id of ssh_config files (the configured one, its Includes, `**\/.ssh/config`). */
export const SSH_CONFIG_LANGUAGE = 'remote-invoke-ssh-config';

/** Language ids the server also accepts as ssh_config (other editors and extensions use these). */
export const SSH_CONFIG_LANGUAGE_ALIASES = [SSH_CONFIG_LANGUAGE, 'ssh_config', 'sshconfig'];

/**
 * The client-side command a code lens runs: the active script on the hosts of a group or tag.
 * Arguments: one RunOnHostsArgs.
 */
export const RUN_ON_HOSTS_COMMAND = 'remoteInvoke.runActiveFileOnHosts';

export interface RunOnHostsArgs {
  /** The group or tag the lens stands on. */
  group: string;
  hosts: string[];
}

/**
 * `initializationOptions` and the `remoteInvoke` section of workspace/didChangeConfiguration.
 * Every field is optional: without them the server reads `~/.ssh/config` and no inventories.
 */
export interface ServerSettings {
  /** The ssh_config the hosts come from; its Includes belong to it. */
  sshConfigFile?: string;
  /** Ansible inventories (INI or YAML). */
  inventoryFiles?: string[];
  /** Where the engine keeps its records (last runs); default as the engine has it. */
  stateDir?: string;
}

/** `source` of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'remote-invoke';
