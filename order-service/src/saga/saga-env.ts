import { z } from 'zod';
import { DEFAULT_SAGA_SETTINGS } from '#statecharts/saga-settings.ts';
import { SAGA_STEPS } from '#statecharts/saga-types.ts';

// Checked and documented here; read into saga settings by saga/saga-settings-from-env.ts (same rule: a positive integer, empty = unset).
const positiveInteger = (description: string, fallback: number | string) =>
  z
    .string()
    .refine((raw) => raw === '' || (Number.isInteger(Number(raw)) && Number(raw) >= 1), 'expected a positive integer')
    .optional()
    .meta({ description, 'x-type': 'integer ≥ 1', 'x-default': String(fallback) });

const milliseconds = (description: string, fallback: number) =>
  z
    .string()
    .refine((raw) => raw === '' || (Number.isInteger(Number(raw)) && Number(raw) >= 0), 'expected a whole number of milliseconds (0 or more)')
    .optional()
    .meta({ description, 'x-type': 'integer ≥ 0', 'x-default': String(fallback) });

const compensation = new Set<string>(['release', 'refund']);

const stepShape = Object.fromEntries(
  SAGA_STEPS.flatMap((step) => {
    const name = `SAGA_${step.toUpperCase()}`;
    const { timeoutMs, maxAttempts } = DEFAULT_SAGA_SETTINGS[step];
    return [
      [
        `${name}_TIMEOUT_MS`,
        positiveInteger(`Deadline of one ${step} attempt before it is retried or compensated.`, `SAGA_TIMEOUT_MS or ${timeoutMs}`),
      ],
      [
        `${name}_MAX_ATTEMPTS`,
        positiveInteger(
          compensation.has(step)
            ? `Attempts of the ${step} step at its deadline; compensation never gives up: past them it records an anomaly and retries with a wait doubling up to an hour.`
            : `Attempts of the ${step} step before the saga gives up on it and compensates.`,
          maxAttempts,
        ),
      ],
    ];
  }),
) as Record<string, ReturnType<typeof positiveInteger>>;

/** The reconciler's defaults (read by saga-settings-from-env.ts). */
export const RECONCILE_DEFAULTS = { everyMs: 300_000, windowMs: 3_600_000, settleMs: 60_000 } as const;

/** The reconciler: finished orders compared with the product and payment services' records. */
const reconcileShape = {
  SAGA_RECONCILE_EVERY_MS: milliseconds(
    "How often the reconciler compares recently finished orders with the product and payment services' records and repairs cancelled ones (0: never on a schedule; POST /api/v1/sagas/reconcile still runs it).",
    RECONCILE_DEFAULTS.everyMs,
  ),
  SAGA_RECONCILE_WINDOW_MS: milliseconds(
    'How far back the reconciler looks: orders that became CONFIRMED or CANCELLED within this.',
    RECONCILE_DEFAULTS.windowMs,
  ),
  SAGA_RECONCILE_SETTLE_MS: milliseconds(
    'Orders finished less than this ago are left to settle (replies and compensations still in flight) and not checked yet.',
    RECONCILE_DEFAULTS.settleMs,
  ),
};

/** Deadlines and retries per saga step (steps: reservation, payment, confirmation, release, refund), and the reconciler. */
export const sagaEnvShape = {
  SAGA_TIMEOUT_MS: positiveInteger(
    'Deadline of every saga step at once (each SAGA_<STEP>_TIMEOUT_MS wins over it).',
    DEFAULT_SAGA_SETTINGS.reservation.timeoutMs,
  ),
  ...stepShape,
  ...reconcileShape,
};
