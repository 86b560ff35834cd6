import { SAGA_STEPS } from './saga-types.ts';
import type { SagaSettings, SagaSettingsInput, StepSettings } from './saga-types.ts';

const FORWARD_STEP: StepSettings = { timeoutMs: 10_000, maxAttempts: 3 };
// Compensation has no fallback if it gives up, so it tolerates longer outages
// before an anomaly is recorded (it keeps retrying after that anyway).
const COMPENSATION_STEP: StepSettings = { timeoutMs: 10_000, maxAttempts: 10 };

export const DEFAULT_SAGA_SETTINGS: SagaSettings = {
  reservation: FORWARD_STEP,
  payment: FORWARD_STEP,
  confirmation: FORWARD_STEP,
  release: COMPENSATION_STEP,
  refund: COMPENSATION_STEP,
};

/** Fills gaps from the defaults; throws on values that would stall or loop the saga. */
export function resolveSagaSettings(input: SagaSettingsInput = {}): SagaSettings {
  const resolved = {} as SagaSettings;
  for (const step of SAGA_STEPS) {
    const merged = { ...DEFAULT_SAGA_SETTINGS[step], ...input[step] };
    if (!Number.isInteger(merged.maxAttempts) || merged.maxAttempts < 1) {
      throw new RangeError(`settings.${step}.maxAttempts must be an integer >= 1, got ${merged.maxAttempts}`);
    }
    if (!Number.isInteger(merged.timeoutMs) || merged.timeoutMs < 1) {
      throw new RangeError(`settings.${step}.timeoutMs must be an integer >= 1, got ${merged.timeoutMs}`);
    }
    resolved[step] = { timeoutMs: merged.timeoutMs, maxAttempts: merged.maxAttempts };
  }
  return resolved;
}

/** The longest wait between two attempts of a compensation that is still unanswered. */
export const MAX_RETRY_DELAY_MS = 60 * 60_000;

/**
 * How long the timer of a step's `attempt` waits: the step's timeout, doubled for every attempt
 * past maxAttempts, up to an hour. Only compensation gets past maxAttempts (it never gives up), so
 * a refund nobody answers is re-sent a couple of dozen times a day instead of every 10 s (8,640).
 */
export function retryDelayMs(settings: StepSettings, attempt: number): number {
  const past = attempt - settings.maxAttempts;
  if (past <= 0) return settings.timeoutMs;
  return Math.max(settings.timeoutMs, Math.min(settings.timeoutMs * 2 ** Math.min(past, 30), MAX_RETRY_DELAY_MS));
}
