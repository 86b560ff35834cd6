import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AUTH_REALM, bearerTokenOf } from '#shared/http/auth/bearer-auth.ts';
import type { TokenVerifier } from '#shared/http/auth/token-verifier.ts';
import { html } from '../sagas-ui/html.ts';
import { page } from '../sagas-ui/sagas-pages.ts';

/**
 * The cookie the sign-in page sets for the saga pages. It is scoped to /sagas and only opens the
 * read-only pages (GET); the operator actions on them go to the API with the bearer token the page
 * script keeps in sessionStorage, so no state-changing request is ever authorized by a cookie.
 */
export const SAGA_PAGES_COOKIE = 'sagas_token';

const isSagaPage = (path: string) => (path === '/sagas' || path.startsWith('/sagas/')) && !path.startsWith('/sagas/assets/');

/**
 * The saga pages show every customer's orders and offer operator actions: admins only, like the
 * operator API. A browser cannot send a bearer header when navigating, so the pages also take the
 * token from the `sagas_token` cookie; without a valid admin token they answer 401 (403 for a
 * non-admin) with a sign-in form that asks for the admin password.
 */
export function sagaPagesGuard(deps: { mode: 'on' | 'off'; verifier: TokenVerifier }): MiddlewareHandler {
  return async (c, next) => {
    if (deps.mode === 'off' || !isSagaPage(c.req.path)) return next();
    const token = bearerTokenOf(c.req.header('authorization')) ?? getCookie(c, SAGA_PAGES_COOKIE) ?? null;
    if (token === null) return signInPage(c, 401, null);
    const outcome = await deps.verifier.verify(token);
    if (!outcome.ok) return signInPage(c, outcome.kind === 'unavailable' ? 503 : 401, outcome.reason);
    if (outcome.principal.role !== 'admin') return signInPage(c, 403, 'the saga pages are for admins');
    return next();
  };
}

function signInPage(c: Context, status: 401 | 403 | 503, reason: string | null): Response {
  if (status !== 503) {
    c.header('WWW-Authenticate', `Bearer realm="${AUTH_REALM}"${reason ? `, error="${status === 403 ? 'insufficient_scope' : 'invalid_token'}"` : ''}`);
  }
  c.header('cache-control', 'no-store');
  const body = html`<section class="card" id="sign-in">
  <h2>Sign in</h2>
  <p>The saga pages are for operators: sign in with the admin password (<span class="mono">ADMIN_PASSWORD</span> of the order service).</p>
  ${reason ? html`<p class="message error">${reason}</p>` : ''}
  <form class="actions" id="sign-in-form">
    <input type="password" name="password" placeholder="admin password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
    <span class="message" id="sign-in-message"></span>
  </form>
</section>`;
  return c.html(page('Sign in — order sagas', body, { pageName: 'sign-in' }), status);
}
