import { parseBatchSpec, parseFailureBudget, type BatchSize, type FailureBudget } from '../core';
import { UsageError } from './usage';

/** --batch and --max-failures → the request's rollout fields, validated (exit 2 on bad input). */
export function rolloutOptions(
  values: Record<string, unknown>,
  asJob: boolean,
): { batch?: BatchSize[]; maxFailures?: FailureBudget } {
  const batchText = values.batch as string | undefined;
  const budgetText = values['max-failures'] as string | undefined;
  if (asJob && (batchText !== undefined || budgetText !== undefined)) {
    throw new UsageError('--batch and --max-failures cannot be used with --as-job (a job starts every host at once)');
  }
  try {
    return {
      ...(batchText !== undefined ? { batch: parseBatchSpec(batchText) } : {}),
      ...(budgetText !== undefined ? { maxFailures: parseFailureBudget(budgetText) } : {}),
    };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
