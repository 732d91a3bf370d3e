import { MikroORM } from '@mikro-orm/postgresql';
import { Authenticator } from './agents/auth.js';
import { LeadBoard } from './agents/board.js';
import { AgentFeed } from './agents/feed.js';
import { VisitorPresence } from './agents/presence.js';
import { AgentTokens } from './agents/tokens.js';
import { Analytics } from './analytics/analytics.js';
import type { Config } from './config.js';
import { type CommitQueue, DirectCommitQueue, GroupCommitQueue } from './conversation/commit-queue.js';
import { ConversationEngine } from './conversation/engine.js';
import { type CommittedMessage, SESSION_EVENTS, toEventMessage } from './conversation/events.js';
import { startIdleSweeper } from './conversation/idle-sweeper.js';
import { Experiments } from './experiments/service.js';
import { Leads } from './leads/service.js';
import { boardRow } from './leads/views.js';
import { createLogger, type Logger } from './logger.js';
import { NOTIFICATIONS_DUE } from './notifications/dispatcher.js';
import { configuredChannels, createDispatcher, notificationRoutes } from './notifications/notifications.js';
import { Outbox } from './notifications/outbox.js';
import { Metrics } from './observability/metrics.js';
import { openDatabaseUrl } from './persistence/database.js';
import { ExperimentStore } from './persistence/experiment-store.js';
import { LeadQueries } from './persistence/lead-queries.js';
import { migrate } from './persistence/migrate.js';
import { ormOptions } from './persistence/orm.js';
import { RetentionStore, startRetention } from './persistence/retention.js';
import { SessionStore } from './persistence/session-store.js';
import { AddressLimits } from './scaling/limits.js';
import { openScaling } from './scaling/scaling.js';
import { createHttpServer } from './transport/http.js';
import { startMetricsServer } from './transport/metrics.js';
import { createSchemas } from './transport/schemas.js';
import { closeTransports } from './transport/shutdown.js';
import { createSocketServer } from './transport/socket-server.js';
import { loadWorkflow } from './workflow/load.js';
import type { Workflow } from './workflow/schema.js';

export interface App {
  config: Readonly<Config>;
  logger: Logger;
  workflow: Workflow;
  orm: MikroORM;
  stores: Stores;
  engine: ConversationEngine;
  /** Where the server listens, e.g. http://127.0.0.1:5000. */
  url: string;
  /** Where the METRICS_PORT listener serves /metrics, when there is one. */
  metricsUrl?: string;
  close(): Promise<void>;
}

/** The repositories over the database, each handed only to the callers that need it. */
export interface Stores {
  /** The engine's: sessions, their logs, commits, erasure (and the lead record notifications read). */
  sessions: SessionStore;
  /** The lead board's, the lead lists' and the exports'. */
  leads: LeadQueries;
  /** The experiments' conversions and counts. */
  experiments: ExperimentStore;
  /** What retention deletes. */
  retention: RetentionStore;
}

export interface AppOverrides {
  logger?: Logger;
  /** The clock the engine uses (tests). */
  now?: () => number;
  workflow?: Workflow;
  /** Wraps the commit queue (tests hold commits back to observe shutdown and failures). */
  wrapCommits?: (queue: CommitQueue) => CommitQueue;
}

/**
 * The composition root: config → database → engine → transports. `close()` undoes them in reverse
 * and may be called more than once.
 */
