import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { KeySourceUnavailable } from '#shared/http/auth/key-source.ts';
import { TOKEN_ALGORITHM } from '#shared/http/auth/token-verifier.ts';
import { ProblemError } from '#shared/http/problem.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import { operatorName } from './auth.routes.ts';
import { clientAddressOf, servedOverHttps } from './client-address.ts';
import type { SignIn, SignInOutcome } from './sign-in.ts';
import type { TokenIssuer } from './token-issuer.ts';

/** The saga pages' session cookie: HttpOnly, SameSite=Strict, Path=/sagas (Secure over HTTPS), set by the server only. */
export const SAGA_PAGES_COOKIE = 'sagas_session';
/**
 * What the session token is for: an audience that is not the API's and a scope instead of a role,
 * so the API (of every service) refuses it — it opens the read-only pages and nothing else.
 */
export const SAGA_PAGES_AUDIENCE = 'urn:commerce-platform:saga-pages';
export const SAGA_PAGES_SCOPE = 'sagas:read';
const COOKIE_PATH = '/sagas';

export type SagaPagesSessionOutcome = { ok: true; operator: string } | { ok: false; kind: 'invalid' | 'unavailable'; reason: string };

export interface SagaPagesSessions {
  ttlS: number;
  issue(operator: string): Promise<{ token: string; expiresAt: Date }>;
  verify(token: string): Promise<SagaPagesSessionOutcome>;
}

export function createSagaPagesSessions(deps: {
  issuer: TokenIssuer;
  getKey: JWTVerifyGetKey;
  issuerName: string;
  ttlS: number;
  clockToleranceS: number;
  clock: Clock;
}): SagaPagesSessions {
  return {
    ttlS: deps.ttlS,
    issue: (operator) => deps.issuer.issueScoped({ subject: operator, audience: SAGA_PAGES_AUDIENCE, scope: SAGA_PAGES_SCOPE, ttlS: deps.ttlS }),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, deps.getKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: deps.issuerName,
          audience: SAGA_PAGES_AUDIENCE,
          clockTolerance: deps.clockToleranceS,
          currentDate: deps.clock.now(),
          requiredClaims: ['exp', 'nbf', 'sub'],
        });
        if (payload.scope !== SAGA_PAGES_SCOPE || !payload.sub) return { ok: false, kind: 'invalid', reason: 'not a saga pages session' };
        return { ok: true, operator: payload.sub };
      } catch (error) {
        if (error instanceof KeySourceUnavailable) return { ok: false, kind: 'unavailable', reason: error.message };
        return { ok: false, kind: 'invalid', reason: 'the session has expired or is not valid: sign in again' };
      }
    },
  };
}

const sessionRequest = z.strictObject({ operator: operatorName.optional(), password: z.string().min(1).max(200) });

/**
 * The saga pages' sign-in: `POST /sagas/session` with `{ operator, password }` (the admin password,
 * through the same throttled sign-in as the token endpoint) sets the session cookie; `DELETE`
 * clears it. JSON only (the app refuses other bodies), and a browser sends a cross-site JSON POST
 * only after a CORS preflight nobody answers; an Origin other than ours is refused as well.
 */
export function addSagaPagesSessionRoutes(
  app: OpenAPIHono,
  deps: {
    sessions: SagaPagesSessions;
    signIn: SignIn;
    trustedProxies: readonly string[];
    signInProblem(outcome: Exclude<SignInOutcome, { kind: 'signed-in' }>): ProblemError;
  },
): void {
  const cookieOptions = (c: Context) => ({
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'Strict' as const,
    secure: servedOverHttps(c, deps.trustedProxies),
  });

  app.post('/sagas/session', async (c) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== new URL(c.req.url).origin)
      throw new ProblemError(403, 'Forbidden', 'sign in from the saga pages themselves');
    const parsed = sessionRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      throw new ProblemError(400, 'Bad Request', 'expected {"operator": "<your name>", "password": "<the admin password>"}', {
        errors: parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(body)', message: issue.message })),
      });
    }
    const { operator, password } = parsed.data;
    const outcome = await deps.signIn({ admin: true, password, operator }, clientAddressOf(c, deps.trustedProxies));
    if (outcome.kind !== 'signed-in') throw deps.signInProblem(outcome);
    const session = await deps.sessions.issue(outcome.subject);
    setCookie(c, SAGA_PAGES_COOKIE, session.token, { ...cookieOptions(c), maxAge: deps.sessions.ttlS });
    c.header('cache-control', 'no-store');
    return c.json({ operator: outcome.subject, expiresAt: session.expiresAt.toISOString() }, 200);
  });

  app.delete('/sagas/session', (c) => {
    deleteCookie(c, SAGA_PAGES_COOKIE, cookieOptions(c));
    return c.body(null, 204);
  });
}
