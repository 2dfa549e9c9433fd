/**
 * The fleet as a tree of groups and hosts, for the Hosts view (and anything else that shows
 * groups with check marks): which groups sit at the top, what each group holds, how many of a
 * group's hosts are checked, what a filter leaves visible, and a short name for a set of hosts
 * ("web (12), db1"). Pure data, no `vscode`: tested on its own and fast at thousands of hosts.
 *
 * A host may be in several groups; it is one host with one checked state wherever it appears.
 * Ansible's implicit groups `all` and `ungrouped` are not shown as groups: a host in no other
 * group is listed at the top level.
 */

export interface TreeHostInput {
  name: string;
  /** The groups the host is directly in (not the parents of those). */
  groups: readonly string[];
}

export interface TreeGroupInput {
  name: string;
  /** Child groups (Ansible `[g:children]`): their hosts are this group's hosts too. */
  children?: readonly string[];
}

export interface HostTreeInput {
  hosts: readonly TreeHostInput[];
  /** Groups with children, or groups that have no hosts yet; groups named by hosts need not be listed. */
  groups?: readonly TreeGroupInput[];
}

/** Implicit groups that every host, or every host without a group, is in. */
export const IMPLICIT_GROUPS: ReadonlySet<string> = new Set(['all', 'ungrouped']);

export type TreeEntry = { kind: 'group'; name: string } | { kind: 'host'; name: string };

/** all: every host of the group is checked; some: at least one but not all; none: no host, or no checked host. */
export type CheckState = 'all' | 'some' | 'none';

export interface GroupCheck {
  state: CheckState;
  checked: number;
  total: number;
}

export class HostTree {
  /** Host names in inventory order. */
  readonly hostNames: readonly string[];
  private readonly order = new Map<string, number>();
  private readonly childGroups = new Map<string, string[]>();
  private readonly directHosts = new Map<string, string[]>();
  private readonly groupsOfHost = new Map<string, string[]>();
  private readonly topGroups: string[];
  private readonly ungrouped: string[];
  private readonly allHostsCache = new Map<string, readonly string[]>();

  constructor(input: HostTreeInput) {
    const names: string[] = [];
    const groupOrder: string[] = [];
    const seenGroup = new Set<string>();
    const addGroup = (g: string) => {
      if (IMPLICIT_GROUPS.has(g) || seenGroup.has(g)) return;
      seenGroup.add(g);
      groupOrder.push(g);
      this.childGroups.set(g, []);
      this.directHosts.set(g, []);
    };
    for (const g of input.groups ?? []) addGroup(g.name);
    for (const h of input.hosts) {
      if (this.order.has(h.name)) continue;
      this.order.set(h.name, names.length);
      names.push(h.name);
      const own = [...new Set(h.groups.filter((g) => !IMPLICIT_GROUPS.has(g)))];
      this.groupsOfHost.set(h.name, own);
      for (const g of own) {
        addGroup(g);
        this.directHosts.get(g)!.push(h.name);
      }
    }
    const isChild = new Set<string>();
    for (const g of input.groups ?? []) {
      if (IMPLICIT_GROUPS.has(g.name)) continue;
      const kids = this.childGroups.get(g.name)!;
      for (const c of g.children ?? []) {
        if (IMPLICIT_GROUPS.has(c) || c === g.name || kids.includes(c)) continue;
        addGroup(c);
        kids.push(c);
        isChild.add(c);
      }
    }
    this.hostNames = names;
    // A group that is only someone's child shows under its parent; a cycle of children with no
    // outside parent would vanish, so its first member is shown at the top.
    this.topGroups = groupOrder.filter((g) => !isChild.has(g));
    const reachable = new Set<string>();
    const visit = (g: string) => {
      if (reachable.has(g)) return;
      reachable.add(g);
      for (const c of this.childGroups.get(g) ?? []) visit(c);
    };
    this.topGroups.forEach(visit);
    for (const g of groupOrder) {
      if (!reachable.has(g)) {
        this.topGroups.push(g);
        visit(g);
      }
    }
    this.ungrouped = names.filter((n) => !this.groupsOfHost.get(n)!.length);
  }

  get groupNames(): string[] {
    return [...this.childGroups.keys()];
  }

