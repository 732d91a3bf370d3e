import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

/**
 * Returning visitors. The widget keeps a long-lived random visitor id (same browser); the host site
 * may also vouch for its logged-in user by signing the user id with IDENTITY_SECRET. A visitor id links
 * only leads of the same visitor id; an identity links leads of the same user only when its signature
 * verifies — an unsigned or wrongly signed one is refused, never attached.
 */

/** An identity as the client sends it: the site's user id and the hex HMAC-SHA256 of it. */
export interface IdentityClaim {
  userId: string;
  signature: string;
}

/** The HMAC-SHA256 of a user id under the secret, in lowercase hex (what the host site computes). */
export function signIdentity(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * The verified user id of a claim, or null when none was made. Throws `identity_unverified` when the
 * signature does not verify or no secret is configured. The comparison takes constant time.
 */
export function verifiedIdentity(
  secret: string | undefined,
  claim: IdentityClaim | undefined,
): string | null {
  if (!claim) return null;
  if (!secret)
    throw new AppError(
      'identity_unverified',
      'This server accepts no identities (IDENTITY_SECRET is not set).',
    );
  const want = Buffer.from(signIdentity(secret, claim.userId), 'hex');
  const got = Buffer.from(claim.signature.toLowerCase(), 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new AppError('identity_unverified');
  return claim.userId;
}

/** What a new session is started with to link it to the visitor's earlier leads. */
export function visitorKeys(
  secret: string | undefined,
  visitorId: string | undefined,
  claim: IdentityClaim | undefined,
): { visitorId?: string; identity?: string } {
  const identity = verifiedIdentity(secret, claim);
  return { ...(visitorId ? { visitorId } : {}), ...(identity ? { identity } : {}) };
}
