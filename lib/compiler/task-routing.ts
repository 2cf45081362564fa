import type { TaskPlan } from "./job-plan.ts";
import { stringMatches } from "./string-matches.ts";

/**
 * Task id -> ASL state: the rule the `Route` Choice state applies, written once. The renderer emits it as Choice
 * rules; the dev runtime (resume), the API views, the dashboard's graph and the tests read a state name from it.
 * Choice semantics: the first matching rule wins, else `Default` (https://states-language.net/spec.html#choice-state).
 */

/** What routing needs of a task: its id (a `*` pattern for a template literal), how it matches, and its state. */
export type RoutedTask = Pick<TaskPlan, "id" | "match" | "stateName">;

/** Where `Route` sends a task id no rule matches: the state whose retries the runner drives. */
export const DYNAMIC_TASK_STATE = "DynamicTask";

/** Whether `task`'s rule matches `taskId`: `StringEquals` for a literal id, `StringMatches` for a pattern. */
export function routesTo(task: RoutedTask, taskId: string): boolean {
  return task.match === "literal" ? task.id === taskId : stringMatches(task.id, taskId);
}

/** The `Route` rules sending a run to its task's state (`stateOf` names the state: a `Parallel` item has copies). */
export function renderTaskRules<T extends RoutedTask>(tasks: readonly T[], stateOf: (task: T) => string): Record<string, unknown>[] {
  return tasks.map((t) =>
    t.match === "literal"
      ? { Variable: "$.next.task", StringEquals: t.id, Next: stateOf(t) }
      : { Variable: "$.next.task", StringMatches: t.id, Next: stateOf(t) },
  );
}

/** The state that runs task `taskId`: the first task (in `Route`'s order) whose rule matches it, else `DynamicTask`. */
export function stateNameForTask(tasks: readonly RoutedTask[] | undefined, taskId: string): string {
  return tasks?.find((task) => routesTo(task, taskId))?.stateName ?? DYNAMIC_TASK_STATE;
}
