import { SAGA_STEPS, type SagaSettingsInput } from '#statecharts/saga-types.ts';
import { RECONCILE_DEFAULTS } from './saga-env.ts';

/**
 * Deadlines and retry counts per saga step from the environment, e.g. SAGA_PAYMENT_TIMEOUT_MS=5000,
 * SAGA_RESERVATION_MAX_ATTEMPTS=5; SAGA_TIMEOUT_MS sets every step's deadline at once.
 */
export function sagaSettingsFromEnv(env: Record<string, string | undefined>): SagaSettingsInput {
  const settings: SagaSettingsInput = {};
  const positive = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const everyStepTimeout = positive('SAGA_TIMEOUT_MS');
  for (const step of SAGA_STEPS) {
    const prefix = `SAGA_${step.toUpperCase()}`;
    const timeoutMs = positive(`${prefix}_TIMEOUT_MS`) ?? everyStepTimeout;
    const maxAttempts = positive(`${prefix}_MAX_ATTEMPTS`);
    if (timeoutMs !== undefined || maxAttempts !== undefined) {
      settings[step] = { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(maxAttempts !== undefined ? { maxAttempts } : {}) };
    }
  }
  return settings;
}

export interface ReconcileSettings {
  /** 0: no scheduled passes. */
  everyMs: number;
  windowMs: number;
  settleMs: number;
}

/** The reconciler's schedule and window: SAGA_RECONCILE_EVERY_MS, SAGA_RECONCILE_WINDOW_MS, SAGA_RECONCILE_SETTLE_MS. */
export function reconcileSettingsFromEnv(env: Record<string, string | undefined>): ReconcileSettings {
  const milliseconds = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of milliseconds, got "${raw}"`);
    return value;
  };
  return {
    everyMs: milliseconds('SAGA_RECONCILE_EVERY_MS', RECONCILE_DEFAULTS.everyMs),
    windowMs: milliseconds('SAGA_RECONCILE_WINDOW_MS', RECONCILE_DEFAULTS.windowMs),
    settleMs: milliseconds('SAGA_RECONCILE_SETTLE_MS', RECONCILE_DEFAULTS.settleMs),
  };
}
