import type { OpenAPIHono } from '@hono/zod-openapi';
import { createAuthHandlers } from './auth.handlers.ts';
import * as routes from './auth.routes.ts';
import { signInProblem, type OrderAuth } from './identity.ts';
import { addSagaPagesSessionRoutes } from './saga-pages-session.ts';

export function addAuthRoutes(app: OpenAPIHono, auth: OrderAuth): void {
  addSagaPagesSessionRoutes(app, {
    sessions: auth.sagaPages,
    signIn: auth.signIn,
    trustedProxies: auth.settings.AUTH_TRUSTED_PROXIES,
    signInProblem,
  });
  const handlers = createAuthHandlers(auth);
  app.openapi(routes.issueToken, handlers.issueToken);
  app.openapi(routes.setCustomerPassword, handlers.setCustomerPassword);
  app.openapi(routes.listSigningKeys, handlers.listSigningKeys);
  app.openapi(routes.rotateSigningKey, handlers.rotateSigningKey);
  app.openapi(routes.jwks, handlers.jwks);
}
