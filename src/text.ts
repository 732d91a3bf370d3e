/** A UTF-16 code unit with no partner: JavaScript and JSON may hold it (`"\ud800"`), UTF-8 cannot. */
const loneSurrogate = /\p{Cs}/u;

/**
 * Whether PostgreSQL can store the string, as text or inside jsonb: it refuses U+0000 (NUL) in both,
 * and a lone surrogate has no UTF-8 form. The one test both the payload schemas and the writer use.
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\0') && !loneSurrogate.test(s);
}

/** What `isStorableText` refuses, said for a client. */
export const unstorableTextMessage = 'must not contain U+0000 (NUL) or an unpaired surrogate';

/**
 * The path (`events.0.data.text`) of the first string in the value, keys included, that PostgreSQL
 * would refuse; null if there is none. Walked without recursion.
 */
export function unstorableTextAt(value: unknown): string | null {
  const stack: [value: unknown, path: string][] = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return path;
    } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      for (const [k, item] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (!isStorableText(k)) return at;
        stack.push([item, at]);
      }
    }
  }
  return null;
}
