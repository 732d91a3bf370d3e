/**
 * The widget's long-lived visitor id: 128 random bits in hex, kept in `localStorage` per server, so a
 * visitor who comes back in the same browser is linked to their earlier leads. And the host site's
 * signed user id from the script tag (`data-user-id`, `data-user-hash`), when it vouches for one.
 */
export function visitorId(server: string): string | undefined {
  const key = `lcb-visitor:${server}`;
  try {
    const kept = localStorage.getItem(key);
    if (kept && /^[0-9a-f]{32}$/.test(kept)) return kept;
    const fresh = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    localStorage.setItem(key, fresh);
    return fresh;
  } catch {
    // Storage blocked (a privacy mode): the visit is simply not linked.
    return undefined;
  }
}

/** The identity the host page passes on the script tag, signed by its server; none without both parts. */
export function hostIdentity(
  dataset: DOMStringMap | undefined,
): { identity: { userId: string; signature: string } } | Record<string, never> {
  const userId = dataset?.userId;
  const signature = dataset?.userHash;
  return userId && signature ? { identity: { userId, signature } } : {};
}
