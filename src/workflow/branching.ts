import { z } from 'zod';
import { holds, jumpOf } from '../../machines/path.js';
import type { BranchCondition, ConversationFlow } from '../../machines/types.js';

/**
 * Branching in a workflow: a question's `when` (put only if earlier answers match) and an option's
 * `next` (jump to a later question, or to the contact form). The schemas of both, and the checks that
 * keep every visitor's path finite, forward and meaningful: no cycle or backward jump, no reference to
 * an unknown or later question or option, no question that no combination of answers reaches — in the
 * workflow's order and in every order a `question_flow` experiment gives.
 */

const optionIds = z.array(z.string().min(1).max(64)).min(1).max(50);

/** `{ question, anyOf | allOf | noneOf }`, `{ all: [...] }`, `{ any: [...] }` or `{ not: {...} }`. */
export const conditionSchema: z.ZodType<BranchCondition> = z.lazy(() =>
  z.union([
    z
      .strictObject({
        question: z.number().int().positive(),
        anyOf: optionIds.optional(),
        allOf: optionIds.optional(),
        noneOf: optionIds.optional(),
      })
      .refine((c) => [c.anyOf, c.allOf, c.noneOf].filter((x) => x !== undefined).length === 1, {
        message: 'name exactly one of anyOf, allOf, noneOf',
      }),
    z.strictObject({ all: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(50) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

/** An option's `next`: a later question's id, or `"contact"` to end the questions there. */
export const nextSchema = z.union([z.number().int().positive(), z.literal('contact')]);

type Question = ConversationFlow['questions'][number] & { options: ReadonlyArray<{ id: string }> };
type Path = (string | number)[];

export interface BranchProblem {
  path: Path;
  message: string;
}

/** The leaves of a condition with their paths below `at`. */
function leaves(
  condition: BranchCondition,
  at: Path,
): { leaf: Extract<BranchCondition, { question: number }>; path: Path }[] {
  if ('all' in condition) return condition.all.flatMap((c, i) => leaves(c, [...at, 'all', i]));
  if ('any' in condition) return condition.any.flatMap((c, i) => leaves(c, [...at, 'any', i]));
  if ('not' in condition) return leaves(condition.not, [...at, 'not']);
  return [{ leaf: condition, path: at }];
}

/** Problems that do not depend on the order: references to questions and options that do not exist. */
function referenceProblems(questions: readonly Question[]): BranchProblem[] {
  const problems: BranchProblem[] = [];
  const byId = new Map(questions.map((q) => [q.id, q]));
  questions.forEach((q, i) => {
    q.options.forEach((o, j) => {
      if (o.next !== undefined && o.next !== 'contact' && !byId.has(o.next))
        problems.push({
          path: ['questions', i, 'options', j, 'next'],
          message: `jumps to question ${o.next}, which is no profile question of the workflow`,
        });
    });
    if (!q.when) return;
    for (const { leaf, path } of leaves(q.when, ['questions', i, 'when'])) {
      const target = byId.get(leaf.question);
      if (!target) {
        problems.push({
          path: [...path, 'question'],
          message: `refers to question ${leaf.question}, which is no profile question of the workflow`,
        });
        continue;
      }
      for (const key of ['anyOf', 'allOf', 'noneOf'] as const) {
        leaf[key]?.forEach((id, k) => {
          if (!target.options.some((o) => o.id === id))
            problems.push({
              path: [...path, key, k],
              message: `question ${leaf.question} has no option "${id}"`,
            });
        });
      }
    }
  });
  return problems;
}

/** Problems of the workflow in one order: jumps that go back, conditions on questions not yet asked. */
function orderProblems(questions: readonly Question[], order: readonly number[]): BranchProblem[] {
  const problems: BranchProblem[] = [];
  const rank = (id: number) => order.indexOf(id);
  questions.forEach((q, i) => {
    const own = rank(q.id);
    q.options.forEach((o, j) => {
      if (o.next === undefined || o.next === 'contact') return;
      const path = ['questions', i, 'options', j, 'next'];
      if (o.next === q.id) problems.push({ path, message: `jumps to its own question ${q.id}: a cycle` });
      else if (rank(o.next) < own)
        problems.push({
          path,
          message: `jumps back to question ${o.next}, which comes before question ${q.id}: a cycle`,
        });
    });
    if (!q.when) return;
    for (const { leaf, path } of leaves(q.when, ['questions', i, 'when'])) {
      if (rank(leaf.question) >= own)
        problems.push({
          path: [...path, 'question'],
          message: `question ${q.id} depends on question ${leaf.question}, which is not asked before it`,
        });
    }
  });
  return problems;
}

/** The option ids of each question that some `when` names. */
function referencedOptions(questions: readonly Question[]): Map<number, Set<string>> {
  const refs = new Map<number, Set<string>>();
  for (const q of questions) {
    if (!q.when) continue;
    for (const { leaf } of leaves(q.when, [])) {
      const set = refs.get(leaf.question) ?? new Set<string>();
      for (const id of [...(leaf.anyOf ?? []), ...(leaf.allOf ?? []), ...(leaf.noneOf ?? [])]) set.add(id);
      refs.set(leaf.question, set);
    }
  }
  return refs;
}

/** Non-empty subsets of `ids` (up to 2^12 of them; beyond, each alone and all together). */
function subsets(ids: readonly string[]): string[][] {
  if (ids.length > 12) return [...ids.map((id) => [id]), [...ids]];
  const out: string[][] = [];
  for (let mask = 1; mask < 1 << ids.length; mask++) out.push(ids.filter((_, k) => mask & (1 << k)));
  return out;
}

/**
 * What a visitor may pick at a question, up to what matters for the branches: options that no `when`
 * names and that jump nowhere are all alike, so one stands for them. Skipping picks nothing.
 */
function outcomes(q: Question, referenced: ReadonlySet<string> | undefined): string[][] {
  // Every kind answered with text (whatever kinds there are) picks no option.
  if (q.type !== 'single_choice' && q.type !== 'multi_choice') return [[]];
  const matters = (o: { id: string; next?: unknown }) => o.next !== undefined || referenced?.has(o.id);
  const relevant = q.options.filter(matters).map((o) => o.id);
  const plain = q.options.find((o) => !matters(o))?.id;
  const ids = plain === undefined ? relevant : [...relevant, plain];
  const picks = q.type === 'single_choice' ? ids.map((id) => [id]) : subsets(ids);
  return q.required ? picks : [...picks, []];
}

/** `['questions', 3, 'next']` → `questions[3].next`. */
function pathName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** How many distinct (question, relevant picks) states the walk may visit before it gives up. */
const STATE_BUDGET = 100_000;

/**
 * The questions some combination of answers puts to a visitor, walking every distinct state of the
 * branches; null when there are more states than the budget.
 */
export function reachableQuestions(
  questions: readonly Question[],
  order: readonly number[],
): Set<number> | null {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const refs = referencedOptions(questions);
  const reached = new Set<number>();
  const seen = new Set<string>();
  const stack: { at: number; picks: Record<string, string[]> }[] = [{ at: 0, picks: {} }];
  while (stack.length > 0) {
    const { at, picks } = stack.pop()!;
    let k = at;
    while (k < order.length && !holds(byId.get(order[k]!)?.when, picks)) k += 1;
    if (k >= order.length) continue;
    const key = `${k}:${JSON.stringify(picks)}`;
    if (seen.has(key)) continue;
    if (seen.size >= STATE_BUDGET) return null;
    seen.add(key);
    const q = byId.get(order[k]!)!;
    reached.add(q.id);
    const referenced = refs.get(q.id);
    for (const picked of outcomes(q, referenced)) {
      const jump = jumpOf(q, picked, order);
      if (jump === 'contact') continue;
      const next = jump === undefined ? k + 1 : Math.max(k + 1, order.indexOf(jump));
      const kept = referenced ? { ...picks, [q.id]: picked.filter((id) => referenced.has(id)) } : picks;
      stack.push({ at: next, picks: kept });
    }
  }
  return reached;
}

/**
 * Every branching problem of a workflow, each with the path that names it. `orders` are the other
 * orders sessions may take (`question_flow` variants), each with the path of its `order`.
 */
export function branchProblems(
  questions: readonly Question[],
  orders: readonly { order: readonly number[]; path: Path }[] = [],
): BranchProblem[] {
  const references = referenceProblems(questions);
  if (references.length > 0) return references;
  const all = [{ order: questions.map((q) => q.id), path: null as Path | null }, ...orders];
  const problems: BranchProblem[] = [];
  for (const { order, path } of all) {
    // A variant's order is checked as a whole; its problem is named at the order, with the question's.
    const place = (p: BranchProblem): BranchProblem =>
      path ? { path, message: `in this order, ${pathName(p.path)} ${p.message}` } : p;
    const found = orderProblems(questions, order);
    if (found.length > 0) {
      problems.push(...found.map(place));
      continue;
    }
    const reached = reachableQuestions(questions, order);
    if (reached === null) {
      problems.push({
        path: path ?? ['questions'],
        message: `too many combinations of answers to check the branches (over ${STATE_BUDGET})`,
      });
      continue;
    }
    questions.forEach((q, i) => {
      if (!reached.has(q.id))
        problems.push(
          place({
            path: ['questions', i],
            message: `question ${q.id} is never reached: no combination of answers puts it to a visitor`,
          }),
        );
    });
  }
  return problems;
}
