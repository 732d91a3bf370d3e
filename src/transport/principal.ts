import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../agents/auth.js';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who sent the request: set by the authentication hook on every route that declares `security`,
     * null on the public ones. Handlers read it with `principalOf`.
     */
    principal: Principal | null;
  }
}

/**
 * The one place REST authenticates. A route that declares `security` checks the credential before
 * anything else about the request (preValidation: 401 comes before 422, so that without a credential
 * a caller learns nothing, not even what the body should look like), and its handler finds who it is
 * on `req.principal`. Handlers still ask for the role they need. The check is added to those routes
 * only, as they are declared: a public request runs no authentication hook at all.
 */
export function authenticateSecuredRoutes(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('principal', null);
  const authenticate = async (req: FastifyRequest) => {
    req.principal = await auth.authenticate(req.headers.authorization);
  };
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { security?: unknown[] } | undefined;
    if (!schema?.security?.length) return;
    const own = route.preValidation;
    // First of the route's own preValidation hooks, as the one server-wide hook was before them.
    route.preValidation = [authenticate, ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
  });
}

/** Who sent a request to a secured route. A route that declares no `security` has nobody: refused, never let through. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new AppError('unauthorized', 'Send Authorization: Bearer <agent token or API key>.');
  return req.principal;
}
