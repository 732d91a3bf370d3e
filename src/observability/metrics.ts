import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one node, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'lcb_socket_connections',
    help: 'Open visitor socket connections',
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'lcb_events_total',
    help: 'Visitor events handled, by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly ackLatency = new Histogram({
    name: 'lcb_ack_latency_seconds',
    help: 'From receiving a visitor event to acknowledging it',
    labelNames: ['transport'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'lcb_commit_latency_seconds',
    help: 'Time to commit one event transaction',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: 'lcb_notifications_total',
    help: 'Notification delivery attempts by channel and outcome (sent, retry, dead)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly outbox = new Gauge({
    name: 'lcb_notifications_outbox',
    help: 'Notifications in the outbox by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lcb_' });
  }

  private readonly sources: (() => Promise<void>)[] = [];

  /** Registers work to run before each scrape (gauges read from the database). */
  beforeScrape(source: () => Promise<void>): void {
    this.sources.push(source);
  }

  /** The Prometheus text of this node. */
  async scrape(): Promise<string> {
    await Promise.all(this.sources.map((s) => s().catch(() => {})));
    return this.registry.metrics();
  }

  /** Times `work` into the ack histogram and counts its outcome. */
  async track<T>(transport: 'socket' | 'rest', type: string, work: () => Promise<T>): Promise<T> {
    const stop = this.ackLatency.startTimer({ transport });
    try {
      const result = await work();
      this.events.inc({ type, outcome: 'ok' });
      return result;
    } catch (err) {
      this.events.inc({ type, outcome: (err as { code?: string }).code ?? 'error' });
      throw err;
    } finally {
      stop();
    }
  }
}
