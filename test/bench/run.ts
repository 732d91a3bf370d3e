/**
 * Runs the benchmark scenarios one after another, each in a process of its own (each prints one JSON
 * line and a Markdown table; with BENCH_WRITE_RESULTS=1 each replaces its section of RESULTS.md).
 * A scenario that measures performance targets prints them on a line `BENCH_TARGETS <json>` (an array
 * of `{ target, measured, goal, holds }`); at the end one table shows them all (`## summary` of
 * RESULTS.md with BENCH_WRITE_RESULTS=1).
 *   npm run bench                      every default scenario
 *   npm run bench -- idle fanout       some of them
 *   npm run bench -- soak              the long soak run (never run by default)
 *   npm run bench -- growth            1 M stored leads (about 16 minutes here; GROWTH_LEADS to scale down)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { type BenchTarget, machine, TARGETS_MARK, table, today, writeSection } from './support.js';

/** Scenario → the node flags it needs. In this order by default. */
const SCENARIOS: Record<string, string[]> = {
  export: ['--expose-gc'],
  journeys: [],
  'rest-journeys': [],
  ceilings: [],
  idle: [],
  fanout: [],
};
/** Run only when named: soak takes about half an hour, growth seeds a million leads. */
const ON_REQUEST: Record<string, string[]> = { soak: [], growth: ['--expose-gc'] };
const ALIASES: Record<string, string> = { 'fan-out': 'fanout', rest: 'rest-journeys', ceiling: 'ceilings' };

/** Every scenario's targets, in the order they ran. */
const targets: (BenchTarget & { scenario: string })[] = [];

/** Runs a scenario, passing its output through and collecting its `BENCH_TARGETS` lines. */
function runScenario(name: string, flags: string[]): Promise<number> {
  return new Promise((resolve) => {
    console.log(`\n# ${name}`);
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', `test/bench/${name}.ts`], {
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      console.log(line);
      if (!line.startsWith(TARGETS_MARK)) return;
      try {
        const list = JSON.parse(line.slice(TARGETS_MARK.length)) as BenchTarget[];
        targets.push(...list.map((t) => ({ scenario: name, ...t })));
      } catch {
        console.error(`${name}: a BENCH_TARGETS line that is not JSON`);
      }
    });
    child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The summary: every target measured in this run, one row each. */
function summary(): string {
  const holding = targets.filter((t) => t.holds).length;
  return [
    `## summary (${today()}, ${machine()})`,
    '',
    table(
      ['target', 'measured', 'goal', 'holds'],
      targets.map((t) => [`${t.scenario}: ${t.target}`, t.measured, t.goal, t.holds ? 'yes' : '**no**']),
    ),
    '',
    `${holding} of ${targets.length} targets hold in this run.`,
  ].join('\n');
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
if (targets.length > 0) {
  const text = summary();
  console.log(`\n${text}\n`);
  if (process.env.BENCH_WRITE_RESULTS) writeSection('test/bench/RESULTS.md', 'summary', text);
}
console.log(
  `\n${((performance.now() - started) / 1000).toFixed(0)} s; ${failed.length > 0 ? `failed: ${failed.join(', ')}` : 'all passed'}`,
);
process.exit(failed.length > 0 ? 1 : 0);
