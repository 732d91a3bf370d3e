import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { deepFreeze, duration, smtpUrlOf } from './config-values.js';
import { type CrmConfig, crmConfig, crmIssues } from './crm/settings.js';
import { parseNotificationRoutes } from './notifications/routes.js';
import { type WhatsAppConfig, whatsappConfig, whatsappIssues } from './whatsapp/settings.js';

/**
 * The only reader of the environment. Every variable is parsed here, with its default; a bad value
 * stops start-up with a message naming each bad variable. docs/configuration.md mirrors it.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const optionalUrl = z.url().optional();

const envSchema = z.object({
  /** `development`, `production` or `test`. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** HTTP and socket.io port. */
  PORT: int(0, 65535).default(5000),
  /** Address to listen on. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** `postgres://…` of the database; unset = an embedded PostgreSQL under EMBEDDED_PG_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Data folder of the embedded PostgreSQL. */
  EMBEDDED_PG_DIR: z.string().min(1).default('./data/postgres'),
  /** Port of the embedded PostgreSQL (kept off the standard 5432). */
  EMBEDDED_PG_PORT: int(1, 65535).default(54329),
  /** Apply pending migrations at start-up. */
  DB_MIGRATE_ON_START: bool.default(true),
  /** Connections in the pool. */
  DB_POOL_MAX: int(1, 500).default(10),
  /** `redis://…`; unset = in-process bus and registry (a single node). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** Prefix of every Redis key and channel. */
  REDIS_PREFIX: z.string().min(1).default('lcb'),
  /** Identifies this node in logs and between nodes. */
  NODE_ID: z.string().min(1).optional(),
  /** Signs agent tokens; required in production. */
  SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Shared with the host site: it signs its user id (HMAC-SHA256, hex) so a returning visitor is linked
   * to their earlier leads. Unset = identities are refused (`identity_unverified`).
   */
  IDENTITY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Longest lifetime of an agent token (`30m`, `24h`, `7d` or seconds): longer ones are not minted (CLI
   * and API) and not accepted.
   */
  AGENT_TOKEN_MAX_TTL: duration(60, 365 * 86_400).default(24 * 3600),
  /** Comma-separated API keys for machine clients (CRM, exports), each at least 16 characters. */
  API_KEYS: list.pipe(z.array(z.string().min(16, 'each key needs at least 16 characters'))).default([]),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated allowed origins for REST CORS and the WebSocket handshake; `*` allows all. */
  CORS_ORIGINS: list.default(['*']),
  /** REST requests per minute per client address; with REDIS_URL counted across all nodes. */
  RATE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(60),
  /**
   * New sessions per minute per client address, REST and socket together (a resumed session is not
   * new); with REDIS_URL counted across all nodes. 0 = no budget.
   */
  SESSION_STARTS_PER_MINUTE: int(0, 1_000_000).default(20),
  /**
   * Which proxies to believe about the client address (X-Forwarded-For): `false` (none, the default),
   * `true` (any), a hop count, or comma-separated addresses / CIDR ranges. Rate limits key on it.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string[] => {
      if (v === 'true' || v === 'false') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }),
  /** Largest accepted REST request body, in bytes. */
  BODY_LIMIT_BYTES: int(256, 10_485_760).default(16_384),
  /** Largest accepted socket.io message, in bytes; a larger one closes the connection. */
  SOCKET_MESSAGE_LIMIT_BYTES: int(256, 10_485_760).default(16_384),
  /** Longest accepted answer or free text, in characters. */
  ANSWER_MAX_LENGTH: int(1, 100_000).default(2000),
  /** Events per second each socket (`/chat` and `/agents`) may send (sustained). */
  SOCKET_EVENTS_PER_SECOND: int(1, 10_000).default(10),
  /** Events a socket may send in a burst above the sustained rate. */
  SOCKET_EVENT_BURST: int(1, 100_000).default(30),
  /**
   * Open socket.io connections per client address (TRUST_PROXY decides the address) on each node,
   * both namespaces together; a handshake over it is refused. 0 = no cap.
   */
  MAX_CONNECTIONS_PER_IP: int(0, 1_000_000).default(50),
  /** Master switch of the workflow's experiments. */
  AB_TESTING_ENABLED: bool.default(true),
  /** Significance level of the A/B z-test. */
  AB_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05),
  /** Sessions per variant below which A/B results carry a warning. */
  AB_MIN_SAMPLE: int(1, 10_000_000).default(100),
  /** Days analytics events are kept. */
  ANALYTICS_RETENTION_DAYS: int(1, 36500).default(90),
  /** Folder of the built web pages and bundles (agent console, widget). */
  WEB_ROOT: z.string().min(1).default('dist/web'),
  /** A JSON workflow replacing the built-in one. */
  WORKFLOW_FILE: z.string().min(1).optional(),
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2). */
  PHONE_DEFAULT_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code')
    .default('IN'),
  /** How often idle sessions are looked for, in seconds. */
  IDLE_SWEEP_SECONDS: int(1, 86400).default(60),
  /** A JSON routing file (teams, rules, capacities; docs/routing.md) replacing the default: one team. */
  ROUTING_FILE: z.string().min(1).optional(),
  /** How long an owner may leave a routed lead without acting before it goes to the next agent. */
  ROUTING_REASSIGN_AFTER: duration(1, 7 * 86_400).default(300),
  /** How often reassignments and SLA breaches are looked for, in seconds. */
  ROUTING_SWEEP_SECONDS: int(1, 86400).default(15),
  /** Routed → first agent action longer than this is an SLA breach (`sla_breached`, once per lead). */
  SLA_FIRST_RESPONSE: duration(1, 7 * 86_400).default(300),
  /**
   * Group commit: events of many sessions that arrive while the writers are busy commit together in
   * one statement. Extra time to gather a batch, in ms (0: a batch leaves as soon as a writer is free).
   */
  COMMIT_GROUP_MS: int(0, 1000).default(0),
  /** Most events in one group commit; 1 = one transaction per event. */
  COMMIT_GROUP_MAX: int(1, 10_000).default(100),
  /** Group-commit batches in flight at once (each holds a database connection while it commits). */
  COMMIT_WRITERS: int(1, 64).default(2),
  /** Sessions kept in memory per node. */
  SESSION_CACHE_SIZE: int(0, 10_000_000).default(50_000),
  /** Of those, the most recently used that keep a running actor; the rest keep a snapshot until used. */
  RUNNING_ACTORS: int(1, 10_000_000).default(1000),
  /**
   * How a node's cached sessions stay true to the store when other nodes write them: `bus` (another
   * node's commit or erase evicts the copy; a resume reads the stored version), `read` (also a version
   * read before every event on a cached session), `off` (single node only; for measuring the others).
   */
  SESSION_CACHE_COHERENCE: z.enum(['bus', 'read', 'off']).default('bus'),
  /** `smtp://user:pass@host:port` for e-mail notifications (or the SMTP_HOST… variables). */
  SMTP_URL: optionalUrl,
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: int(1, 65535).optional(),
  SMTP_USER: z.string().min(1).optional(),
  SMTP_PASS: z.string().min(1).optional(),
  /** Where the server is reached from outside; links in notifications point to its agent console. */
  PUBLIC_URL: optionalUrl,
  /**
   * Which triggers go to which channels: `email=sql,human_help;slack=sql,demo_requested`. Channels not
   * named get `sql`, `human_help`, `abandoned_with_contact`, `returning_lead` and routing's `assigned`, `escalated`, `sla_breached`, `callback_requested`.
   */
  NOTIFICATION_ROUTES: z.string().optional().transform(parseNotificationRoutes),
  /** Attempts per notification before it is dead-lettered. */
  NOTIFY_MAX_ATTEMPTS: int(1, 100).default(6),
  /** Timeout of one delivery attempt, in ms. */
  NOTIFY_TIMEOUT_MS: int(100, 120_000).default(5000),
  /** First retry delay, in ms; doubles per attempt, with jitter. */
  NOTIFY_BACKOFF_MS: int(10, 3_600_000).default(2000),
  /** How often dispatchers look for due notifications without being woken, in seconds. */
  NOTIFY_POLL_SECONDS: int(1, 3600).default(5),
  /** How long a claimed notification stays claimed before another node may take it over, in seconds. */
  NOTIFY_LOCK_SECONDS: int(1, 3600).default(60),
  SENDER_EMAIL: z.email().default('noreply@example.com'),
  SALES_TEAM_EMAILS: list.pipe(z.array(z.email())).default([]),
  SLACK_WEBHOOK_URL: optionalUrl,
  DISCORD_WEBHOOK_URL: optionalUrl,
  TEAMS_WEBHOOK_URL: optionalUrl,
  WEBHOOK_URL: optionalUrl,
  WEBHOOK_SECRET: z.string().min(1).optional(),
  /** HubSpot private-app access token: leads go to HubSpot (docs/crm.md); unset = off. */
  HUBSPOT_ACCESS_TOKEN: z.string().min(8).optional(),
  HUBSPOT_BASE_URL: z.url().default('https://api.hubapi.com'),
  /** Pipeline and stage (internal ids) of the deal an SQL lead gets in HubSpot. */
  HUBSPOT_DEAL_PIPELINE: z.string().min(1).default('default'),
  HUBSPOT_DEAL_STAGE: z.string().min(1).default('qualifiedtobuy'),
  /** Odoo base URL: leads go to Odoo as crm.lead; needs ODOO_DB, ODOO_API_KEY and ODOO_UID or ODOO_LOGIN. */
  ODOO_URL: optionalUrl,
  ODOO_DB: z.string().min(1).optional(),
  ODOO_LOGIN: z.string().min(1).optional(),
  ODOO_UID: int(1, 2_147_483_647).optional(),
  ODOO_API_KEY: z.string().min(8).optional(),
  /** A crm.lead field for the lead's reference; unset = a line of the description. */
  ODOO_REF_FIELD: z.string().regex(/^\w+$/).optional(),
  /** JSON file of CRM field mappings over the defaults (docs/crm.md). */
  CRM_MAPPING_FILE: z.string().min(1).optional(),
  /**
   * Bearer token Prometheus sends for `/metrics` (`authorization: { credentials: … }` in its scrape
   * config). Without it and without METRICS_PORT, `/metrics` is not served.
   */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Serve `/metrics` on this port (on METRICS_HOST) instead of the main one; the main port then has no
   * `/metrics`. METRICS_TOKEN, if set, is required there too.
   */
  METRICS_PORT: int(0, 65535).optional(),
  /** Address of the METRICS_PORT listener; loopback unless Prometheus scrapes from another host. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** The WhatsApp door, off unless all four are set (docs/whatsapp.md): the webhook check's echo token, */
  WHATSAPP_VERIFY_TOKEN: z.string().min(8).optional(),
  /** the app secret (X-Hub-Signature-256), a `whatsapp_business_messaging` token, the sender's number id. */
  WHATSAPP_APP_SECRET: z.string().min(8).optional(),
  WHATSAPP_ACCESS_TOKEN: z.string().min(8).optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().min(1).optional(),
  /** The Graph API's base URL and version for the Cloud API calls. */
  WHATSAPP_GRAPH_BASE_URL: z.url().default('https://graph.facebook.com'),
  WHATSAPP_GRAPH_VERSION: z.string().startsWith('v').default('v23.0'),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  nodeId: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  database: {
    url?: string;
    embeddedDir: string;
    embeddedPort: number;
    migrateOnStart: boolean;
    poolMax: number;
  };
  redis: { url?: string; prefix: string };
  secretKey: string;
  /** True when SECRET_KEY was set (tokens survive restarts and work across nodes). */
  secretKeySet: boolean;
  /** IDENTITY_SECRET: verifies the host site's signed user ids; unset = none is accepted. */
  identitySecret?: string | undefined;
  /** Longest lifetime of an agent token, in seconds. */
  agentTokenMaxTtl: number;
  apiKeys: string[];
  corsOrigins: string[];
  rateLimitPerMinute: number;
  trustProxy: boolean | number | string[];
  limits: {
    bodyBytes: number;
    socketMessageBytes: number;
    answerLength: number;
    socketEventsPerSecond: number;
    socketEventBurst: number;
    /** Open socket.io connections per client address on this node; 0 = no cap. */
    connectionsPerIp: number;
    /** New sessions per client address per minute, both doors together; 0 = no budget. */
    sessionStartsPerMinute: number;
  };
  abTestingEnabled: boolean;
  abAlpha: number;
  abMinSample: number;
  analyticsRetentionDays: number;
  workflowFile?: string;
  webRoot: string;
  phoneDefaultRegion: string;
  idleSweepSeconds: number;
  routing: { file?: string; reassignAfterSeconds: number; sweepSeconds: number; slaSeconds: number };
  sessionCacheSize: number;
  runningActors: number;
  sessionCacheCoherence: z.infer<typeof envSchema>['SESSION_CACHE_COHERENCE'];
  commitGroup: { ms: number; max: number; writers: number };
  /** From PUBLIC_URL; unset = the address the server ends up listening on. */
  publicUrl?: string;
  notifications: {
    routes: Record<string, string[]>;
    maxAttempts: number;
    timeoutMs: number;
    backoffMs: number;
    pollSeconds: number;
    lockSeconds: number;
    smtpUrl?: string;
    senderEmail: string;
    salesTeamEmails: string[];
    slackWebhookUrl?: string;
    discordWebhookUrl?: string;
    teamsWebhookUrl?: string;
    webhookUrl?: string;
    webhookSecret?: string;
  };
  /** The CRMs leads are pushed to (each unset = off) and the mapping file. */
  crm: CrmConfig;
  /** Who may read `/metrics`, and where it is served (see METRICS_TOKEN, METRICS_PORT). */
  metrics: { token?: string; port?: number; host: string };
  /** The WhatsApp door (WHATSAPP_*, the same names in camel case); null when it is off. */
  whatsapp: WhatsAppConfig | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment (empty strings count as unset). Throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<Config> {
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(env);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  // Checked on the raw values so it is reported together with any other bad variable.
  if (env.NODE_ENV === 'production' && !env.SECRET_KEY)
    lines.push('  SECRET_KEY: required when NODE_ENV=production');
  // nodemailer applies the timeout to connecting, the greeting and each read: a delivery can take a
  // few timeouts. A claim must outlast it, or another node would send the same notification again.
  if (parsed.success && parsed.data.NOTIFY_LOCK_SECONDS * 1000 < parsed.data.NOTIFY_TIMEOUT_MS * 4 + 1000) {
    const needed = Math.ceil((parsed.data.NOTIFY_TIMEOUT_MS * 4 + 1000) / 1000);
    lines.push(`  NOTIFY_LOCK_SECONDS: must be at least 4 × NOTIFY_TIMEOUT_MS + 1 s (${needed} s here)`);
  }
  if (parsed.success && parsed.data.METRICS_PORT && parsed.data.METRICS_PORT === parsed.data.PORT)
    lines.push('  METRICS_PORT: must differ from PORT (leave it unset to serve /metrics on PORT)');
  if (parsed.success) lines.push(...crmIssues(parsed.data));
  lines.push(...whatsappIssues(env));
  if (!parsed.success || lines.length > 0)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  const e = parsed.data;
  return deepFreeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    nodeId: e.NODE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      embeddedDir: e.EMBEDDED_PG_DIR,
      embeddedPort: e.EMBEDDED_PG_PORT,
      migrateOnStart: e.DB_MIGRATE_ON_START,
      poolMax: e.DB_POOL_MAX,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    // Outside production a missing key gets a random one: tokens then last as long as the process.
    secretKey: e.SECRET_KEY ?? randomBytes(32).toString('hex'),
    secretKeySet: e.SECRET_KEY !== undefined,
    identitySecret: e.IDENTITY_SECRET,
    agentTokenMaxTtl: e.AGENT_TOKEN_MAX_TTL,
    apiKeys: e.API_KEYS,
    corsOrigins: e.CORS_ORIGINS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    limits: {
      bodyBytes: e.BODY_LIMIT_BYTES,
      socketMessageBytes: e.SOCKET_MESSAGE_LIMIT_BYTES,
      answerLength: e.ANSWER_MAX_LENGTH,
      socketEventsPerSecond: e.SOCKET_EVENTS_PER_SECOND,
      socketEventBurst: e.SOCKET_EVENT_BURST,
      connectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
      sessionStartsPerMinute: e.SESSION_STARTS_PER_MINUTE,
    },
    abTestingEnabled: e.AB_TESTING_ENABLED,
    abAlpha: e.AB_ALPHA,
    abMinSample: e.AB_MIN_SAMPLE,
    analyticsRetentionDays: e.ANALYTICS_RETENTION_DAYS,
    workflowFile: e.WORKFLOW_FILE,
    webRoot: e.WEB_ROOT,
    phoneDefaultRegion: e.PHONE_DEFAULT_REGION,
    idleSweepSeconds: e.IDLE_SWEEP_SECONDS,
    routing: {
      file: e.ROUTING_FILE,
      reassignAfterSeconds: e.ROUTING_REASSIGN_AFTER,
      sweepSeconds: e.ROUTING_SWEEP_SECONDS,
      slaSeconds: e.SLA_FIRST_RESPONSE,
    },
    sessionCacheSize: e.SESSION_CACHE_SIZE,
    runningActors: e.RUNNING_ACTORS,
    sessionCacheCoherence: e.SESSION_CACHE_COHERENCE,
    commitGroup: { ms: e.COMMIT_GROUP_MS, max: e.COMMIT_GROUP_MAX, writers: e.COMMIT_WRITERS },
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    notifications: {
      routes: e.NOTIFICATION_ROUTES,
      maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
      timeoutMs: e.NOTIFY_TIMEOUT_MS,
      backoffMs: e.NOTIFY_BACKOFF_MS,
      pollSeconds: e.NOTIFY_POLL_SECONDS,
      lockSeconds: e.NOTIFY_LOCK_SECONDS,
      smtpUrl: e.SMTP_URL ?? smtpUrlOf(e),
      senderEmail: e.SENDER_EMAIL,
      salesTeamEmails: e.SALES_TEAM_EMAILS,
      slackWebhookUrl: e.SLACK_WEBHOOK_URL,
      discordWebhookUrl: e.DISCORD_WEBHOOK_URL,
      teamsWebhookUrl: e.TEAMS_WEBHOOK_URL,
      webhookUrl: e.WEBHOOK_URL,
      webhookSecret: e.WEBHOOK_SECRET,
    },
    crm: crmConfig(e),
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    whatsapp: whatsappConfig(e),
  });
}
