import type { OpenAPIHono } from '@hono/zod-openapi';
import { createDeadLetterHandlers, type DeadLetterHandlerDeps } from './dead-letters.handlers.ts';
import * as routes from './dead-letters.routes.ts';

export function addDeadLetterRoutes(app: OpenAPIHono, deps: DeadLetterHandlerDeps): void {
  const handlers = createDeadLetterHandlers(deps);
  app.openapi(routes.listDeadLetters, handlers.listDeadLetters);
  app.openapi(routes.redriveDeadLetter, handlers.redriveDeadLetter);
}
