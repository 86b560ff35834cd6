/**
 * A fetch typed by a service's generated API types (tests/support/api/<service>.ts, from its OpenAPI
 * document): the path, its parameters, the request body and the JSON answered for the expected status
 * all come from the document, so a contract change the tests do not follow fails the type-check.
 * No runtime dependency: the types are openapi-typescript's, the calls are plain fetch.
 */

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** The methods a path of `Paths` has. */
export type MethodOf<Paths, P extends keyof Paths> = {
  [M in HttpMethod & keyof Paths[P]]: Paths[P][M] extends undefined ? never : M;
}[HttpMethod & keyof Paths[P]];

type OperationOf<Paths, P extends keyof Paths, M extends HttpMethod> = Exclude<Paths[P][M & keyof Paths[P]], undefined>;
type ResponsesOf<Paths, P extends keyof Paths, M extends HttpMethod> = OperationOf<Paths, P, M> extends { responses: infer R } ? R : never;

/** The statuses an operation documents. */
export type StatusOf<Paths, P extends keyof Paths, M extends HttpMethod> = keyof ResponsesOf<Paths, P, M> & number;

/**
 * The JSON an operation answers with that status (application/json, or application/problem+json for an
 * error): `ResponseJson<paths, '/api/v1/orders/{orderTrackingId}', 'get'>`; null for a status without a body.
 */
export type ResponseJson<
  Paths,
  P extends keyof Paths,
  M extends HttpMethod,
  S extends StatusOf<Paths, P, M> = 200 & StatusOf<Paths, P, M>,
> = ResponsesOf<Paths, P, M>[S] extends { content: infer Content } ? Content[keyof Content] : null;

/** The JSON request body of an operation. */
export type RequestJson<Paths, P extends keyof Paths, M extends HttpMethod> =
  OperationOf<Paths, P, M> extends {
    requestBody?: { content: { 'application/json': infer Body } };
  }
    ? Body
    : never;

type ParametersOf<Paths, P extends keyof Paths, M extends HttpMethod> =
  OperationOf<Paths, P, M> extends { parameters: infer Parameters } ? Parameters : never;
type PathParams<Paths, P extends keyof Paths, M extends HttpMethod> = ParametersOf<Paths, P, M> extends { path: infer Params } ? Params : never;
type QueryParams<Paths, P extends keyof Paths, M extends HttpMethod> = ParametersOf<Paths, P, M> extends { query?: infer Query } ? Query : never;

export interface CallOptions<Paths, P extends keyof Paths, M extends HttpMethod, S> {
  /** The status the call must answer; any other throws with the body it came with. */
  expect: S;
  params?: PathParams<Paths, P, M>;
  query?: QueryParams<Paths, P, M>;
  body?: RequestJson<Paths, P, M>;
  headers?: Record<string, string>;
}

/** `/api/v1/orders/{orderTrackingId}` with `{ orderTrackingId: id }` → `/api/v1/orders/<id>`. */
export function pathOf(
  template: string,
  params: Record<string, string | number> = {},
  query: Record<string, string | number | boolean | undefined> = {},
): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(String(params[name]));
  });
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  return search.size > 0 ? `${path}?${search}` : path;
}

/**
 * Calls of one service: `api('get', '/api/v1/products/{productId}', { params: { productId }, expect: 200 })`
 * resolves to the Product the document promises.
 */
export function apiClient<Paths>(baseUrl: string) {
  return async function call<P extends keyof Paths & string, M extends MethodOf<Paths, P>, S extends StatusOf<Paths, P, M>>(
    method: M,
    path: P,
    call: CallOptions<Paths, P, M, S>,
  ): Promise<ResponseJson<Paths, P, M, S>> {
    const url = `${baseUrl}${pathOf(path, call.params as Record<string, string>, call.query as Record<string, string | number | boolean | undefined>)}`;
    const response = await fetch(url, {
      method: method.toUpperCase(),
      headers: {
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...call.headers,
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    const text = await response.text();
    if (response.status !== call.expect) throw new Error(`${method.toUpperCase()} ${url}: ${response.status}, expected ${call.expect}: ${text}`);
    return (text ? JSON.parse(text) : null) as ResponseJson<Paths, P, M, S>;
  };
}

export type ApiClient<Paths> = ReturnType<typeof apiClient<Paths>>;