export async function createApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config);
  const workflow = overrides.workflow ?? loadWorkflow(config.workflowFile);
  const undo: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of undo.splice(0).reverse()) {
      await step().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
    }
  };
  try {
    const database = await openDatabaseUrl(config, logger);
    undo.push(() => database.close());
    const orm = await MikroORM.init(ormOptions(database.url, config.database.poolMax));
    undo.push(() => orm.close());
    if (config.database.migrateOnStart) {
      const applied = await migrate(orm, database.url);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    }
    // Opened before the engine so that it closes after the engine has drained.
    const scaling = await openScaling(config, logger);
    undo.push(() => scaling.close());
    const stores: Stores = {
      sessions: new SessionStore(orm),
      leads: new LeadQueries(orm),
      experiments: new ExperimentStore(orm),
      retention: new RetentionStore(orm),
    };
    const metrics = new Metrics();
    const channels = configuredChannels(config);
    const engine = new ConversationEngine({
      routeNotifications: notificationRoutes(config, channels),
      workflow,
      store: stores.sessions,
      commits: (overrides.wrapCommits ?? ((q) => q))(
        config.commitGroup.max > 1
          ? new GroupCommitQueue(stores.sessions, {
              maxWaitMs: config.commitGroup.ms,
              maxBatch: config.commitGroup.max,
              writers: config.commitGroup.writers,
            })
          : new DirectCommitQueue(stores.sessions),
      ),
      logger,
      phoneRegion: config.phoneDefaultRegion,
      experimentsEnabled: config.abTestingEnabled,
      cacheSize: config.sessionCacheSize,
      coherence: config.sessionCacheCoherence,
      onCommit: (seconds) => metrics.commitLatency.observe(seconds),
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    undo.push(() => engine.drain());
    // Another node's commit or erase makes this node's copy of the session stale; a bus that was cut
    // off may have lost such messages, so then nothing cached is trusted.
    scaling.bus.subscribe(SESSION_EVENTS, ({ sessionId, version }, from) => {
      if (from !== scaling.bus.nodeId) engine.forgetOlder(sessionId, version);
    });
    scaling.bus.onResync(() => engine.forgetAll());
    const sweeper = startIdleSweeper(engine, config.idleSweepSeconds * 1000, logger);
    undo.push(() => sweeper.stop());
    const retention = startRetention(stores.retention, config.analyticsRetentionDays, logger);
    undo.push(() => retention.stop());

    // Every committed event goes on the bus: agents on any node watch it.
    engine.onCommitted(({ sessionId, events, lead, triggers, notifications }) => {
      // Only rows in the outbox are worth a claim: a trigger no channel is routed for queued nothing.
      if (notifications > 0) wakeDispatchers();
      const message: CommittedMessage = {
        sessionId,
        events: events.map((e) => toEventMessage(sessionId, e)),
        lead: boardRow(lead, false),
        version: lead.version,
        triggers,
      };
      scaling.bus.publish(SESSION_EVENTS, message).catch((err: unknown) => {
        logger.warn(
          { err, sessionId },
          'could not publish session events; watchers will recover them by seq',
        );
      });
    });

    // The outbox and its dispatcher: rows commit with the events; every node sends what it claims.
    const outbox = new Outbox(orm);
    let listeningUrl = `http://localhost:${config.port}`;
    const dispatcher = createDispatcher(config, {
      outbox,
      channels,
      bus: scaling.bus,
      logger,
      readLead: async (id) => {
        const record = await stores.sessions.leadRecord(id);
        if (!record) throw new Error(`lead ${id} is gone`);
        return record;
      },
      onOutcome: (channel, outcome) => metrics.notifications.inc({ channel, outcome }),
      publicUrl: () => config.publicUrl ?? listeningUrl,
    });
    dispatcher.start();
    undo.push(() => dispatcher.stop());
    const wakeDispatchers = () =>
      void scaling.bus.publish(NOTIFICATIONS_DUE, {}).catch(() => dispatcher.wake());
    metrics.beforeScrape(async () => {
      for (const [status, n] of Object.entries(await outbox.counts())) metrics.outbox.set({ status }, n);
    });

    const schemas = createSchemas(config.limits);
    const tokens = new AgentTokens(config.secretKey, config.agentTokenMaxTtl);
    if (!config.secretKeySet) {
      logger.warn(
        'SECRET_KEY is not set: agent tokens last as long as this process and work on this node only',
      );
    }
    const auth = new Authenticator(tokens, config.apiKeys);
    // Per client address, on this node or (with Redis) across all of them.
    const limits = new AddressLimits(config, scaling.rateLimits);
    const http = await createHttpServer({
      config,
      logger,
      auth,
      engine,
      schemas,
      metrics,
      limits,
      health: { database: () => orm.isConnected(), redis: () => scaling.redisHealthy() },
      agents: { tokens, leads: new Leads(stores.leads), erase: (id, by) => engine.erase(id, by) },
      notifications: { outbox, engine, schemas, channels: [...channels.keys()], wake: wakeDispatchers },
      analytics: { analytics: new Analytics(orm, workflow) },
      experiments: {
        schemas,
        experiments: new Experiments(workflow, stores.sessions, stores.experiments, {
          enabled: config.abTestingEnabled,
          alpha: config.abAlpha,
          minSample: config.abMinSample,
        }),
      },
    });
    // What agents see of visitors, whichever node either is on: the transports hand it what happens.
    const board = new LeadBoard(stores.leads, scaling.registry);
    const presence = new VisitorPresence(scaling.registry, scaling.bus, logger);
    const feed = new AgentFeed({ engine, board, bus: scaling.bus, logger });
    const sockets = createSocketServer(http.server, {
      config,
      limits,
      adapter: scaling.adapter,
      chat: { engine, presence, schemas, metrics, logger },
      agents: { engine, board, feed, schemas, logger, tokens },
    });
    undo.push(() => closeTransports({ engine, sockets, http }));
    await http.listen({ port: config.port, host: config.host });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    listeningUrl = config.host === '0.0.0.0' ? `http://localhost:${port}` : url;
    let metricsUrl: string | undefined;
    if (config.metrics.port !== undefined) {
      const listener = await startMetricsServer(config, metrics);
      undo.push(listener.close);
      metricsUrl = listener.url;
    }
    logger.info(
      { url, metricsUrl, database: database.embedded ? 'embedded' : 'external' },
      'lead-capture-bot listening',
    );
    return {
      config,
      logger,
      workflow,
      orm,
      stores,
      engine,
      url,
      ...(metricsUrl ? { metricsUrl } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
