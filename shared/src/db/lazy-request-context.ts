import type { AsyncLocalStorage } from 'node:async_hooks';
import { RequestContext, type EntityManager } from '@mikro-orm/core';

/**
 * The request's own EntityManager, forked the first time the request uses the ORM. MikroORM's
 * `RequestContext.create` forks on every request, and a fork costs more CPU than a whole order
 * placement (which goes through raw SQL and never touches it); under load that was about 5 % of the
 * order service's CPU. Same semantics otherwise: one fork per request, found through the global EM.
 */
class ForkOnFirstUse extends Map<string, EntityManager> {
  readonly #em: EntityManager;
  #forking = false;

  constructor(em: EntityManager) {
    super();
    this.#em = em;
  }

  override get(name: string): EntityManager | undefined {
    let fork = super.get(name);
    if (fork !== undefined || name !== this.#em.name || this.#forking) return fork;
    // fork() itself asks for the current context: while it runs there is none yet (as with
    // RequestContext.create, which forks before it enters the context).
    this.#forking = true;
    try {
      fork = this.#em.fork({ useContext: true });
    } finally {
      this.#forking = false;
    }
    this.set(name, fork);
    return fork;
  }
}

// Where MikroORM keeps the current context (declared private; `RequestContext.create` fills it the
// same way, with a fork made up front). The version is pinned; lazy-request-context.int.test.ts checks the contract.
const storage = (RequestContext as unknown as { storage: AsyncLocalStorage<RequestContext> }).storage;

/** Runs `next` with a request context whose EntityManager is forked on first use. */
export function withRequestContext<T>(em: EntityManager, next: () => T): T {
  return storage.run(new RequestContext(new ForkOnFirstUse(em)), next);
}
