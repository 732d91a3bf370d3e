import type { CommitUnit } from '../persistence/rows.js';
import { conversionTriggers, type Trigger } from './triggers.js';

const counted: readonly Trigger[] = conversionTriggers;

/**
 * What an event's triggers queue in its own commit: an outbox row per routed trigger and channel, and
 * an experiment conversion per test the lead takes part in and trigger that counts as one.
 */
export function queueEffects(
  unit: CommitUnit,
  triggers: readonly Trigger[],
  route?: (trigger: Trigger) => readonly string[],
): void {
  if (route && triggers.length > 0) {
    unit.notifications = triggers.flatMap((trigger) =>
      route(trigger).map((channel) => ({ trigger, channel })),
    );
  }
  const conversions = triggers.filter((t) => counted.includes(t));
  if (conversions.length > 0) {
    unit.conversions = Object.entries(unit.lead.variants).flatMap(([testName, variant]) =>
      conversions.map((conversionType) => ({ testName, variant, conversionType })),
    );
  }
}
