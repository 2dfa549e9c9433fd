// The `ansible_*` variables Ansible itself knows, so an inventory's typo (`ansible_prot`) can be
// told from a real variable the engine merely does not act on. Taken from `ansible-doc` of the
// ssh, paramiko_ssh and local connections, the sudo and su become plugins and the sh and
// powershell shells (ansible-core 2.14), plus the behavioural inventory parameters of Ansible's
// "How to build your inventory" guide.
import { CONNECTION_VARIABLES } from '../core/inventory/ansibleVariables';

const FROM_ANSIBLE = `
ansible_admin_users ansible_async ansible_async_dir ansible_become ansible_become_exe ansible_become_flags
ansible_become_method ansible_become_pass ansible_become_password ansible_become_user ansible_common_remote_group
ansible_connection ansible_control_path ansible_control_path_dir ansible_host ansible_host_key_checking
ansible_network_os ansible_paramiko_host ansible_paramiko_host_key_checking ansible_paramiko_pass
ansible_paramiko_password ansible_paramiko_use_rsa_sha2_algorithms ansible_paramiko_user ansible_password
ansible_pipelining ansible_port ansible_private_key_file ansible_python_interpreter ansible_remote_tmp
ansible_scp_executable ansible_scp_extra_args ansible_scp_if_ssh ansible_sftp_batch_mode ansible_sftp_executable
ansible_sftp_extra_args ansible_shell_allow_world_readable_temp ansible_shell_executable ansible_shell_type
ansible_ssh_args ansible_ssh_common_args ansible_ssh_executable ansible_ssh_extra_args ansible_ssh_host
ansible_ssh_host_key_checking ansible_ssh_pass ansible_ssh_password ansible_ssh_pipelining ansible_ssh_pkcs11_provider
ansible_ssh_port ansible_ssh_private_key_file ansible_ssh_retries ansible_ssh_timeout ansible_ssh_transfer_method
ansible_ssh_use_tty ansible_ssh_user ansible_sshpass_prompt ansible_su_exe ansible_su_flags ansible_su_pass
ansible_su_prompt_l10n ansible_su_user ansible_sudo_exe ansible_sudo_flags ansible_sudo_pass ansible_sudo_user
ansible_system_tmpdirs ansible_timeout ansible_user ansible_winrm_transport ansible_winrm_scheme ansible_winrm_port
`;

export const ANSIBLE_VARIABLES: ReadonlySet<string> = new Set(FROM_ANSIBLE.split(/\s+/).filter(Boolean));

/** What each variable the engine acts on does, for completion and hover. */
export const ENGINE_VARIABLE_DOCS: Record<string, string> = {
  ...Object.fromEntries(CONNECTION_VARIABLES.address.map((v) => [v, 'The address to connect to (wins over ssh_config `HostName`).'])),
  ...Object.fromEntries(CONNECTION_VARIABLES.port.map((v) => [v, 'The SSH port (wins over ssh_config `Port`).'])),
  ...Object.fromEntries(CONNECTION_VARIABLES.user.map((v) => [v, 'The user to log in as (wins over ssh_config `User`).'])),
  ...Object.fromEntries(CONNECTION_VARIABLES.identityFiles.map((v) => [v, 'A private key, tried before ssh_config `IdentityFile`s (like `ssh -i`).'])),
  ...Object.fromEntries(
    CONNECTION_VARIABLES.sshArgs.map((v) => [v, 'Extra ssh arguments; Remote Invoke uses `-o ProxyJump=`, `-o ProxyCommand=` and `-J` from them.']),
  ),
  ansible_shell_type: 'The remote shell: `sh` (a POSIX shell, the default) or `powershell`.',
  ansible_become: 'Run as another user through sudo (`true`/`false`).',
  ansible_become_user: 'The user to become (default root).',
  ansible_become_method: 'How to become that user (default sudo).',
  ansible_connection: 'Remote Invoke always connects over SSH; `ssh`, `smart` and `paramiko` are accepted, others are ignored.',
};
