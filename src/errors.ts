/**
 * The one table of error codes. Every failure that reaches a client is an AppError with one of these
 * codes; `toHttpError` and `toAck` are the only places that shape it for the wire.
 */
const errorCodes = {
  validation_failed: { status: 422, message: 'The request is not valid.' },
  malformed_request: { status: 400, message: 'The request could not be parsed.' },
  session_not_found: { status: 404, message: 'No session with this id.' },
  not_found: { status: 404, message: 'Not found.' },
  invalid_option: { status: 422, message: 'That is not one of the options.' },
  outside_opening: {
    status: 422,
    message: 'That time is not while the team is open next; pick one of the times offered.',
  },
  unknown_question: { status: 422, message: 'No such question.' },
  unsupported_locale: { status: 422, message: 'The chat is not available in this language.' },
  derived_behavior: {
    status: 422,
    message: 'This behavior is derived by the server and cannot be reported.',
  },
  invalid_state: { status: 409, message: 'The conversation is not waiting for this.' },
  session_closed: { status: 409, message: 'The conversation has ended.' },
  required_question: { status: 409, message: 'This question is required; it cannot be skipped.' },
  duplicate_mismatch: {
    status: 409,
    message: 'This clientMessageId was already used for a different message.',
  },
  conflict: { status: 409, message: 'The session changed concurrently; try again.' },
  workflow_unavailable: {
    status: 409,
    message: 'The workflow this conversation started with is no longer available; start a new conversation.',
  },
  already_connected: {
    status: 409,
    message: 'This connection already has a /chat socket; open another connection for another one.',
  },
  whatsapp_template_required: {
    status: 409,
    message:
      "The visitor last wrote more than 24 hours ago: outside WhatsApp's customer-service window only an approved template message can be sent.",
  },
  payload_too_large: { status: 413, message: 'The request is too large.' },
  unsupported_media_type: { status: 415, message: 'Send application/json.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  unauthorized: { status: 401, message: 'Authentication is required.' },
  forbidden: { status: 403, message: 'Not allowed.' },
  identity_unverified: {
    status: 403,
    message: "The identity is not signed with this site's identity secret; send none, or sign it.",
  },
  unavailable: { status: 503, message: 'The service is temporarily unavailable; try again.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown, options?: { cause?: unknown }) {
    super(message ?? errorCodes[code].message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Any thrown value as the error a client may see: unknown errors never leak their message. */
export function toWireError(err: unknown): WireError {
  const e = err instanceof AppError ? err : new AppError('internal');
  return e.details === undefined
    ? { code: e.code, message: e.message }
    : { code: e.code, message: e.message, details: e.details };
}

export function toHttpError(err: unknown): { status: number; body: { error: WireError } } {
  const error = toWireError(err);
  return { status: errorCodes[error.code].status, body: { error } };
}

export function toAck(err: unknown): { ok: false; error: WireError } {
  return { ok: false, error: toWireError(err) };
}
