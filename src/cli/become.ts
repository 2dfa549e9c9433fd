import { checkBecomeUser, type BecomeOptions } from '../core';
import { UsageError } from './usage';

/** --sudo / --become [--become-user USER] → the request's `become`, validated (exit 2 on bad input). */
export function becomeOptions(values: Record<string, unknown>, context: { session?: string; asJob: boolean }): { become?: BecomeOptions } {
  const user = values['become-user'] as string | undefined;
  const wanted = !!values.sudo || !!values.become;
  if (user !== undefined && !wanted) throw new UsageError('--become-user needs --become (or --sudo)');
  if (!wanted) return {};
  if (context.session) throw new UsageError('--sudo/--become with --session is not supported yet: a root session is live only (run without --session)');
  if (context.asJob) throw new UsageError('--sudo/--become with --as-job is not supported yet');
  try {
    // No --become-user: the inventory's ansible_become_user, else root.
    return { become: user !== undefined ? { user: checkBecomeUser(user) } : {} };
  } catch (err) {
    throw new UsageError(`--become-user: ${(err as Error).message}`);
  }
}
