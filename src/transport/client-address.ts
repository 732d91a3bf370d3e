import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/** Whether the `i`-th hop (0 = the peer of our socket) at `address` may tell us who is behind it. */
export type TrustProxy = (address: string, i: number) => boolean;

/**
 * The TRUST_PROXY setting as one trust function, given to Fastify (REST: `request.ip`, the rate
 * limit) and used for the socket.io handshake, so both doors see the same client address.
 * `false` trusts nobody; `true` everyone; a hop count that many proxies in front, whatever their
 * address (proxy-addr's meaning: Fastify 5 ignores a bare number, which would make every client behind
 * the proxy one address); a list, the proxies at those addresses / CIDR ranges.
 */
export function trustProxyFn(setting: boolean | number | readonly string[]): TrustProxy {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, i) => i < setting;
  return proxyAddr.compile([...setting]);
}

/** The client address of a raw request, as Fastify works out `request.ip` with the same trust function. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  const chain = proxyAddr.all(req, trust);
  return chain.at(-1) ?? 'unknown';
}
