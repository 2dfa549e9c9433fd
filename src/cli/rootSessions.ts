import type { NamedSessionRecord } from '../core';

// A root session (`run --session NAME --sudo`, `session new NAME --sudo`) is the root half of the
// named session NAME: on each host its own durable shell, started once under sudo, with its own
// state. It is kept in NAME's record (`rootShells`) beside the user's own shells (`shells`), so
// `--session NAME` and `--session NAME --sudo` are two sessions that never share a shell, and
// `session remove NAME` removes both. Each process saves only its own half of the record.

/** The root half of a stored record, shaped as a record of its own, and how to merge it back. */
export function rootView(stored: NamedSessionRecord, latest: () => NamedSessionRecord | undefined) {
  const record: NamedSessionRecord = {
    name: stored.name,
    createdAt: stored.createdAt,
    hosts: [...stored.hosts],
    shells: { ...(stored.rootShells ?? {}) },
    ...(stored.rootPwshShells ? { pwshShells: { ...stored.rootPwshShells } } : {}),
    ...(stored.reach ? { reach: stored.reach } : {}),
  };
  const merged = (view: NamedSessionRecord): NamedSessionRecord => {
    const base = latest() ?? stored;
    const hosts = [...base.hosts, ...view.hosts.filter((h) => !base.hosts.includes(h))];
    return { ...base, hosts, reach: view.reach ?? base.reach, rootShells: view.shells, rootPwshShells: view.pwshShells };
  };
  return { record, merged };
}

/** The user's half saved back without touching the root half another process may have moved on. */
export function userMerge(latest: () => NamedSessionRecord | undefined) {
  return (view: NamedSessionRecord): NamedSessionRecord => {
    const now = latest();
    const { rootShells, rootPwshShells, ...mine } = view;
    void rootShells;
    void rootPwshShells;
    return { ...mine, ...(now?.rootShells ? { rootShells: now.rootShells } : {}), ...(now?.rootPwshShells ? { rootPwshShells: now.rootPwshShells } : {}) };
  };
}
