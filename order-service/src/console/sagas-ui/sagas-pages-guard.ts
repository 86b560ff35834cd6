import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_REALM, bearerTokenOf } from '#shared/http/auth/bearer-auth.ts';
import type { TokenVerifier } from '#shared/http/auth/token-verifier.ts';
import { html } from './html.ts';
import { page } from './sagas-pages.ts';
import { SAGA_PAGES_COOKIE, type SagaPagesSessions } from '../../identity/saga-pages-session.ts';

const isSagaPage = (path: string) =>
  (path === '/sagas' || path.startsWith('/sagas/')) && !path.startsWith('/sagas/assets/') && path !== '/sagas/session';

const operatorKey = 'sagaPagesOperator' as never;

/** The operator a saga page is shown to (null with AUTH_MODE=off). */
export const sagaPagesOperatorOf = (c: Context): string | null => (c.get(operatorKey) as string | undefined) ?? null;

/**
 * The saga pages show every customer's orders: operators only. A browser navigating cannot send a
 * bearer header, so the pages take the read-only session the sign-in sets (the `sagas_session`
 * cookie, HttpOnly: no page script ever sees it); an admin bearer token works too (curl). Without
 * either they answer 401 (403 for a non-admin token) with the sign-in form. The session opens
 * these GET pages only: the operator actions on them are API calls with an admin token.
 */
export function sagaPagesGuard(deps: { mode: 'on' | 'off'; verifier: TokenVerifier; sessions: SagaPagesSessions }): MiddlewareHandler {
  return async (c, next) => {
    if (deps.mode === 'off' || !isSagaPage(c.req.path)) return next();
    const bearer = bearerTokenOf(c.req.header('authorization'));
    if (bearer !== null) {
      const outcome = await deps.verifier.verify(bearer);
      if (!outcome.ok) return signInPage(c, outcome.kind === 'unavailable' ? 503 : 401, outcome.reason);
      if (outcome.principal.role !== 'admin') return signInPage(c, 403, 'the saga pages are for operators (an admin token)');
      c.set(operatorKey, outcome.principal.subject as never);
      return next();
    }
    const session = getCookie(c, SAGA_PAGES_COOKIE);
    if (session === undefined) return signInPage(c, 401, null);
    const outcome = await deps.sessions.verify(session);
    if (!outcome.ok) return signInPage(c, outcome.kind === 'unavailable' ? 503 : 401, outcome.reason);
    c.set(operatorKey, outcome.operator as never);
    return next();
  };
}

function signInPage(c: Context, status: 401 | 403 | 503, reason: string | null): Response {
  if (status !== 503) {
    c.header(
      'WWW-Authenticate',
      `Bearer realm="${AUTH_REALM}"${reason ? `, error="${status === 403 ? 'insufficient_scope' : 'invalid_token'}"` : ''}`,
    );
  }
  c.header('cache-control', 'no-store');
  const body = html`<section class="card" id="sign-in">
  <h2>Sign in</h2>
  <p>The saga pages are for operators: your name (recorded with what you do) and the admin password (<span class="mono">ADMIN_PASSWORD</span> of the order service).
  The page session is read-only; cancelling or firing a timer asks for the password again.</p>
  ${reason ? html`<p class="message error">${reason}</p>` : ''}
  <form class="actions" id="sign-in-form" method="post">
    <input type="text" name="operator" placeholder="operator name, e.g. ops-1" autocomplete="username" pattern="[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}" maxlength="64" required>
    <input type="password" name="password" placeholder="admin password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
    <span class="message" id="sign-in-message"></span>
  </form>
</section>`;
  return c.html(page('Sign in — order sagas', body, { pageName: 'sign-in' }), status);
}
