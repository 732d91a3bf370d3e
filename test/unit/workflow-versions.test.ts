import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { builtInWorkflow } from '../../src/workflow/built-in.js';
import { defaultWorkflow } from '../../src/workflow/default.js';
import { loadWorkflow, parseWorkflow } from '../../src/workflow/load.js';
import {
  type StoredWorkflow,
  WorkflowRegistry,
  type WorkflowVersionStore,
  workflowChecksum,
} from '../../src/workflow/registry.js';

/** Keys of every object in reverse order: the same workflow, spelled differently. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  return value;
}

/** A store in memory, counting its reads. */
function memoryStore(rows: StoredWorkflow[] = []): WorkflowVersionStore & { finds: number } {
  const store = {
    finds: 0,
    async save(row: Omit<StoredWorkflow, 'createdAt'>, at: Date) {
      if (!rows.some((r) => r.version === row.version)) rows.push({ ...row, createdAt: at });
      return rows.find((r) => r.version === row.version)!;
    },
    async find(version: string) {
      store.finds += 1;
      return rows.find((r) => r.version === version) ?? null;
    },
    adopt: async () => 0,
    inUse: async () => [],
  };
  return store;
}

const edited = () => {
  const raw = structuredClone(defaultWorkflow);
  raw.questions[1]!.text = 'In which city do you trade?';
  return parseWorkflow(raw);
};

describe('workflow checksums', () => {
  it('are the SHA-256 of the canonical JSON of the validated workflow: key order and spelt-out defaults do not count', () => {
    const wf = loadWorkflow();
    const version = workflowChecksum(wf);
    expect(version).toMatch(/^[0-9a-f]{64}$/);
    // The canonical form worked out here: keys sorted at every level, no whitespace, of the workflow as
    // stored (every language's texts).
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    expect(version).toBe(
      createHash('sha256')
        .update(JSON.stringify(sorted(JSON.parse(JSON.stringify(wf)))))
        .digest('hex'),
    );
    expect(workflowChecksum(parseWorkflow(reversedKeys(builtInWorkflow)))).toBe(version);
    // idleMinutes defaults to 30: writing it out is the same workflow.
    expect(workflowChecksum(parseWorkflow({ ...builtInWorkflow, idleMinutes: 30 }))).toBe(version);
    expect(workflowChecksum(edited())).not.toBe(version);
  });
});

describe('the workflow registry', () => {
  it('resolves a session without a version to the active one, and an unknown version to workflow_unavailable', async () => {
    const registry = new WorkflowRegistry(loadWorkflow(), memoryStore());
    expect(await registry.resolve(null)).toBe(registry.active);
    expect(await registry.resolve(registry.active.version)).toBe(registry.active);
    const err = await registry.resolve('f'.repeat(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'workflow_unavailable', details: { workflowVersion: 'f'.repeat(64) } });
  });

  it('loads a stored version once, machine and all, and keeps serving it', async () => {
    const old = edited();
    const version = workflowChecksum(old);
    const store = memoryStore([{ version, name: old.name, definition: old, createdAt: new Date(0) }]);
    const registry = new WorkflowRegistry(loadWorkflow(), store);
    const [first, second] = await Promise.all([registry.resolve(version), registry.resolve(version)]);
    expect(first).toBe(second);
    expect(await registry.resolve(version)).toBe(first);
    expect(store.finds).toBe(1);
    expect(first.workflow.questions[1]!.text).toBe('In which city do you trade?');
    expect(first.machine).not.toBe(registry.active.machine);
    expect((await registry.known()).map((v) => v.version)).toEqual([registry.active.version, version]);
  });

  it('refuses a stored version that no longer passes the schema, and tries again next time', async () => {
    const version = 'a'.repeat(64);
    const store = memoryStore([
      { version, name: 'broken', definition: { name: 'broken' }, createdAt: new Date(0) },
    ]);
    const registry = new WorkflowRegistry(loadWorkflow(), store);
    await expect(registry.resolve(version)).rejects.toMatchObject({
      code: 'workflow_unavailable',
      message: expect.stringMatching(/no longer passes the workflow schema/),
    });
    await expect(registry.resolve(version)).rejects.toMatchObject({ code: 'workflow_unavailable' });
    expect(store.finds).toBe(2);
  });

  it('open() stores the active version once, whoever starts first', async () => {
    const store = memoryStore();
    const logger = { warn: () => {}, info: () => {} };
    const [a, b] = await Promise.all([
      WorkflowRegistry.open(loadWorkflow(), store, logger, new Date(1000)),
      WorkflowRegistry.open(loadWorkflow(), store, logger, new Date(2000)),
    ]);
    expect(a.active.version).toBe(b.active.version);
    const described = await b.describe();
    expect(described.active).toMatchObject({ version: a.active.version, createdAt: new Date(1000) });
  });
});
