import { describe, expect, it } from 'vitest';
import { freePort } from '../support/cluster.js';
import { requirePostgres, requireProgram, requireRedis } from '../support/requirements.js';

/** What the suite needs from the machine fails the run, saying how to get it: never a skip. */
describe('test requirements', () => {
  it('names the Debian package of a program that is not installed', () => {
    expect(() => requireProgram('lcb-no-such-program', 'lcb-package')).toThrow(
      /lcb-no-such-program is not installed.*sudo apt-get install -y lcb-package/,
    );
    expect(() => requireProgram('/usr/bin/lcb-no-such-program', 'lcb-package')).toThrow(/lcb-package/);
    expect(() => requireProgram('node', 'nodejs')).not.toThrow();
  });

  it('says how to start a PostgreSQL or Redis that cannot be reached, hiding passwords', async () => {
    const port = await freePort();
    await expect(requirePostgres(`postgres://postgres:hunter2@127.0.0.1:${port}/test`)).rejects.toThrow(
      new RegExp(
        `PostgreSQL is not reachable at postgres://postgres:\\*\\*\\*@127.0.0.1:${port}/test .*ECONNREFUSED.*pg_ctlcluster`,
      ),
    );
    await expect(requireRedis(`redis://127.0.0.1:${port}`)).rejects.toThrow(
      new RegExp(
        `Redis is not reachable at redis://127.0.0.1:${port} .*ECONNREFUSED.*redis-server --daemonize yes`,
      ),
    );
  });
});
