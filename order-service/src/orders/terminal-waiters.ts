/**
 * Requests waiting for orders to end (GET …/outcome): the step handler tells this replica's waiters
 * when an order it just stepped became terminal, so a waiting client is answered within a
 * millisecond of the commit, without polling. An order that ends on another replica is found by
 * the waiter's own periodic look at the database.
 */
export interface TerminalWaiters {
  /** Resolves when `orderId` is reported terminal here, after `timeoutMs`, or on the next `recheckMs` tick. */
  wait(orderId: string, timeoutMs: number): Promise<void>;
  notify(orderIds: readonly string[]): void;
}

export function createTerminalWaiters(options: { recheckMs?: number } = {}): TerminalWaiters {
  const recheckMs = options.recheckMs ?? 250;
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait(orderId, timeoutMs) {
      return new Promise<void>((resolve) => {
        let set = waiting.get(orderId);
        if (!set) waiting.set(orderId, (set = new Set()));
        const done = () => {
          clearTimeout(timer);
          set!.delete(done);
          if (set!.size === 0) waiting.delete(orderId);
          resolve();
        };
        const timer = setTimeout(done, Math.min(timeoutMs, recheckMs));
        set.add(done);
      });
    },
    notify(orderIds) {
      for (const orderId of orderIds) for (const done of waiting.get(orderId) ?? []) done(); // each removes only itself: safe while iterating a Set
    },
  };
}