  hasGroup(name: string): boolean {
    return this.childGroups.has(name);
  }

  hasHost(name: string): boolean {
    return this.order.has(name);
  }

  /** Top level: groups nobody contains, then hosts in no group. */
  roots(): TreeEntry[] {
    return [...this.topGroups.map((name) => ({ kind: 'group' as const, name })), ...this.ungrouped.map((name) => ({ kind: 'host' as const, name }))];
  }

  /** A group's child groups, then the hosts directly in it. */
  children(group: string): TreeEntry[] {
    return [
      ...(this.childGroups.get(group) ?? []).map((name) => ({ kind: 'group' as const, name })),
      ...(this.directHosts.get(group) ?? []).map((name) => ({ kind: 'host' as const, name })),
    ];
  }

  /** The groups a host is directly in. */
  groupsOf(host: string): readonly string[] {
    return this.groupsOfHost.get(host) ?? [];
  }

  /** Every host of a group, its child groups' included, each once, in inventory order. */
  hostsOf(group: string): readonly string[] {
    const cached = this.allHostsCache.get(group);
    if (cached) return cached;
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (g: string) => {
      if (seen.has(g)) return;
      seen.add(g);
      for (const h of this.directHosts.get(g) ?? []) found.add(h);
      for (const c of this.childGroups.get(g) ?? []) walk(c);
    };
    walk(group);
    const hosts = [...found].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    this.allHostsCache.set(group, hosts);
    return hosts;
  }

  /** How many of a group's hosts are checked. */
  groupCheck(group: string, checked: ReadonlySet<string>): GroupCheck {
    const hosts = this.hostsOf(group);
    let n = 0;
    for (const h of hosts) if (checked.has(h)) n++;
    return { state: n === 0 ? 'none' : n === hosts.length ? 'all' : 'some', checked: n, total: hosts.length };
  }

  /** Groups that contain the host, directly or through child groups (the rows to redraw when it changes). */
  ancestorsOf(host: string): string[] {
    const parents = (this.parentsCache ??= this.parentGroups());
    const found = new Set<string>();
    const up = (g: string) => {
      if (found.has(g)) return;
      found.add(g);
      for (const p of parents.get(g) ?? []) up(p);
    };
    for (const g of this.groupsOf(host)) up(g);
    return [...found];
  }

  private parentsCache: Map<string, string[]> | undefined;

  private parentGroups(): Map<string, string[]> {
    const parents = new Map<string, string[]>();
    for (const [g, kids] of this.childGroups) for (const c of kids) parents.set(c, [...(parents.get(c) ?? []), g]);
    return parents;
  }

