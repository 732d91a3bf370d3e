import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer a fake service was told to give instead of doing the work. */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One request a fake service got, with what it answered ('hang': nothing). */
export interface Call {
  at: number;
  method: string;
  path: string;
  body: unknown;
  /** The operation, as the fake names it (`contacts.upsert`, `crm.lead.create`, …). */
  op: string;
  status: number | 'hang';
  userAgent?: string;
  /** When the client closed the connection of a call left unanswered. */
  closedAt?: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A local HTTP server standing in for a CRM's API: it parses JSON, names the operation, and either does
 * it (`handle`) or answers what the test scripted for that operation, or does it and then never answers
 * (`hangAfter`: a node that dies waiting for the answer).
 */
export abstract class FakeService {
  readonly calls: Call[] = [];
  /** Scripted answers per operation (`*` for any), used up in order before the work is done. */
  readonly scripts = new Map<string, Scripted[]>();
  /** Operations that are done, then left unanswered (once each). */
  readonly hangAfter = new Set<string>();
  url = '';
  private readonly server: Server = createServer((req, res) => this.receive(req, res));

  protected abstract opOf(method: string, path: string, body: unknown): string;
  protected abstract handle(
    op: string,
    req: { method: string; path: string; body: unknown; headers: IncomingMessage['headers'] },
  ): Answer;

  /** Answers `op`'s next calls with these, in order. */
  script(op: string, ...answers: Scripted[]): void {
    this.scripts.set(op, [...(this.scripts.get(op) ?? []), ...answers]);
  }

  of(op: string): Call[] {
    return this.calls.filter((c) => c.op === op);
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const op = this.opOf(method, path, body);
      const call: Call = {
        at: Date.now(),
        method,
        path,
        body,
        op,
        status: 0,
        userAgent: req.headers['user-agent'],
      };
      this.calls.push(call);
      const queue = this.scripts.get(op)?.length ? this.scripts.get(op) : this.scripts.get('*');
      const answer: Answer = queue?.length
        ? queue.shift()!
        : this.handle(op, { method, path, body, headers: req.headers });
      if (this.hangAfter.delete(op)) {
        call.status = 'hang';
        res.on('close', () => {
          call.closedAt = Date.now();
        });
        return;
      }
      call.status = answer.status;
      res
        .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        .end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
