import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * A workflow as it ran: content-addressed (its `version` is the SHA-256 of its canonical JSON) and
 * never changed or deleted, so a session that started on it can always be continued on it.
 */
export const WorkflowRecord = defineEntity({
  name: 'WorkflowRecord',
  tableName: 'workflows',
  properties: {
    /** Hex SHA-256 of the RFC 8785 canonical JSON of `definition`. */
    version: p.string().length(64).primary(),
    name: p.string().length(200),
    /** The validated workflow (defaults filled in), as the server ran it. */
    definition: p.json<unknown>(),
    /** When a node first ran it. */
    createdAt: p.datetime(),
  },
});

export type IWorkflowRecord = InferEntity<typeof WorkflowRecord>;
