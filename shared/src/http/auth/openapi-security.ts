import { problemResponses } from '../problem.ts';
import { accessMatcher, defaultAccess, describeAccess, type AccessRule } from './access-rules.ts';

export const BEARER_SCHEME = 'bearerAuth';

type Operation = { security?: unknown; description?: string; responses?: Record<string, unknown> };
type OpenApiDocument = { components?: Record<string, any>; paths?: Record<string, Record<string, Operation>> };

const methods = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Writes the access rules into a generated OpenAPI document: a bearer (JWT) security scheme, so
 * Swagger UI offers "Authorize", and per /api operation its security requirement, who may call it,
 * and the 401/403 problem responses.
 */
export function documentBearerAuth(rules: readonly AccessRule[], mode: 'on' | 'off') {
  const matcher = accessMatcher(rules);
  return <T extends object>(document: T): T => {
    const doc = document as OpenApiDocument;
    doc.components = { ...doc.components };
    doc.components.securitySchemes = {
      ...doc.components.securitySchemes,
      [BEARER_SCHEME]: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          `ES256 access token from POST /api/v1/auth/tokens on the order service (keys: /.well-known/jwks.json there).` +
          (mode === 'off' ? ' AUTH_MODE=off on this service: tokens are not checked.' : ''),
      },
    };
    const problems = problemResponses(401, 403);
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      if (!path.startsWith('/api/')) continue;
      for (const method of methods) {
        const operation = operations[method];
        if (!operation) continue;
        const access = matcher.ruleForTemplate(method, path)?.access ?? defaultAccess;
        const note = `**Access:** ${describeAccess(access)}.`;
        operation.description = operation.description ? `${operation.description}\n\n${note}` : note;
        if (access.kind === 'public') {
          operation.security = [];
          continue;
        }
        operation.security = [{ [BEARER_SCHEME]: [] }];
        operation.responses = { ...problems, ...operation.responses };
      }
    }
    return document;
  };
}
