import { conversionTriggers } from '../conversation/triggers.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ExperimentStore } from '../persistence/experiment-store.js';
import type { SessionStore } from '../persistence/session-store.js';
import type { WorkflowRegistry } from '../workflow/registry.js';
import type { Workflow } from '../workflow/schema.js';
import { twoProportionZTest, wilson } from './statistics.js';

export interface ExperimentSettings {
  enabled: boolean;
  /** Significance level of the z-test. */
  alpha: number;
  /** Below this many sessions a variant's numbers carry a warning. */
  minSample: number;
}

/** Experiments of the workflow: a session's variant, conversions, and honest results. */
export class Experiments {
  constructor(
    private readonly workflows: Pick<WorkflowRegistry, 'active' | 'resolve'>,
    private readonly leads: Pick<SessionStore, 'leadRecord'>,
    private readonly store: ExperimentStore,
    private readonly settings: ExperimentSettings,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** An experiment of `workflow` (by default the active one: results count across sessions). */
  private experiment(testName: string, workflow: Workflow = this.workflows.active.workflow) {
    const e = workflow.experiments.find((x) => x.name === testName);
    if (!e) {
      throw new AppError('not_found', `No experiment named "${testName}".`, {
        experiments: workflow.experiments.map((x) => x.name),
      });
    }
    return e;
  }

  /** The variant assigned at session start (never chosen by the client), as the session's workflow version configures it. */
  async variant(sessionId: string, testName: string) {
    const record = await this.leads.leadRecord(sessionId);
    const found = record && !record.lead.erasedAt ? record : null;
    const own = found ? (await this.workflows.resolve(found.lead.workflowVersion)).workflow : undefined;
    const experiment = this.experiment(testName, own);
    if (!found) throw new AppError('session_not_found');
    const variant = found.lead.variants[testName];
    if (!variant) {
      throw new AppError(
        'not_found',
        `Session is not in experiment "${testName}" (off, or switched off when it started).`,
      );
    }
    return {
      test_name: testName,
      variant,
      config: experiment.variants.find((v) => v.id === variant)?.config ?? {},
    };
  }

  /**
   * Records a conversion for the variant the session was assigned. A variant the client reports (the
   * earlier service's clients must send one) is never trusted: it is kept with the conversion, and one
   * that differs from the assignment is logged and counted in the results.
   */
  async convert(
    sessionId: string,
    testName: string,
    type: string,
    value: number | null,
    reportedVariant: string | null = null,
  ) {
    const { variant } = await this.variant(sessionId, testName);
    const recorded = await this.store.recordConversion({
      leadId: sessionId,
      testName,
      variant,
      reportedVariant,
      type,
      value,
    });
    if (reportedVariant !== null && reportedVariant !== variant) {
      this.logger.warn(
        { sessionId, testName, variant, reportedVariant, conversionType: type, recorded },
        'a conversion reported another variant than the assigned one; the assigned one counts',
      );
    }
    return {
      message: recorded ? 'Conversion recorded' : 'Conversion already recorded',
      test_name: testName,
      variant,
      conversion_type: type,
      recorded,
    };
  }

  /** Per variant: sessions, and per conversion type the rate, its 95 % Wilson interval and a z-test against the control. */
  async results(testName: string) {
    const experiment = this.experiment(testName);
    const { sessions, conversions } = await this.store.experimentCounts(testName);
    const n = (variant: string) => sessions.find((s) => s.variant === variant)?.n ?? 0;
    const x = (variant: string, type: string) =>
      conversions.find((c) => c.variant === variant && c.type === type)?.n ?? 0;
    const mismatched = (variant: string) =>
      conversions.filter((c) => c.variant === variant).reduce((sum, c) => sum + c.mismatched, 0);
    const types = [...new Set([...conversionTriggers, ...conversions.map((c) => c.type)])];
    const control = experiment.variants[0]!.id;
    return {
      test_name: testName,
      enabled: this.settings.enabled && experiment.enabled,
      control,
      alpha: this.settings.alpha,
      min_sample: this.settings.minSample,
      variants: experiment.variants.map((v) => {
        const sessionsOf = n(v.id);
        return {
          variant: v.id,
          weight: v.weight,
          sessions: sessionsOf,
          /** Conversions whose client said the lead was in another variant (counted for this one). */
          reported_variant_mismatches: mismatched(v.id),
          ...(sessionsOf < this.settings.minSample
            ? {
                warning: `Only ${sessionsOf} sessions; at least ${this.settings.minSample} are needed before reading much into this.`,
              }
            : {}),
          conversions: Object.fromEntries(
            types.map((type) => {
              const count = x(v.id, type);
              const ci = wilson(count, sessionsOf);
              const test =
                v.id === control ? null : twoProportionZTest(x(control, type), n(control), count, sessionsOf);
              return [
                type,
                {
                  count,
                  rate: sessionsOf === 0 ? 0 : count / sessionsOf,
                  ci_low: ci.low,
                  ci_high: ci.high,
                  p_value: test?.pValue ?? null,
                  significant: test ? test.pValue < this.settings.alpha : false,
                },
              ];
            }),
          ),
        };
      }),
    };
  }
}
