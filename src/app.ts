import { MikroORM } from '@mikro-orm/postgresql';
import { Authenticator } from './agents/auth.js';
import { LeadBoard } from './agents/board.js';
import { AgentFeed } from './agents/feed.js';
import { VisitorPresence } from './agents/presence.js';
import { AgentTokens } from './agents/tokens.js';
import { Analytics } from './analytics/analytics.js';
import { PageAnalytics } from './analytics/pages.js';
import { startRollupRefresh } from './analytics/refresher.js';
import type { Config } from './config.js';
import { type CommitQueue, commitQueue } from './conversation/commit-queue.js';
import { ConversationEngine } from './conversation/engine.js';
import { startIdleSweeper } from './conversation/idle-sweeper.js';
import { shareCommits } from './conversation/share-commits.js';
import { crmChannels } from './crm/channels.js';
import { CrmLinks } from './crm/links.js';
import { odooLeadId } from './crm/odoo.js';
import { Experiments } from './experiments/service.js';
import { carryLastTouch } from './leads/last-touch.js';
import { Leads } from './leads/service.js';
import { createLogger, type Logger } from './logger.js';
import { configuredChannels, notificationRoutes, startNotifications } from './notifications/notifications.js';
import { Outbox } from './notifications/outbox.js';
import { Metrics } from './observability/metrics.js';
import { openDatabaseUrl } from './persistence/database.js';
import { ExperimentStore } from './persistence/experiment-store.js';
import { LeadQueries } from './persistence/lead-queries.js';
import { migrate } from './persistence/migrate.js';
import { ormOptions } from './persistence/orm.js';
import { RetentionStore, startRetention } from './persistence/retention.js';
import { SessionStore } from './persistence/session-store.js';
import { WorkflowStore } from './persistence/workflow-store.js';
import { callbackOffers } from './routing/callback-offer.js';
import { callbackDesk } from './routing/callbacks.js';
import { type RoutingService, startRouting } from './routing/routing.js';
import { loadRouting, type Routing } from './routing/rules.js';
import { sessionAfterHours } from './routing/session-hours.js';
import { SpeedReport } from './routing/speed.js';
import { RoutingStore } from './routing/store.js';
import { AddressLimits } from './scaling/limits.js';
import { openScaling } from './scaling/scaling.js';
import { createHttpServer } from './transport/http.js';
import { startMetricsServer } from './transport/metrics.js';
import { createSchemas } from './transport/schemas.js';
import { closeTransports } from './transport/shutdown.js';
import { createSocketServer } from './transport/socket-server.js';
import { openWhatsApp } from './whatsapp/whatsapp.js';
import { customFieldsOf } from './workflow/fields.js';
import { loadWorkflow } from './workflow/load.js';
import { WorkflowRegistry } from './workflow/registry.js';
import type { Workflow } from './workflow/schema.js';

export interface App {
  config: Readonly<Config>;
  logger: Logger;
  /** The active workflow (what new sessions start on). */
  workflow: Workflow;
  /** Every workflow version sessions run on: the active one, and the ones sessions started with. */
  workflows: WorkflowRegistry;
  orm: MikroORM;
  stores: Stores;
  engine: ConversationEngine;
  /** Who owns each lead (src/routing); tests run its sweep after moving the clock. */
  routing: RoutingService;
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
  routing?: Routing;
  /** Wraps the commit queue (tests hold commits back to observe shutdown and failures). */
  wrapCommits?: (queue: CommitQueue) => CommitQueue;
}

/**
 * The composition root: config → database → stores → bus → services (the engine, its sweepers,
 * notifications, the agents' board and feed) → transports. `close()` undoes them in reverse and may
 * be called more than once.
 */
