import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { orderSagaMachine } from './order-saga.machine.ts';
import { isTerminal, orderStatusOf, startOrderSaga } from './order-saga.ts';
import { commandsOf, ev, firing, orderInput, pendingTimersAfter, run, runSteps, send, sendAll, start } from './saga-test-kit.ts';
import type { Step } from './saga-test-kit.ts';

describe('happy path', () => {
  it('PENDING entry reserves stock and arms the reservation timer', () => {
    const { snapshot, effects } = start();
    expect(snapshot.value).toBe('PENDING');
    expect(effects).toEqual([
      { kind: 'command', command: 'ReserveStock', payload: { customerId: 'customer-1', items: orderInput.items } },
      { kind: 'setTimer', timer: 'reservation', delayMs: 10_000, attempt: 1 },
    ]);
  });

  it('StockReserved charges the total price', () => {
    const { snapshot, effects } = run([ev.stockReserved]);
    expect(snapshot.value).toBe('RESERVED');
    expect(effects).toEqual([
      { kind: 'clearTimer', timer: 'reservation' },
      { kind: 'command', command: 'ChargePayment', payload: { customerId: 'customer-1', amount: 10_000 } },
      { kind: 'setTimer', timer: 'payment', delayMs: 10_000, attempt: 1 },
    ]);
  });

  it('PaymentCompleted stores the payment and confirms the stock', () => {
    const { snapshot, effects } = run([ev.stockReserved, ev.paymentCompleted]);
    expect(snapshot.value).toBe('PAID');
    expect(snapshot.context.paymentId).toBe('payment-1');
    expect(effects).toEqual([
      { kind: 'clearTimer', timer: 'payment' },
      { kind: 'command', command: 'ConfirmStock', payload: {} },
      { kind: 'setTimer', timer: 'confirmation', delayMs: 10_000, attempt: 1 },
    ]);
  });

  it('StockConfirmed completes the order', () => {
    const { snapshot, effects } = run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed]);
    expect(snapshot.value).toBe('CONFIRMED');
    expect(snapshot.hasTag('terminal')).toBe(true);
    expect(snapshot.context.failureMessages).toEqual([]);
    expect(effects).toEqual([{ kind: 'clearTimer', timer: 'confirmation' }]);
  });
});

