// The order service's identity part: the platform's token issuer (signing keys, sign-in, tokens,
// the JWKS) and its own verifier. The console's and the domain's code never import from here.
import { createCachedKeySource } from '#shared/http/auth/key-source.ts';
import { createTokenVerifier, type TokenVerifier } from '#shared/http/auth/token-verifier.ts';
import { ProblemError } from '#shared/http/problem.ts';
import type { ServiceDeps } from '#shared/runtime/service-host.ts';
import { DEFAULT_ADMIN_PASSWORD, issuerEnvFrom, type IssuerEnv } from './auth-settings.ts';
import { createCustomerCredentials, type CustomerCredentials } from './customer-credentials.ts';
import { createCustomerDirectory, type CustomerDirectory } from './customer-directory.ts';
import { demoCustomerIds } from './demo-customers.ts';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { createSagaPagesSessions, type SagaPagesSessions } from './saga-pages-session.ts';
import { createServiceTokens, type ServiceTokens } from './service-tokens.ts';
import { createSignIn, type SignIn, type SignInOutcome } from './sign-in.ts';
import { createSigningKeys, type SigningKeys } from './signing-keys.ts';
import { createTokenIssuer, type TokenIssuer } from './token-issuer.ts';

export interface OrderAuth {
  settings: IssuerEnv;
  keys: SigningKeys;
  issuer: TokenIssuer;
  verifier: TokenVerifier;
  customers: CustomerDirectory;
  /** The order service's own `service` token for calls to the other services. */
  serviceTokens: ServiceTokens;
  credentials: CustomerCredentials;
  throttle: LoginThrottle;
  signIn: SignIn;
  /** The saga pages' read-only sessions (a cookie the API refuses). */
  sagaPages: SagaPagesSessions;
  /** Read the key table again now (after a rotation on this process). */
  reloadKeys(): Promise<void>;
  /** Outside production: the seeded customers get the demo password, unless they have one already. */
  seedDemoCredentials(): Promise<void>;
  close(): void;
}

/**
 * The order service as the platform's token issuer: signing keys in its database, tokens for
 * customers that exist and for admins, the JWKS the other services verify with, and its own
 * verifier reading the same keys (no HTTP round trip to itself).
 */
export function createOrderAuth(deps: Pick<ServiceDeps, 'orm' | 'clock' | 'ids' | 'logger' | 'rawEnv' | 'env'>): OrderAuth {
  const settings = issuerEnvFrom(deps.rawEnv);
  const keys = createSigningKeys({
    orm: deps.orm,
    clock: deps.clock,
    logger: deps.logger,
    // A retired key verifies as long as the longest-lived token it may have signed, plus the clock leeway.
    retiredKeyLifetimeMs: (settings.AUTH_TOKEN_TTL_S + settings.AUTH_CLOCK_TOLERANCE_S) * 1000,
  });
  const keySource = createCachedKeySource({
    load: async () => ({ keys: await keys.verificationKeys() }),
    maxAgeMs: settings.AUTH_KEY_CACHE_MS,
    cooldownMs: 200,
    onReloadFailed: (error) => deps.logger.warn({ err: error }, 'could not read the signing keys'),
  });
  const issuer = createTokenIssuer({
    keys,
    clock: deps.clock,
    ids: deps.ids,
    settings: {
      issuer: settings.AUTH_ISSUER,
      audience: settings.AUTH_AUDIENCE,
      rotateAfterMs: settings.AUTH_KEY_ROTATE_AFTER_S * 1000,
      keyCacheMs: settings.AUTH_KEY_CACHE_MS,
    },
    onRotated: () => void keySource.reload().catch(() => {}),
  });
  const verifier = createTokenVerifier({
    getKey: keySource.getKey,
    issuer: settings.AUTH_ISSUER,
    audience: settings.AUTH_AUDIENCE,
    clockToleranceS: settings.AUTH_CLOCK_TOLERANCE_S,
    clock: deps.clock,
  });
  const serviceTokens = createServiceTokens({ issuer, ttlS: settings.AUTH_SERVICE_TOKEN_TTL_S });
  const customers = createCustomerDirectory({ paymentUrl: settings.PAYMENT_SERVICE_URL, serviceTokens });
  if (settings.AUTH_MODE === 'on' && settings.ADMIN_PASSWORD === DEFAULT_ADMIN_PASSWORD) {
    deps.logger.warn('the demo admin password is in use (ADMIN_PASSWORD): fine on a laptop, refused with NODE_ENV=production');
  }
  const credentials = createCustomerCredentials({ orm: deps.orm, clock: deps.clock });
  const throttle = createLoginThrottle({
    redisUrl: deps.env.REDIS_URL,
    keyPrefix: deps.env.QUEUE_PREFIX,
    settings: {
      accountFailures: settings.AUTH_LOGIN_MAX_FAILURES,
      addressFailures: settings.AUTH_LOGIN_MAX_ADDRESS_FAILURES,
      addressAttemptsPerMinute: settings.AUTH_LOGIN_MAX_ATTEMPTS_PER_MINUTE,
      windowS: settings.AUTH_LOGIN_WINDOW_S,
      lockoutS: settings.AUTH_LOGIN_LOCKOUT_S,
    },
  });
  const signIn = createSignIn({ settings, credentials, customers, throttle });
  const sagaPages = createSagaPagesSessions({
    issuer,
    getKey: keySource.getKey,
    issuerName: settings.AUTH_ISSUER,
    ttlS: settings.AUTH_SAGA_PAGES_TTL_S,
    clockToleranceS: settings.AUTH_CLOCK_TOLERANCE_S,
    clock: deps.clock,
  });

  return {
    settings,
    keys,
    issuer,
    verifier,
    customers,
    serviceTokens,
    credentials,
    throttle,
    signIn,
    sagaPages,
    reloadKeys: () => keySource.reload(),
    async seedDemoCredentials() {
      if (deps.rawEnv.NODE_ENV === 'production') return;
      await credentials.setIfMissing(demoCustomerIds, settings.DEMO_CUSTOMER_PASSWORD);
    },
    close: () => throttle.close(),
  };
}

/** A sign-in that did not end in a token, as the HTTP answer it is. */
export function signInProblem(outcome: Exclude<SignInOutcome, { kind: 'signed-in' }>): ProblemError {
  switch (outcome.kind) {
    case 'refused':
      return new ProblemError(401, 'Unauthorized', 'invalid credentials');
    case 'throttled':
      return new ProblemError(429, 'Too Many Requests', `${outcome.reason}; try again in ${outcome.retryAfterS} s`, {
        retryAfterSeconds: outcome.retryAfterS,
      });
    case 'unavailable':
      return new ProblemError(503, 'Service Unavailable', outcome.reason);
  }
}
