import type { BranchCondition, ConversationContext, ConversationFlow } from './types.js';

/**
 * The visitor's path through a branched workflow: which profile questions are put to this visitor,
 * given the order of the session and the options picked so far. Pure; shared by the machine, the
 * engine and the workflow's validation, so that all three walk the same way.
 */

type Question = ConversationFlow['questions'][number];
/** Question id (as a string key) → option ids picked. */
export type Picks = Readonly<Record<string, readonly string[]>>;

/** Whether a `when` condition holds for the picks of the questions on the path before it. */
export function holds(condition: BranchCondition | undefined, picks: Picks): boolean {
  if (condition === undefined) return true;
  if ('all' in condition) return condition.all.every((c) => holds(c, picks));
  if ('any' in condition) return condition.any.some((c) => holds(c, picks));
  if ('not' in condition) return !holds(condition.not, picks);
  // A question off the path (or not answered yet) picked nothing.
  const picked = picks[condition.question] ?? [];
  if (condition.anyOf) return condition.anyOf.some((id) => picked.includes(id));
  if (condition.allOf) return condition.allOf.every((id) => picked.includes(id));
  if (condition.noneOf) return !condition.noneOf.some((id) => picked.includes(id));
  return true;
}

/**
 * Where the picked options send the visitor: the question id or `'contact'` named by a picked option's
 * `next`; of several (a multi-choice), the nearest in `order` (contact is the farthest). Undefined: on
 * to the next question in order.
 */
export function jumpOf(
  question: Question,
  picked: readonly string[] | undefined,
  order: readonly number[],
): number | 'contact' | undefined {
  let best: number | 'contact' | undefined;
  const rank = (t: number | 'contact') => (t === 'contact' ? order.length : order.indexOf(t));
  for (const option of question.options) {
    if (option.next === undefined || !picked?.includes(option.id)) continue;
    if (best === undefined || rank(option.next) < rank(best)) best = option.next;
  }
  return best;
}

/**
 * The questions on the path, in order: a question whose `when` fails is off it, and a picked option's
 * `next` takes the path past the questions in between. A question not answered yet does not jump, so
 * the path beyond it is the one it would be if no option of it sent the visitor elsewhere.
 * Only the picks of questions on the path count for the `when` of later ones.
 */
export function pathOf(flow: ConversationFlow, order: readonly number[], picks: Picks): number[] {
  const path: number[] = [];
  const onPath: Record<string, readonly string[]> = {};
  let i = 0;
  while (i < order.length) {
    const id = order[i]!;
    const question = flow.questions.find((q) => q.id === id);
    if (!question || !holds(question.when, onPath)) {
      i += 1;
      continue;
    }
    path.push(id);
    const picked = picks[id];
    if (picked !== undefined) onPath[id] = picked;
    const jump = jumpOf(question, picked, order);
    if (jump === 'contact') break;
    // Validation keeps jumps forward; a jump that is not (a reordered session) goes on in order.
    const target = jump === undefined ? -1 : order.indexOf(jump);
    i = target > i ? target : i + 1;
  }
  return path;
}

/**
 * The last path worked out for a context's picks. The machine's guards and actions ask for the path of
 * the same context several times per event, and a context's picks are never changed in place (a new
 * answer assigns new ones), so the object stands for its path for as long as it lives.
 */
const lastPath = new WeakMap<
  Picks,
  { flow: ConversationFlow; order: readonly number[]; path: readonly number[] }
>();

/** The path of a conversation as its context stands. */
export function pathIn(
  flow: ConversationFlow,
  context: Pick<ConversationContext, 'questionOrder' | 'picks'>,
): readonly number[] {
  const { questionOrder: order, picks } = context;
  if (!picks) return pathOf(flow, order, {});
  const known = lastPath.get(picks);
  if (known?.flow === flow && known.order === order) return known.path;
  const path = Object.freeze(pathOf(flow, order, picks));
  lastPath.set(picks, { flow, order, path });
  return path;
}
