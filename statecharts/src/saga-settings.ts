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