describe('failures and compensation', () => {
  it('StockRejected cancels without compensation', () => {
    const { snapshot, effects } = run([ev.stockRejected]);
    expect(snapshot.value).toBe('CANCELLED');
    expect(snapshot.context.failureMessages).toEqual(['stock rejected: out of stock']);
    expect(effects).toEqual([{ kind: 'clearTimer', timer: 'reservation' }]);
  });

  it('PaymentFailed releases the stock and does not refund', () => {
    const failed = run([ev.stockReserved, ev.paymentFailed]);
    expect(failed.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(failed.snapshot.context.failureMessages).toEqual(['payment failed: insufficient funds']);
    expect(failed.effects).toEqual([
      { kind: 'clearTimer', timer: 'payment' },
      { kind: 'command', command: 'ReleaseStock', payload: { reason: 'payment failed: insufficient funds' } },
      { kind: 'setTimer', timer: 'release', delayMs: 10_000, attempt: 1 },
    ]);
    const released = send(failed.snapshot, ev.stockReleased);
    expect(released.snapshot.value).toBe('CANCELLED');
    expect(released.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
  });

  it('StockConfirmRejected releases the stock, then refunds', () => {
    const rejected = run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmRejected]);
    expect(rejected.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(rejected.snapshot.context.failureMessages).toEqual(['stock confirmation rejected: reservation expired']);
    expect(commandsOf(rejected.effects)).toEqual(['ReleaseStock']);

    const released = send(rejected.snapshot, ev.stockReleased);
    expect(released.snapshot.value).toEqual({ CANCELLING: 'refundingPayment' });
    expect(released.effects).toEqual([
      { kind: 'clearTimer', timer: 'release' },
      {
        kind: 'command',
        command: 'RefundPayment',
        payload: { customerId: 'customer-1', reason: 'stock confirmation rejected: reservation expired' },
      },
      { kind: 'setTimer', timer: 'refund', delayMs: 10_000, attempt: 1 },
    ]);

    const refunded = send(released.snapshot, ev.paymentRefunded);
    expect(refunded.snapshot.value).toBe('CANCELLED');
    expect(refunded.snapshot.context.paymentMayBeTaken).toBe(false);
    expect(refunded.effects).toEqual([{ kind: 'clearTimer', timer: 'refund' }]);
  });
});

describe('timeouts', () => {
  const settings = { reservation: { maxAttempts: 2, timeoutMs: 500 } };

  it('retries the reservation while attempts remain', () => {
    const { snapshot, effects } = run([ev.reservationTimedOut], settings);
    expect(snapshot.value).toBe('PENDING');
    expect(snapshot.context.attempts.reservation).toBe(2);
    expect(effects).toEqual([
      { kind: 'command', command: 'ReserveStock', payload: { customerId: 'customer-1', items: orderInput.items } },
      { kind: 'setTimer', timer: 'reservation', delayMs: 500, attempt: 2 },
    ]);
  });

  it('compensates an exhausted reservation with a release (it may have happened)', () => {
    const { snapshot, effects } = run([ev.reservationTimedOut, ev.reservationTimedOut], settings);
    expect(snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(snapshot.context.failureMessages).toEqual(['ReserveStock unanswered after 2 attempts']);
    expect(effects.map((e) => e.kind)).toEqual(['clearTimer', 'command', 'setTimer']);
    expect(send(snapshot, ev.stockReleased).snapshot.value).toBe('CANCELLED');
  });

  it('ignores a timer armed for an earlier attempt', () => {
    const retried = run([ev.reservationTimedOut], settings);
    const [next, actions] = transition(orderSagaMachine, retried.snapshot, { type: 'ReservationTimedOut', attempt: 1 });
    expect(next).toBe(retried.snapshot);
    expect(actions).toEqual([]);
  });

  it('an exhausted payment compensates with release and refund', () => {
    const exhausted = run([ev.stockReserved, ev.paymentTimedOut, ev.paymentTimedOut, ev.paymentTimedOut]);
    expect(exhausted.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(exhausted.snapshot.context.failureMessages).toEqual(['ChargePayment unanswered after 3 attempts']);
    const released = send(exhausted.snapshot, ev.stockReleased);
    expect(commandsOf(released.effects)).toEqual(['RefundPayment']);
    expect(send(released.snapshot, ev.paymentRefunded).snapshot.value).toBe('CANCELLED');
  });

  it('an exhausted confirmation whose release is refused turns out CONFIRMED', () => {
    const settingsOne = { confirmation: { maxAttempts: 1 } };
    const exhausted = run([ev.stockReserved, ev.paymentCompleted, ev.confirmationTimedOut], settingsOne);
    expect(exhausted.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(commandsOf(exhausted.effects)).toEqual(['ReleaseStock']);
    const refused = send(exhausted.snapshot, ev.stockReleaseRefused);
    expect(refused.snapshot.value).toBe('CONFIRMED');
    expect(refused.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    expect(refused.snapshot.context.anomalies).toEqual(['cancellation overtaken by stock confirmation: already confirmed']);
  });

  it('an exhausted confirmation whose release succeeds refunds and cancels', () => {
    const settingsOne = { confirmation: { maxAttempts: 1 } };
    const released = run([ev.stockReserved, ev.paymentCompleted, ev.confirmationTimedOut, ev.stockReleased], settingsOne);
    expect(released.snapshot.value).toEqual({ CANCELLING: 'refundingPayment' });
    expect(commandsOf(released.effects)).toEqual(['RefundPayment']);
  });

  it('compensation never gives up but records the exhaustion once', () => {
    const settingsTwo = { release: { maxAttempts: 2, timeoutMs: 1_000 } };
    let step = run([ev.cancellationRequested], settingsTwo);
    const retries = [];
    for (let i = 0; i < 4; i++) {
      step = send(step.snapshot, ev.releaseTimedOut);
      retries.push(step.effects);
    }
    expect(step.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(retries.map(commandsOf)).toEqual([['ReleaseStock'], ['ReleaseStock'], ['ReleaseStock'], ['ReleaseStock']]);
    // attempts 2..5: the timeout while within maxAttempts, then doubling for every attempt past it
    expect(retries.map((effects) => effects.find((effect) => effect.kind === 'setTimer'))).toEqual([
      { kind: 'setTimer', timer: 'release', delayMs: 1_000, attempt: 2 },
      { kind: 'setTimer', timer: 'release', delayMs: 2_000, attempt: 3 },
      { kind: 'setTimer', timer: 'release', delayMs: 4_000, attempt: 4 },
      { kind: 'setTimer', timer: 'release', delayMs: 8_000, attempt: 5 },
    ]);
    expect(step.snapshot.context.anomalies).toEqual([
      'ReleaseStock still unanswered after 2 attempts; retrying with a wait doubling from 1000 ms up to an hour',
    ]);
  });

  it('an unanswered compensation waits at most an hour between attempts: a few dozen commands a day, not one every timeout', () => {
    let step = run([ev.cancellationRequested]);
    const delays: number[] = [];
    for (let i = 0; i < 40; i++) {
      step = send(step.snapshot, ev.releaseTimedOut);
      const timer = step.effects.find((effect) => effect.kind === 'setTimer');
      if (timer?.kind === 'setTimer') delays.push(timer.delayMs);
    }
    expect(delays.slice(0, 9)).toEqual(Array(9).fill(10_000)); // attempts 2..10 of the default 10
    expect(delays[9]).toBe(20_000);
    expect(Math.max(...delays)).toBe(60 * 60_000);
    expect(delays.at(-1)).toBe(60 * 60_000);
  });

  it.each([
    ['PENDING', [], ev.paymentTimedOut],
    ['RESERVED', [ev.stockReserved], ev.reservationTimedOut],
    ['PAID', [ev.stockReserved, ev.paymentCompleted], ev.releaseTimedOut],
    ['releasingStock', [ev.cancellationRequested], ev.refundTimedOut],
    ['CONFIRMED', [ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed], ev.confirmationTimedOut],
    ['CANCELLED owing nothing (release)', [ev.stockRejected], ev.releaseTimedOut],
    ['CANCELLED owing nothing (refund)', [ev.stockReserved, ev.paymentFailed, ev.stockReleased], ev.refundTimedOut],
  ] as const)('a stale timer in %s is an explicit no-op', (_, events, stale) => {
    const { snapshot } = run(events);
    const [next, actions] = transition(orderSagaMachine, snapshot, stale);
    expect(next).toBe(snapshot);
    expect(actions).toEqual([]);
  });
});

describe('late and duplicate replies', () => {
  it.each([
    ['RESERVED + StockReserved', [ev.stockReserved], ev.stockReserved],
    ['PAID + PaymentCompleted', [ev.stockReserved, ev.paymentCompleted], ev.paymentCompleted],
    ['PAID + late PaymentFailed', [ev.stockReserved, ev.paymentCompleted], ev.paymentFailed],
    ['CONFIRMED + StockConfirmed', [ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed], ev.stockConfirmed],
    ['CONFIRMED + PaymentCompleted', [ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed], ev.paymentCompleted],
    ['CANCELLING + PaymentFailed', [ev.stockReserved, ev.paymentFailed], ev.paymentFailed],
    ['CANCELLED + PaymentFailed', [ev.stockRejected], ev.paymentFailed],
    ['CANCELLED + StockReleased', [ev.stockReserved, ev.paymentFailed, ev.stockReleased], ev.stockReleased],
  ] as const)('%s changes nothing and sends nothing', (_, events, duplicate) => {
    const { snapshot } = run(events);
    const [next, actions] = transition(orderSagaMachine, snapshot, duplicate);
    expect(next).toBe(snapshot);
    expect(actions).toEqual([]);
  });

  it('a payment completed after cancellation is refunded, with a deadline, and the order stays CANCELLED', () => {
    const cancelled = run([ev.stockReserved, ev.paymentFailed, ev.stockReleased]);
    const late = send(cancelled.snapshot, ev.paymentCompleted);
    expect(late.snapshot.value).toBe('CANCELLED');
    expect(late.effects).toEqual([
      {
        kind: 'command',
        command: 'RefundPayment',
        payload: { customerId: 'customer-1', reason: 'payment completed after the order was cancelled' },
      },
      { kind: 'setTimer', timer: 'refund', delayMs: 10_000, attempt: 1 },
    ]);
    expect(send(late.snapshot, ev.paymentCompleted).effects).toEqual([]);
    const refunded = send(late.snapshot, ev.paymentRefunded);
    expect(refunded.snapshot.context.paymentMayBeTaken).toBe(false);
    expect(refunded.effects).toEqual([{ kind: 'clearTimer', timer: 'refund' }]);
    expect(send(refunded.snapshot, ev.paymentCompleted).effects).toEqual([]);
  });

  it('a payment completed while compensating is refunded after the release', () => {
    const failed = run([ev.stockReserved, ev.paymentFailed]);
    const late = send(failed.snapshot, ev.paymentCompleted);
    expect(late.effects).toEqual([]);
    expect(late.snapshot.context.paymentMayBeTaken).toBe(true);
    const released = send(late.snapshot, ev.stockReleased);
    expect(released.snapshot.value).toEqual({ CANCELLING: 'refundingPayment' });
    expect(commandsOf(released.effects)).toEqual(['RefundPayment']);
  });

  it('stock reserved after a rejection is released', () => {
    const cancelled = run([ev.reservationTimedOut, ev.stockRejected]);
    const late = send(cancelled.snapshot, ev.stockReserved);
    expect(late.snapshot.value).toBe('CANCELLED');
    expect(late.effects).toEqual([
      { kind: 'command', command: 'ReleaseStock', payload: { reason: 'stock reserved after the order was cancelled' } },
      { kind: 'setTimer', timer: 'release', delayMs: 10_000, attempt: 1 },
    ]);
    expect(send(late.snapshot, ev.stockReserved).effects).toEqual([]);
  });

  it('contradictory replies on a confirmed order are recorded, not acted on', () => {
    const confirmed = run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed]);
    const released = send(confirmed.snapshot, ev.stockReleased);
    expect(released.snapshot.value).toBe('CONFIRMED');
    expect(released.effects).toEqual([]);
    expect(released.snapshot.context.anomalies).toEqual(['stock released on a confirmed order']);
  });
});

describe('compensation sent from CANCELLED (late replies)', () => {
  const refundReason = 'payment completed after the order was cancelled';
  const releaseReason = 'stock reserved after the order was cancelled';
  const refund = { kind: 'command', command: 'RefundPayment', payload: { customerId: 'customer-1', reason: refundReason } };
  const release = { kind: 'command', command: 'ReleaseStock', payload: { reason: releaseReason } };
  /** Cancelled after a release, owing nothing: what a late reply finds. */
  const cancelledEvents = [ev.stockReserved, ev.paymentFailed, ev.stockReleased];
  const settings = { release: { maxAttempts: 2, timeoutMs: 1_000 }, refund: { maxAttempts: 2, timeoutMs: 1_000 } };

  /** Fires whatever release/refund timer is pending `times` times, as the order service would. */
  function fireRepeatedly(from: Step, timer: 'release' | 'refund', times: number): Step[] {
    const steps: Step[] = [];
    let pending = pendingTimersAfter([from]);
    for (let i = 0; i < times; i++) {
      const step = send(steps.at(-1)?.snapshot ?? from.snapshot, firing(timer, pending[timer]!.attempt));
      pending = pendingTimersAfter([step], pending);
      steps.push(step);
    }
    return steps;
  }

  it('a late PaymentCompleted arms the refund timer, with the refund step settings', () => {
    const late = send(run(cancelledEvents, settings).snapshot, ev.paymentCompleted);
    expect(late.effects).toEqual([refund, { kind: 'setTimer', timer: 'refund', delayMs: 1_000, attempt: 1 }]);
    expect(late.snapshot.value).toBe('CANCELLED');
    expect(isTerminal(late.snapshot)).toBe(true);
    expect(late.snapshot.can(ev.cancellationRequested)).toBe(false);
    expect(late.snapshot.context.attempts.refund).toBe(1);
  });

  it('RefundTimedOut re-sends the same refund and re-arms with back-off while the money is owed', () => {
    const late = send(run(cancelledEvents, settings).snapshot, ev.paymentCompleted);
    const retries = fireRepeatedly(late, 'refund', 4);
    expect(retries.map((step) => step.snapshot.value)).toEqual(Array(4).fill('CANCELLED'));
    expect(retries.map((step) => step.effects)).toEqual(
      [2, 3, 4, 5].map((attempt, i) => [refund, { kind: 'setTimer', timer: 'refund', delayMs: [1_000, 2_000, 4_000, 8_000][i], attempt }]),
    );
    expect(retries.at(-1)!.snapshot.context.anomalies).toEqual([
      'payment completed after cancellation; refunded',
      'RefundPayment still unanswered after 2 attempts; retrying with a wait doubling from 1000 ms up to an hour',
    ]);
    expect(pendingTimersAfter([late, ...retries])).toEqual({ refund: { attempt: 5, delayMs: 8_000 } });
  });

  it('an unanswered late refund never gives up and waits at most an hour, like every compensation', () => {
    const late = send(run(cancelledEvents).snapshot, ev.paymentCompleted);
    const delays = fireRepeatedly(late, 'refund', 40).map((step) => pendingTimersAfter([step]).refund!.delayMs);
    expect(delays.slice(0, 9)).toEqual(Array(9).fill(10_000));
    expect(delays[9]).toBe(20_000);
    expect(delays.at(-1)).toBe(60 * 60_000);
  });

  it('PaymentRefunded clears the refund timer, also after retries; a later firing changes nothing', () => {
    const late = send(run(cancelledEvents, settings).snapshot, ev.paymentCompleted);
    const retries = fireRepeatedly(late, 'refund', 2);
    const refunded = send(retries.at(-1)!.snapshot, ev.paymentRefunded);
    expect(refunded.effects).toEqual([{ kind: 'clearTimer', timer: 'refund' }]);
    expect(refunded.snapshot.value).toBe('CANCELLED');
    expect(refunded.snapshot.context.paymentMayBeTaken).toBe(false);
    expect(pendingTimersAfter([late, ...retries, refunded])).toEqual({});
    // A timer job that still fires (the current attempt's, or an earlier one's) is a no-op.
    for (const event of [firing('refund', 3), firing('refund', 1), ev.refundTimedOut, ev.paymentRefunded]) {
      const [next, actions] = transition(orderSagaMachine, refunded.snapshot, event);
      expect(next, event.type).toBe(refunded.snapshot);
      expect(actions).toEqual([]);
    }
  });

  it('a late StockReserved arms the release timer; ReleaseTimedOut re-sends with back-off; StockReleased clears it', () => {
    const late = send(run([ev.reservationTimedOut, ev.stockRejected], settings).snapshot, ev.stockReserved);
    expect(late.effects).toEqual([release, { kind: 'setTimer', timer: 'release', delayMs: 1_000, attempt: 1 }]);
    const retries = fireRepeatedly(late, 'release', 3);
    expect(retries.map((step) => step.effects)).toEqual(
      [2, 3, 4].map((attempt, i) => [release, { kind: 'setTimer', timer: 'release', delayMs: [1_000, 2_000, 4_000][i], attempt }]),
    );
    const released = send(retries.at(-1)!.snapshot, ev.stockReleased);
    expect(released.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    expect(released.snapshot.value).toBe('CANCELLED');
    expect(released.snapshot.context.stockMayBeReserved).toBe(false);
    expect(pendingTimersAfter([late, ...retries, released])).toEqual({});
    const [next, actions] = transition(orderSagaMachine, released.snapshot, firing('release', 4));
    expect(next).toBe(released.snapshot);
    expect(actions).toEqual([]);
  });

  it('a refused late release clears the release timer too (and records the anomaly)', () => {
    const late = send(run([ev.stockRejected]).snapshot, ev.stockReserved);
    const refused = send(late.snapshot, ev.stockReleaseRefused);
    expect(refused.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    expect(refused.snapshot.context.anomalies).toContain('late release refused; stock taken on a cancelled order');
    expect(pendingTimersAfter([late, refused])).toEqual({});
  });

  it('a duplicate late reply adds no second timer and re-sends nothing', () => {
    const cancelled = run(cancelledEvents).snapshot;
    const steps = sendAll(cancelled, [ev.paymentCompleted, ev.paymentCompleted, ev.stockReserved, ev.stockReserved, ev.paymentCompleted]);
    expect(steps.map((step) => commandsOf(step.effects))).toEqual([['RefundPayment'], [], ['ReleaseStock'], [], []]);
    expect(steps.flatMap((step) => step.effects).filter((effect) => effect.kind === 'setTimer')).toHaveLength(2);
    expect(pendingTimersAfter(steps)).toEqual({ refund: { attempt: 1, delayMs: 10_000 }, release: { attempt: 1, delayMs: 10_000 } });
    // And a duplicate arriving between retries leaves the back-off where it is.
    const retried = fireRepeatedly(steps[0]!, 'refund', 1)[0]!;
    const [next, actions] = transition(orderSagaMachine, retried.snapshot, ev.paymentCompleted);
    expect(next).toBe(retried.snapshot);
    expect(actions).toEqual([]);
  });

  it('a release and a refund owed at once keep a timer each; answering one leaves the other firing', () => {
    const both = sendAll(run(cancelledEvents).snapshot, [ev.stockReserved, ev.paymentCompleted]);
    expect(pendingTimersAfter(both)).toEqual({ release: { attempt: 1, delayMs: 10_000 }, refund: { attempt: 1, delayMs: 10_000 } });
    const released = send(both.at(-1)!.snapshot, ev.stockReleased);
    expect(released.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    const retried = send(released.snapshot, firing('refund', 1));
    expect(commandsOf(retried.effects)).toEqual(['RefundPayment']);
    expect(pendingTimersAfter([...both, released, retried])).toEqual({ refund: { attempt: 2, delayMs: 10_000 } });
  });

  it('a late compensation counts its attempts afresh, whatever CANCELLING used before', () => {
    const cancelling = [ev.stockReserved, ev.paymentCompleted, ev.stockConfirmRejected, ev.stockReleased];
    const steps = runSteps([...cancelling, firing('refund', 1), firing('refund', 2), ev.paymentRefunded], settings);
    const cancelled = steps.at(-1)!;
    expect(cancelled.snapshot.value).toBe('CANCELLED');
    expect(cancelled.snapshot.context.attempts.refund).toBe(3);
    const late = send(cancelled.snapshot, { type: 'PaymentCompleted', paymentId: 'payment-2' });
    expect(late.effects).toEqual([refund, { kind: 'setTimer', timer: 'refund', delayMs: 1_000, attempt: 1 }]);
    // A timer of CANCELLING's refund that was already cleared is stale for the new one.
    const [next, actions] = transition(orderSagaMachine, late.snapshot, firing('refund', 3));
    expect(next).toBe(late.snapshot);
    expect(actions).toEqual([]);
  });

  it('another charge while a late refund is owed re-sends it and re-arms the one refund timer', () => {
    const late = send(run(cancelledEvents).snapshot, ev.paymentCompleted);
    const retried = fireRepeatedly(late, 'refund', 2);
    const again = send(retried.at(-1)!.snapshot, { type: 'PaymentCompleted', paymentId: 'payment-2' });
    expect(again.effects).toEqual([refund, { kind: 'setTimer', timer: 'refund', delayMs: 10_000, attempt: 1 }]);
    expect(pendingTimersAfter([late, ...retried, again])).toEqual({ refund: { attempt: 1, delayMs: 10_000 } });
  });
});

describe('drift found by the reconciler (DriftFound)', () => {
  const settings = { release: { maxAttempts: 2, timeoutMs: 1_000 }, refund: { maxAttempts: 2, timeoutMs: 1_000 } };
  const release = { kind: 'command', command: 'ReleaseStock', payload: { reason: 'reconciler: stock still held for a cancelled order' } };
  const refund = {
    kind: 'command',
    command: 'RefundPayment',
    payload: { customerId: 'customer-1', reason: 'reconciler: money still taken for a cancelled order' },
  };
  /** Charged, refunded, cancelled: owing nothing. */
  const refundedEvents = [ev.stockReserved, ev.paymentCompleted, ev.stockConfirmRejected, ev.stockReleased, ev.paymentRefunded];
  const drift = (stockHeld: boolean, moneyTaken: boolean) => ({ type: 'DriftFound', stockHeld, moneyTaken }) as const;

  it('money still taken on a CANCELLED order: RefundPayment with its timer, the order stays CANCELLED', () => {
    const cancelled = run(refundedEvents, settings);
    expect(cancelled.snapshot.value).toBe('CANCELLED');
    const found = send(cancelled.snapshot, drift(false, true));
    expect(found.effects).toEqual([refund, { kind: 'setTimer', timer: 'refund', delayMs: 1_000, attempt: 1 }]);
    expect(found.snapshot.value).toBe('CANCELLED');
    expect(found.snapshot.context.paymentMayBeTaken).toBe(true);
    expect(found.snapshot.context.anomalies).toContain('reconciler: money taken on a cancelled order; refunded');
    // Unanswered: re-sent at its deadline; answered: the timer goes and nothing is owed.
    expect(commandsOf(send(found.snapshot, firing('refund', 1)).effects)).toEqual(['RefundPayment']);
    const refunded = send(found.snapshot, ev.paymentRefunded);
    expect(refunded.effects).toEqual([{ kind: 'clearTimer', timer: 'refund' }]);
    expect(refunded.snapshot.context.paymentMayBeTaken).toBe(false);
  });

  it('stock still held on a CANCELLED order: ReleaseStock with its timer', () => {
    const cancelled = run([ev.stockRejected], settings);
    const found = send(cancelled.snapshot, drift(true, false));
    expect(found.effects).toEqual([release, { kind: 'setTimer', timer: 'release', delayMs: 1_000, attempt: 1 }]);
    expect(found.snapshot.context.stockMayBeReserved).toBe(true);
    const released = send(found.snapshot, ev.stockReleased);
    expect(released.effects).toEqual([{ kind: 'clearTimer', timer: 'release' }]);
    expect(pendingTimersAfter([found, released])).toEqual({});
  });

  it('both at once: release and refund, each with its timer', () => {
    const found = send(run(refundedEvents, settings).snapshot, drift(true, true));
    expect(found.effects).toEqual([
      release,
      { kind: 'setTimer', timer: 'release', delayMs: 1_000, attempt: 1 },
      refund,
      { kind: 'setTimer', timer: 'refund', delayMs: 1_000, attempt: 1 },
    ]);
    expect(pendingTimersAfter([found])).toEqual({ release: { attempt: 1, delayMs: 1_000 }, refund: { attempt: 1, delayMs: 1_000 } });
  });

  it('sends nothing for what is already owed, or when nothing was found', () => {
    const cancelled = run(refundedEvents, settings);
    const found = send(cancelled.snapshot, drift(false, true));
    for (const again of [drift(false, true), drift(false, false)]) {
      const [next, actions] = transition(orderSagaMachine, found.snapshot, again);
      expect(next).toBe(found.snapshot);
      expect(actions).toEqual([]);
    }
    // Stock and money reported, the refund already owed: only the release goes out.
    expect(commandsOf(send(found.snapshot, drift(true, true)).effects)).toEqual(['ReleaseStock']);
    expect(cancelled.snapshot.can(drift(false, false))).toBe(false);
  });

  it('is ignored while the saga runs, in CANCELLING and in CONFIRMED (reported there, not repaired)', () => {
    const states = [
      run([]),
      run([ev.stockReserved]),
      run([ev.stockReserved, ev.paymentCompleted]),
      run([ev.stockReserved, ev.paymentFailed]),
      run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed]),
    ];
    for (const { snapshot } of states) {
      for (const event of [drift(true, false), drift(false, true), drift(true, true)]) {
        expect(snapshot.can(event), JSON.stringify(snapshot.value)).toBe(false);
        const [next, actions] = transition(orderSagaMachine, snapshot, event);
        expect(next).toBe(snapshot);
        expect(actions).toEqual([]);
      }
    }
  });
});

describe('operator cancellation', () => {
  it('from PENDING releases only', () => {
    const cancelling = run([ev.cancellationRequested]);
    expect(cancelling.snapshot.value).toEqual({ CANCELLING: 'releasingStock' });
    expect(cancelling.snapshot.context.failureMessages).toEqual(['cancelled by operator: customer called']);
    expect(cancelling.effects[0]).toEqual({ kind: 'clearTimer', timer: 'reservation' });
    expect(send(cancelling.snapshot, ev.stockReleased).snapshot.value).toBe('CANCELLED');
  });

  it('from RESERVED releases and refunds (the charge may have gone through)', () => {
    const released = run([ev.stockReserved, ev.cancellationRequested, ev.stockReleased]);
    expect(released.snapshot.value).toEqual({ CANCELLING: 'refundingPayment' });
    expect(commandsOf(released.effects)).toEqual(['RefundPayment']);
  });

  it('from PAID releases first; a refusal means the order completed', () => {
    const paid = [ev.stockReserved, ev.paymentCompleted, ev.cancellationRequested];
    expect(run([...paid, ev.stockReleaseRefused]).snapshot.value).toBe('CONFIRMED');
    expect(run([...paid, ev.stockReleased, ev.paymentRefunded]).snapshot.value).toBe('CANCELLED');
  });

  it('while CANCELLING is a no-op the operator API sees as refused', () => {
    const { snapshot } = run([ev.cancellationRequested]);
    expect(snapshot.can(ev.cancellationRequested)).toBe(false);
    const [next, actions] = transition(orderSagaMachine, snapshot, ev.cancellationRequested);
    expect(next).toBe(snapshot);
    expect(actions).toEqual([]);
  });

  it('is refused in terminal states and allowed before', () => {
    expect(run([]).snapshot.can(ev.cancellationRequested)).toBe(true);
    expect(run([ev.stockReserved]).snapshot.can(ev.cancellationRequested)).toBe(true);
    expect(run([ev.stockReserved, ev.paymentCompleted]).snapshot.can(ev.cancellationRequested)).toBe(true);
    expect(run([ev.stockRejected]).snapshot.can(ev.cancellationRequested)).toBe(false);
    const confirmed = run([ev.stockReserved, ev.paymentCompleted, ev.stockConfirmed]).snapshot;
    expect(confirmed.can(ev.cancellationRequested)).toBe(false);
    expect(orderStatusOf(transition(orderSagaMachine, confirmed, ev.cancellationRequested)[0])).toBe('CONFIRMED');
  });
});

describe('XState 5 representation', () => {
  it('transition() returns named actions with params already resolved against the updated context', () => {
    const [pending] = initialTransition(orderSagaMachine, { ...orderInput, settings: { reservation: { maxAttempts: 2 } } });
    const [, actions] = transition(orderSagaMachine, pending, ev.reservationTimedOut);
    expect(actions.map(({ type, params }) => ({ type, params }))).toEqual([
      {
        type: 'sendCommand',
        params: { command: 'ReserveStock', payload: { customerId: 'customer-1', items: orderInput.items } },
      },
      { type: 'setTimer', params: { timer: 'reservation', delayMs: 10_000, attempt: 2 } },
    ]);
  });

  it('keeps transition meta on the machine definition', () => {
    const pending = orderSagaMachine.root.states.PENDING!;
    const kinds = pending.transitions.get('ReservationTimedOut')!.map((t) => t.meta?.kind);
    expect(kinds).toEqual(['ignored', 'timeout', 'timeout']);
    expect(pending.transitions.get('CancellationRequested')![0]!.meta).toEqual({ kind: 'compensation' });
    const cancelled = orderSagaMachine.root.states.CANCELLED!;
    for (const timeout of ['ReleaseTimedOut', 'RefundTimedOut']) {
      expect(cancelled.transitions.get(timeout)!.map((t) => t.meta?.kind)).toEqual(['ignored', 'timeout', 'ignored']);
    }
  });

  it('copies settings into context so replays do not depend on current defaults', () => {
    const { snapshot } = start({ payment: { timeoutMs: 7 } });
    expect(snapshot.context.settings.payment).toEqual({ timeoutMs: 7, maxAttempts: 3 });
    expect(snapshot.context.settings.refund).toEqual({ timeoutMs: 10_000, maxAttempts: 10 });
  });

  it('reports invalid settings as an error snapshot, which startOrderSaga turns into a throw', () => {
    const invalid = { ...orderInput, settings: { release: { maxAttempts: 0 } } };
    const [snapshot, actions] = initialTransition(orderSagaMachine, invalid);
    expect(snapshot.status).toBe('error');
    expect(snapshot.error).toBeInstanceOf(RangeError);
    expect(actions).toEqual([]);
    expect(() => startOrderSaga(invalid)).toThrow(RangeError);
  });
});
