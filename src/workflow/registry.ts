import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { type ConversationMachine, createConversationMachine } from '../../machines/conversation.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { parseWorkflow } from './load.js';
import type { Workflow } from './schema.js';

/** A workflow as stored: content-addressed by its checksum, never changed. */
export interface StoredWorkflow {
  version: string;
  name: string;
  definition: unknown;
  createdAt: Date;
}

/** Sessions still in a conversation (not completed, declined or erased) per workflow version. */
export interface VersionUse {
  version: string;
  sessions: number;
}

/** Where workflow versions are kept (src/persistence/workflow-store.ts). */
export interface WorkflowVersionStore {
  /** Stores the workflow unless its version is stored already (several nodes may start at once); the stored row. */
  save(row: Omit<StoredWorkflow, 'createdAt'>, at: Date): Promise<StoredWorkflow>;
  find(version: string): Promise<StoredWorkflow | null>;
  /** Gives every session stored without a version this one; how many. */
  adopt(version: string): Promise<number>;
  inUse(): Promise<VersionUse[]>;
}

/** One version of the workflow, ready to run: its definition and its conversation machine. */
export interface WorkflowVersion {
  /** The checksum that names it (see `workflowChecksum`). */
  version: string;
  workflow: Workflow;
  machine: ConversationMachine;
}

/**
 * The version of a workflow: hex SHA-256 of its RFC 8785 canonical JSON (keys sorted, no spaces), taken
 * of the validated workflow, so spelling out a default or reordering keys does not make a new version.
 */
export function workflowChecksum(workflow: Workflow): string {
  return createHash('sha256').update(canonicalize(workflow)!).digest('hex');
}

function ready(workflow: Workflow): WorkflowVersion {
  return { version: workflowChecksum(workflow), workflow, machine: createConversationMachine(workflow) };
}

/**
 * The workflow versions a node runs: the active one (new sessions start on it) and every version a
 * session it serves started with, loaded from the store the first time one is needed. Versions are
 * immutable and named by their checksum, so a version once loaded (with its machine, built once) is
 * never stale and is kept for the life of the process.
 */
export class WorkflowRegistry {
  readonly active: WorkflowVersion;
  private readonly loaded = new Map<string, Promise<WorkflowVersion>>();
  private stored: StoredWorkflow | null = null;

  /** Without a store, only the active version is known (tests of the pure parts). */
  constructor(
    active: Workflow,
    private readonly store: WorkflowVersionStore | null = null,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    this.active = ready(active);
    this.loaded.set(this.active.version, Promise.resolve(this.active));
  }

  /**
   * The registry of a starting node: the active workflow is stored (if no node stored it before),
   * sessions from before versions existed adopt it, and the versions open sessions still use are
   * loaded, so one that can no longer be read is reported at start-up rather than on a visitor's turn.
   */
  static async open(
    active: Workflow,
    store: WorkflowVersionStore,
    logger: Pick<Logger, 'warn' | 'info'>,
    at = new Date(),
  ): Promise<WorkflowRegistry> {
    const registry = new WorkflowRegistry(active, store, logger);
    const { version } = registry.active;
    registry.stored = await store.save({ version, name: active.name, definition: active }, at);
    const adopted = await store.adopt(version);
    if (adopted > 0) logger.info({ version, sessions: adopted }, 'sessions from before versions adopted');
    for (const use of await store.inUse()) await registry.resolve(use.version).catch(() => undefined);
    return registry;
  }

  /** The active workflow as stored (its first storing time), with what open sessions still use. */
  async describe(): Promise<{ active: StoredWorkflow; inUse: VersionUse[] }> {
    const { version, workflow } = this.active;
    const active = this.stored ?? {
      version,
      name: workflow.name,
      definition: workflow,
      createdAt: new Date(0),
    };
    return { active, inUse: await this.read(() => this.store?.inUse() ?? Promise.resolve([])) };
  }

  /**
   * The version a session started with (null: a session stored before versions, which runs on the
   * active one). One that is not stored, or no longer passes the schema, is refused with
   * `workflow_unavailable`: continuing on another workflow would ask and score what the visitor was
   * never asked.
   */
  resolve(version: string | null | undefined): Promise<WorkflowVersion> {
    if (!version) return Promise.resolve(this.active);
    let found = this.loaded.get(version);
    if (!found) {
      found = this.load(version);
      this.loaded.set(version, found);
      // A failure is not kept: the next session that needs the version tries again.
      found.catch(() => this.loaded.delete(version));
    }
    return found;
  }

  /** The versions loaded so far (the active one first). */
  async known(): Promise<WorkflowVersion[]> {
    const all = await Promise.allSettled(this.loaded.values());
    return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  private async load(version: string): Promise<WorkflowVersion> {
    const row = await this.read(() => this.store?.find(version) ?? Promise.resolve(null));
    const refuse = (why: string, cause?: unknown) => {
      this.logger?.warn({ version, err: cause }, `workflow version ${why}`);
      return new AppError(
        'workflow_unavailable',
        `The workflow this conversation started with (${version.slice(0, 12)}) ${why}; start a new conversation.`,
        { workflowVersion: version },
        { cause },
      );
    };
    if (!row) throw refuse('is not stored');
    let workflow: Workflow;
    try {
      workflow = parseWorkflow(row.definition, `stored workflow ${version}`);
    } catch (err) {
      throw refuse('no longer passes the workflow schema', err);
    }
    // Named by what it was when stored: parsing again may fill in defaults a later release added.
    return { version, workflow, machine: createConversationMachine(workflow) };
  }

  private async read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new AppError('unavailable', undefined, undefined, { cause: err });
    }
  }
}
