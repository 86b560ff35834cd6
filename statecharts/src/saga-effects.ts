import type { ClearTimerParams, SagaCommand, SetTimerParams } from './saga-types.ts';

/**
 * What the order service must do after a transition, in order: commands become
 * outbox rows, timers become (or delete) timer rows. setTimer replaces any
 * pending timer of the same name for the order.
 */
export type SagaEffect = ({ kind: 'command' } & SagaCommand) | ({ kind: 'setTimer' } & SetTimerParams) | ({ kind: 'clearTimer' } & ClearTimerParams);

/** The part of XState's executable action objects that carries our data. */
export interface ReturnedAction {
  type: string;
  params?: unknown;
}

/**
 * XState returns executable actions that also carry `info` (with actor refs)
 * and `exec`; neither is data. This keeps the resolved params only: plain data the
 * machine's params functions built from its (immutable) context, copied by the spread.
 * (A structuredClone per action was 2 % of the order service's CPU under load.)
 */
export function toSagaEffects(actions: readonly ReturnedAction[]): SagaEffect[] {
  return actions.map((action) => {
    const params = action.params;
    switch (action.type) {
      case 'sendCommand':
        return { kind: 'command', ...(params as SagaCommand) };
      case 'setTimer':
        return { kind: 'setTimer', ...(params as SetTimerParams) };
      case 'clearTimer':
        return { kind: 'clearTimer', ...(params as ClearTimerParams) };
      default:
        // Anything else would be an effect the order service silently drops.
        throw new Error(`order saga returned an action it has no effect for: ${action.type}`);
    }
  });
}