export async function createApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger(config);
  const workflow = overrides.workflow ?? loadWorkflow(config.workflowFile, logger);
  const routingRules = overrides.routing ?? loadRouting(config.routing.file);
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
    // Stored by its checksum before any session can start on it; sessions keep the version they began with.
    const workflows = await WorkflowRegistry.open(workflow, new WorkflowStore(orm), logger);
    const stores: Stores = {
      sessions: new SessionStore(orm),
      leads: new LeadQueries(orm),
      experiments: new ExperimentStore(orm),
      retention: new RetentionStore(orm),
    };
    // Opened before the engine so that it closes after the engine has drained.
    const scaling = await openScaling(config, logger);
    undo.push(() => scaling.close());

    const metrics = new Metrics();
    const crmLinks = new CrmLinks(orm);
    const channels = new Map([...configuredChannels(config), ...crmChannels(config, crmLinks, logger)]);
    // The WhatsApp door (off unless configured) sends what the conversation says through the outbox.
    const whatsapp = openWhatsApp(config, orm, logger);
    // Which channels each trigger goes to: the engine's triggers and routing's announcements alike.
    const routeNotifications = notificationRoutes(config, channels);
    // The server's clock for routing and the after-hours desk (tests move it).
    const now = overrides.now ?? Date.now;
    const engine = new ConversationEngine({
      // Linking is no reason to refuse a visitor: without the database's answer the session starts unlinked.
      returningOf: (options) =>
        stores.leads.returningOf(options).catch((err: unknown) => {
          logger.warn({ err }, "could not look up the visitor's earlier leads");
          return undefined;
        }),
      routeNotifications,
      workflows,
      store: stores.sessions,
      commits: (overrides.wrapCommits ?? ((q) => q))(commitQueue(config.commitGroup, stores.sessions)),
      logger,
      phoneRegion: config.phoneDefaultRegion,
      experimentsEnabled: config.abTestingEnabled,
      cacheSize: config.sessionCacheSize,
      runningActors: config.runningActors,
      coherence: config.sessionCacheCoherence,
      onCommit: (seconds) => metrics.commitLatency.observe(seconds),
      ...(whatsapp ? { channelPolicy: whatsapp.policy } : {}),
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    undo.push(() => engine.drain());
    const sweeper = startIdleSweeper(engine, config.idleSweepSeconds * 1000, logger);
    undo.push(() => sweeper.stop());
    const retention = startRetention(stores.retention, config.analyticsRetentionDays, logger);
    undo.push(() => retention.stop());
    const analytics = new Analytics(orm, workflow);
    const rollupRefresh = startRollupRefresh(analytics, logger);
    undo.push(() => rollupRefresh.stop());
    let listeningUrl = `http://localhost:${config.port}`;
    const notifications = startNotifications(config, {
      engine,
      outbox: new Outbox(orm),
      channels: whatsapp ? new Map([...channels, [whatsapp.channel.name, whatsapp.channel]]) : channels,
      bus: scaling.bus,
      logger,
      leads: stores.sessions,
      readAnswers: (id) => stores.leads.answersOf(id),
      metrics,
      publicUrl: () => config.publicUrl ?? listeningUrl,
    });
    undo.push(() => notifications.stop());
    if (whatsapp) {
      whatsapp.start({ engine, outbox: notifications.outbox, wake: notifications.wake });
      undo.push(() => whatsapp.stop());
    }
    const routingStore = new RoutingStore(orm);
    const routing = startRouting(
      config,
      {
        routing: routingRules,
        engine,
        agents: scaling.agents,
        turns: scaling.turns,
        store: routingStore,
        channelsFor: routeNotifications,
        channels: [...channels.keys()],
        now,
        logger,
      },
      logger,
    );
    undo.push(() => routing.stop());
    shareCommits(engine, scaling.bus, logger);

    const tokens = new AgentTokens(config.secretKey, config.agentTokenMaxTtl);
    if (!config.secretKeySet) {
      logger.warn(
        'SECRET_KEY is not set: agent tokens last as long as this process and work on this node only',
      );
    }
    const auth = new Authenticator(tokens, config.apiKeys);
    // Per client address, on this node or (with Redis) across all of them.
    const limits = new AddressLimits(config, scaling.rateLimits);
    // What agents see of visitors, whichever node either is on: the transports hand it what happens.
    const board = new LeadBoard(stores.leads, scaling.registry);
    const presence = new VisitorPresence(scaling.registry, scaling.bus, logger);
    const feed = new AgentFeed({
      engine,
      board,
      bus: scaling.bus,
      logger,
      earlierLeads: (lead) => stores.leads.earlierLeads(lead),
    });
    // A returning visitor's new session is the last touch of their earlier leads.
    carryLastTouch(engine, (lead) => stores.leads.earlierLeads(lead), logger);

    const schemas = createSchemas(config.limits);
    const http = await createHttpServer({
      config,
      logger,
      auth,
      engine,
      schemas,
      metrics,
      limits,
      health: { database: () => orm.isConnected(), redis: () => scaling.redisHealthy() },
      agents: {
        tokens,
        leads: new Leads(stores.leads),
        erase: (id, by) => engine.erase(id, by),
        customFields: customFieldsOf(workflow),
      },
      notifications: {
        outbox: notifications.outbox,
        engine,
        schemas,
        channels: [...channels.keys()],
        wake: notifications.wake,
        odooLeadId: (id) => odooLeadId(crmLinks, id),
      },
      workflow: { workflows },
      analytics: {
        analytics,
        pages: new PageAnalytics(orm),
        speed: new SpeedReport(orm, config.routing.slaSeconds),
      },
      routing: { router: routing.router },
      whatsapp: whatsapp ? { door: whatsapp.door } : undefined,
      experiments: {
        schemas,
        experiments: new Experiments(
          workflows,
          stores.sessions,
          stores.experiments,
          {
            enabled: config.abTestingEnabled,
            alpha: config.abAlpha,
            minSample: config.abMinSample,
          },
          logger,
        ),
      },
    });
    const sockets = createSocketServer(http.server, {
      config,
      limits,
      adapter: scaling.adapter,
      chat: {
        engine,
        presence,
        schemas,
        metrics,
        logger,
        identitySecret: config.identitySecret,
        afterHours: sessionAfterHours(routingRules, scaling.agents, now),
        callbackOffer: callbackOffers(engine, routingRules, scaling.agents, now),
        callback: callbackDesk(engine, routingRules, scaling.agents, routing.router, now),
      },
      agents: { engine, board, feed, schemas, logger, tokens, routing },
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
      workflows,
      orm,
      stores,
      engine,
      routing,
      url,
      ...(metricsUrl ? { metricsUrl } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
