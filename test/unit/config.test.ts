import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.env).toBe('development');
    expect(c.port).toBe(5000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.rateLimitPerMinute).toBe(60);
    expect(c.limits.sessionStartsPerMinute).toBe(20);
    expect(c.agentTokenMaxTtl).toBe(24 * 3600);
    expect(c.phoneDefaultRegion).toBe('IN');
    expect(c.corsOrigins).toEqual(['*']);
    expect(c.database.url).toBeUndefined();
    expect(c.database).toMatchObject({
      embeddedDir: './data/postgres',
      embeddedPort: 54329,
      migrateOnStart: true,
      poolMax: 10,
    });
    expect(c.redis.url).toBeUndefined();
    expect(c.redis.prefix).toBe('lcb');
    expect(c.logLevel).toBe('info');
    expect(c.abTestingEnabled).toBe(true);
    expect(c.analyticsRetentionDays).toBe(90);
    expect(c.idleSweepSeconds).toBe(60);
    expect(c.sessionCacheSize).toBe(50_000);
    expect(c.workflowFile).toBeUndefined();
    expect(c.notifications.salesTeamEmails).toEqual([]);
    expect(c.notifications.senderEmail).toBe('noreply@example.com');
    // /metrics is not served until a token or a port of its own is given.
    expect(c.metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    // Outside production a missing key is generated.
    expect(c.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(c.nodeId.length).toBeGreaterThan(0);
  });

  it('parses the variables it is given', () => {
    const c = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u:p@db:5432/leads',
      REDIS_URL: 'rediss://cache:6380',
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      SALES_TEAM_EMAILS: 'a@b.co, sales@example.com',
      AB_TESTING_ENABLED: 'no',
      PHONE_DEFAULT_REGION: 'US',
      NODE_ID: 'node-1',
      SESSION_STARTS_PER_MINUTE: '0',
      AGENT_TOKEN_MAX_TTL: '7d',
    });
    expect(c.port).toBe(8080);
    expect(c.database.url).toBe('postgresql://u:p@db:5432/leads');
    expect(c.redis.url).toBe('rediss://cache:6380');
    expect(c.logLevel).toBe('debug');
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.notifications.salesTeamEmails).toEqual(['a@b.co', 'sales@example.com']);
    expect(c.abTestingEnabled).toBe(false);
    expect(c.phoneDefaultRegion).toBe('US');
    expect(c.nodeId).toBe('node-1');
    expect(c.limits.sessionStartsPerMinute).toBe(0);
    expect(c.agentTokenMaxTtl).toBe(7 * 86_400);
    expect(loadConfig({ AGENT_TOKEN_MAX_TTL: '90m' }).agentTokenMaxTtl).toBe(5400);
    expect(loadConfig({ AGENT_TOKEN_MAX_TTL: '3600' }).agentTokenMaxTtl).toBe(3600);
  });

  it('names every bad variable at once', () => {
    const err = configError({
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      SALES_TEAM_EMAILS: 'a@b.co,not-an-email',
      HOST: 'example.internal',
    });
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'SALES_TEAM_EMAILS']) {
      expect(err.message).toMatch(new RegExp(`^\\s+${name}(\\.\\d+)?: `, 'm'));
    }
    // Only the bad ones.
    expect(err.message).not.toContain('HOST');
    expect(err.message.split('\n').filter((l) => /^\s+\S+: /.test(l))).toHaveLength(4);
  });

  it.each([
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['REDIS_URL', 'http://cache'],
    ['PHONE_DEFAULT_REGION', 'in'],
    ['NODE_ENV', 'staging'],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['DB_MIGRATE_ON_START', 'maybe'],
    ['SMTP_URL', 'not a url'],
    ['SECRET_KEY', 'short'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_PORT', '70000'],
    ['SESSION_STARTS_PER_MINUTE', '-1'],
    ['AGENT_TOKEN_MAX_TTL', '2w'],
    ['AGENT_TOKEN_MAX_TTL', '30'],
    ['AGENT_TOKEN_MAX_TTL', '400d'],
  ])('rejects %s=%s naming it', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(`${name}: `);
  });

  it('takes the metrics token and listener, and refuses a metrics port that is the main port', () => {
    const c = loadConfig({
      METRICS_TOKEN: 'prometheus-scrape-token',
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
    });
    expect(c.metrics).toEqual({ token: 'prometheus-scrape-token', port: 9464, host: '0.0.0.0' });
    expect(configError({ PORT: '5000', METRICS_PORT: '5000' }).message).toContain('METRICS_PORT: ');
  });

  it('requires SECRET_KEY in production', () => {
    const err = configError({ NODE_ENV: 'production' });
    expect(err.message).toContain('SECRET_KEY');
    expect(configError({ NODE_ENV: 'production', SECRET_KEY: '' }).message).toContain('SECRET_KEY');
    const c = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'a-long-enough-secret-key' });
    expect(c.env).toBe('production');
    expect(c.secretKey).toBe('a-long-enough-secret-key');
  });

  it('names a missing production SECRET_KEY together with other bad variables', () => {
    const err = configError({ NODE_ENV: 'production', PORT: 'abc' });
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('SECRET_KEY');
  });

  it('counts empty strings as unset', () => {
    const c = loadConfig({
      PORT: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: '',
      CORS_ORIGINS: '',
      PHONE_DEFAULT_REGION: '',
      SECRET_KEY: '',
      SALES_TEAM_EMAILS: '',
      NODE_ENV: '',
      UNRELATED: undefined,
    });
    expect(c.port).toBe(5000);
    expect(c.database.url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.logLevel).toBe('info');
    expect(c.corsOrigins).toEqual(['*']);
    expect(c.phoneDefaultRegion).toBe('IN');
    expect(c.notifications.salesTeamEmails).toEqual([]);
    expect(c.env).toBe('development');
    expect(c.secretKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('returns a frozen object', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(c.port).toBe(5000);
  });
});
