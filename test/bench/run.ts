/**
 * Runs the benchmark scenarios one after another, each in a process of its own (each prints one JSON
 * line and a Markdown table; with BENCH_WRITE_RESULTS=1 each replaces its section of RESULTS.md).
 *   npm run bench                      every default scenario
 *   npm run bench -- idle fanout       some of them
 *   npm run bench -- soak              the long soak run (never run by default)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Scenario → the node flags it needs. In this order by default. */
const SCENARIOS: Record<string, string[]> = {
  export: ['--expose-gc'],
  journeys: [],
  'rest-journeys': [],
  ceilings: [],
  idle: [],
  fanout: [],
};
/** Run only when named: soak takes about half an hour. */
const ON_REQUEST: Record<string, string[]> = { soak: [] };
const ALIASES: Record<string, string> = { 'fan-out': 'fanout', rest: 'rest-journeys', ceiling: 'ceilings' };

function runScenario(name: string, flags: string[]): Promise<number> {
  return new Promise((resolve) => {
    console.log(`\n# ${name}`);
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', `test/bench/${name}.ts`], {
      stdio: 'inherit',
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const asked = process.argv.slice(2).map((n) => ALIASES[n] ?? n);
const unknown = asked.filter((n) => !(n in SCENARIOS) && !(n in ON_REQUEST));
if (unknown.length > 0) {
  console.error(
    `unknown scenario: ${unknown.join(', ')}; known: ${[...Object.keys(SCENARIOS), ...Object.keys(ON_REQUEST)].join(', ')}`,
  );
  process.exit(2);
}
const failed: string[] = [];
const started = performance.now();
for (const name of asked.length > 0 ? asked : Object.keys(SCENARIOS)) {
  if (!existsSync(`test/bench/${name}.ts`)) {
    console.error(`${name}: test/bench/${name}.ts does not exist`);
    failed.push(name);
    continue;
  }
  if ((await runScenario(name, SCENARIOS[name] ?? ON_REQUEST[name] ?? [])) !== 0) failed.push(name);
}
console.log(
  `\n${((performance.now() - started) / 1000).toFixed(0)} s; ${failed.length > 0 ? `failed: ${failed.join(', ')}` : 'all passed'}`,
);
process.exit(failed.length > 0 ? 1 : 0);
