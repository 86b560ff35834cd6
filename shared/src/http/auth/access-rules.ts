import { canActFor, ROLES, type Principal, type Role } from './principal.ts';

/**
 * Who may call a route:
 * - `public`: no token (asking for a token);
 * - `roles`: a valid token with one of these roles;
 * - `own-customer`: an admin, or the customer the path parameter names;
 * - `scoped`: a customer or an admin; the handler narrows what a customer sees to their own
 *   (another customer's order is a 404, so ids cannot be probed).
 */
export type Access = { kind: 'public' } | { kind: 'roles'; roles: readonly Role[] } | { kind: 'own-customer'; param: string } | { kind: 'scoped' };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One route's access, with its path written as in the OpenAPI document (`/api/v1/orders/{orderId}`). */
export interface AccessRule {
  method: HttpMethod;
  path: string;
  access: Access;
}

export const publicRoute: Access = { kind: 'public' };
export const anyRole: Access = { kind: 'roles', roles: ROLES };
export const adminOnly: Access = { kind: 'roles', roles: ['admin'] };
export const adminOrService: Access = { kind: 'roles', roles: ['admin', 'service'] };
export const scopedToCustomer: Access = { kind: 'scoped' };
export const ownCustomer = (param: string): Access => ({ kind: 'own-customer', param });

/** What an /api route with no rule gets: secure by default. */
export const defaultAccess: Access = adminOnly;

export interface MatchedRule {
  rule: AccessRule | null;
  access: Access;
  params: Record<string, string>;
}

interface CompiledRule {
  rule: AccessRule;
  pattern: RegExp;
  names: string[];
}

const templateParam = /\{([^}/]+)\}/g;

function compile(rule: AccessRule): CompiledRule {
  const names: string[] = [];
  const source = rule.path
    .split(templateParam)
    .map((part, index) => {
      if (index % 2 === 1) {
        names.push(part);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { rule, pattern: new RegExp(`^${source}$`), names };
}

/** Finds the rule of a request (first match wins: list literal paths before parameters). */
export function accessMatcher(rules: readonly AccessRule[]) {
  const compiled = rules.map(compile);
  return {
    match(method: string, path: string): MatchedRule {
      const wanted = method === 'HEAD' ? 'GET' : method;
      for (const entry of compiled) {
        if (entry.rule.method !== wanted) continue;
        const found = entry.pattern.exec(path);
        if (!found) continue;
        const params: Record<string, string> = {};
        entry.names.forEach((name, index) => {
          params[name] = safeDecode(found[index + 1]!);
        });
        return { rule: entry.rule, access: entry.rule.access, params };
      }
      return { rule: null, access: defaultAccess, params: {} };
    },
    /** The rule written for an OpenAPI path template (parameter names may differ). */
    ruleForTemplate(method: string, template: string): AccessRule | null {
      const shape = (path: string) => path.replace(templateParam, '{}');
      return rules.find((rule) => rule.method === method.toUpperCase() && shape(rule.path) === shape(template)) ?? null;
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Whether an authenticated caller may use a route. */
export function decide(access: Access, principal: Principal, params: Record<string, string>): Decision {
  switch (access.kind) {
    case 'public':
      return { allowed: true };
    case 'roles':
      return access.roles.includes(principal.role)
        ? { allowed: true }
        : { allowed: false, reason: `this needs the ${access.roles.join(' or ')} role` };
    case 'own-customer': {
      const customerId = params[access.param];
      if (customerId !== undefined && canActFor(principal, customerId)) return { allowed: true };
      return {
        allowed: false,
        reason: principal.role === 'customer' ? 'a customer may only read their own data' : 'this needs the admin role or the customer themselves',
      };
    }
    case 'scoped':
      return principal.role === 'customer' || principal.role === 'admin'
        ? { allowed: true }
        : { allowed: false, reason: 'this needs a customer or admin token' };
  }
}

/** How a rule reads in the OpenAPI document. */
export function describeAccess(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'no token needed';
    case 'roles':
      return access.roles.length === ROLES.length ? 'any valid token' : `role ${access.roles.join(' or ')}`;
    case 'own-customer':
      return `admin, or the customer named by {${access.param}}`;
    case 'scoped':
      return "customer (only their own) or admin; another customer's resource is answered as not found or forbidden";
  }
}