  /** Hosts in inventory order, without duplicates and unknown names. */
  sortHosts(names: Iterable<string>): string[] {
    return [...new Set(names)].filter((n) => this.order.has(n)).sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  /** What a filter leaves visible; see HostFilter. */
  filter(text: string, extraText?: (host: string) => string, selected?: ReadonlySet<string>): HostFilter {
    return new HostFilter(this, text, extraText, selected);
  }

  /**
   * A short name for a set of hosts: the largest groups that are wholly in the set, then the
   * hosts not covered by them. For progress titles and confirmations ("web (12), db1").
   */
  describe(hosts: readonly string[], maxParts = 6): TargetDescription {
    const set = new Set(hosts);
    const covered = new Set<string>();
    const groups: string[] = [];
    // Largest first, so a parent that is wholly checked names its children's hosts at once.
    const candidates = this.groupNames
      .map((g) => ({ g, hosts: this.hostsOf(g) }))
      .filter(({ hosts }) => hosts.length > 1 && hosts.every((h) => set.has(h)))
      .sort((a, b) => b.hosts.length - a.hosts.length);
    for (const { g, hosts } of candidates) {
      if (hosts.every((h) => covered.has(h))) continue;
      groups.push(g);
      for (const h of hosts) covered.add(h);
    }
    const loose = hosts.filter((h) => !covered.has(h));
    const parts = [...groups.map((g) => `${g} (${this.hostsOf(g).length})`), ...loose];
    const shown = parts.slice(0, maxParts);
    const more = parts.length - shown.length;
    const count = set.size;
    return {
      count,
      groups,
      hosts: loose,
      text: `${count} host${count === 1 ? '' : 's'}: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    };
  }
}

export interface TargetDescription {
  /** Distinct hosts. */
  count: number;
  /** Groups all of whose hosts are in the set (largest first). */
  groups: string[];
  /** Hosts not in one of those groups. */
  hosts: string[];
  /** "14 hosts: web (12), db1, db2". */
  text: string;
}

/**
 * The part of a tree a filter text leaves. A group whose name contains the text (or matches it
 * as a glob, with `*` or `?`) shows with everything in it. Elsewhere a host shows when its own
 * name (or extra text, e.g. its address) matches, under each of its groups and their parents.
 * Case-insensitive. Empty: everything.
 */
export class HostFilter {
  private readonly test: (s: string) => boolean;
  /** Hosts that match by their own name or extra text. */
  private readonly matchedHosts = new Set<string>();
  private readonly matchedGroups = new Set<string>();
  private readonly visibleGroups = new Set<string>();
  readonly active: boolean;

  constructor(
    private readonly tree: HostTree,
    readonly text: string,
    extraText?: (host: string) => string,
    /** The hosts a target pattern (`web:&prod`) selected: they match, and nothing else does. */
    selected?: ReadonlySet<string>,
  ) {
    const t = text.trim().toLowerCase();
    this.active = t.length > 0;
    if (/[*?]/.test(t)) {
      const re = new RegExp('^' + t.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      this.test = (s) => re.test(s.toLowerCase());
    } else {
      this.test = (s) => s.toLowerCase().includes(t);
    }
    if (!this.active) return;
    if (selected) {
      for (const h of tree.hostNames) if (selected.has(h)) this.matchedHosts.add(h);
    } else {
      for (const h of tree.hostNames) if (this.test(h) || (extraText && this.test(extraText(h)))) this.matchedHosts.add(h);
      for (const g of tree.groupNames) if (this.test(g)) this.matchedGroups.add(g);
    }
    // A group shows when it matches, holds a matching host, or holds (at any depth) a matching group.
    const shows = new Map<string, boolean>();
    const visit = (g: string, path: Set<string>): boolean => {
      const known = shows.get(g);
      if (known !== undefined) return known;
      if (path.has(g)) return false;
      path.add(g);
      let show = this.matchedGroups.has(g) || tree.hostsOf(g).some((h) => this.matchedHosts.has(h));
      for (const c of tree.children(g)) if (c.kind === 'group' && visit(c.name, path)) show = true;
      path.delete(g);
      shows.set(g, show);
      return show;
    };
    for (const g of tree.groupNames) if (visit(g, new Set())) this.visibleGroups.add(g);
  }

  showsGroup(name: string): boolean {
    return !this.active || this.visibleGroups.has(name);
  }

  /** Within a group whose own name matched, everything shows. */
  showsAllOf(group: string): boolean {
    return !this.active || this.matchedGroups.has(group);
  }

  /** The entries to show for a level of the tree (roots when group is undefined). */
  entries(group?: string): TreeEntry[] {
    const all = group === undefined ? this.tree.roots() : this.tree.children(group);
    if (!this.active || (group !== undefined && this.showsAllOf(group))) return all;
    return all.filter((e) => (e.kind === 'group' ? this.showsGroup(e.name) : this.matchedHosts.has(e.name)));
  }

  /** The hosts shown under a group (roots when undefined), at any depth, each once, in inventory order. */
  hostsShownUnder(group?: string): string[] {
    if (!this.active) return group === undefined ? [...this.tree.hostNames] : [...this.tree.hostsOf(group)];
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (g: string | undefined) => {
      if (g !== undefined) {
        if (seen.has(g)) return;
        seen.add(g);
        if (this.showsAllOf(g)) {
          for (const h of this.tree.hostsOf(g)) found.add(h);
          return;
        }
      }
      for (const e of this.entries(g)) {
        if (e.kind === 'host') found.add(e.name);
        else walk(e.name);
      }
    };
    walk(group);
    return this.tree.sortHosts(found);
  }

  /** Every host the filter shows, in inventory order. */
  hosts(): string[] {
    return this.hostsShownUnder(undefined);
  }
}
