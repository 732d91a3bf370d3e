import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { AgentTokens, agentRoles } from './tokens.js';

/** `npm run agent:token -- --name "Asha" [--role admin] [--ttl 12h] [--id asha]` prints an agent token. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      role: { type: 'string', default: 'agent' },
      ttl: { type: 'string', default: '12h' },
      id: { type: 'string' },
    },
  });
  const config = loadConfig();
  if (!config.secretKeySet)
    throw new Error('Set SECRET_KEY (the same as the server) to mint tokens it accepts.');
  if (!values.name) throw new Error('Give --name "Agent Name".');
  const role = values.role as (typeof agentRoles)[number];
  if (!agentRoles.includes(role)) throw new Error(`--role must be one of ${agentRoles.join(', ')}.`);
  const tokens = new AgentTokens(config.secretKey, config.agentTokenMaxTtl);
  const problem = tokens.ttlProblem(values.ttl!);
  if (problem) throw new Error(`--ttl: ${problem}.`);
  const id = values.id ?? values.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  process.stdout.write(`${await tokens.sign({ id, name: values.name, role }, values.ttl!)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
