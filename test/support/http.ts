/** The tests' HTTP client: one request, and what came back, read as JSON when it is JSON. */

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
export type Json = any;

/** A request body: an object or array is sent as JSON; a string or bytes as they are. */
export type Body = string | Uint8Array | Record<string, unknown> | unknown[] | null;

export interface HttpResult {
  status: number;
  headers: Headers;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  body: Json;
  text: string;
}

/**
 * `method` `url``path` with `body` (as application/json unless `headers` say otherwise; a string or
 * bytes go as they are, to send what JSON.stringify cannot) and `headers`.
 */
export async function http(
  url: string,
  method: string,
  path: string,
  body?: Body,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json', ...headers };
    init.body = (
      typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)
    ) as BodyInit;
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** The Authorization header of a bearer credential (an API key, an agent token). */
export function bearer(credential: string): Record<string, string> {
  return { authorization: `Bearer ${credential}` };
}
