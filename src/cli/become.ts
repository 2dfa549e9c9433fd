import { checkBecomeUser, type BecomeOptions } from '../core';
import { UsageError } from './usage';

/** --sudo / --become [--become-user USER] → the request's `become`, validated (exit 2 on bad input). */
export function becomeOptions(values: Record<string, unknown>, context: { session?: string; asJob: boolean }): { become?: BecomeOptions } {
  const user = values['become-user'] as string | undefined;
  const wanted = !!values.sudo || !!values.become;
  if (user !== undefined && !wanted) throw new UsageError('--become-user needs --become (or --sudo)');
  if (!wanted) return {};
  let checked: string | undefined;
  try {
    checked = user !== undefined ? checkBecomeUser(user) : undefined;
  } catch (err) {
    throw new UsageError(`--become-user: ${(err as Error).message}`);
  }
  // A durable shell (a root session, a root job) lives in the login user's private directory: only root can work there.
  if ((context.session || context.asJob) && checked !== undefined && checked !== 'root') {
    throw new UsageError(`--become-user ${checked} with ${context.session ? '--session' : '--as-job'}: a durable session or job can run as root only`);
  }
  // No --become-user: the inventory's ansible_become_user, else root (a session or job: root).
  return { become: checked !== undefined ? { user: checked } : context.session || context.asJob ? { user: 'root' } : {} };
}
