import type { AslDocument, AslStateDocument } from "./api-types.ts";

/**
 * A state machine drawn from its ASL with no graph library: states in layers top to bottom (longest
 * path from `StartAt` over forward transitions), transitions back up the graph (a task returning to
 * `Route`, a `Catch` returning to `Plan`) routed around the left side in one lane per target, so they
 * never cut through a state. Spec of the transition fields: https://states-language.net/spec.html#transition
 */

/** How a transition is written in ASL. */
export type EdgeKind = "next" | "choice" | "default" | "catch";

/** A state placed on the canvas (top-left corner, size in px). */
export interface GraphNode {
  readonly id: string;
  readonly type: string;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A transition with its SVG path; `back` when it returns to an earlier layer. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly back: boolean;
  readonly path: string;
}

/** The whole drawing: canvas size, states and transitions. */
export interface GraphLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** Options of {@link layoutStateMachine}. */
export interface GraphOptions {
  /** States left out with every transition touching them. @default none */
  readonly hidden?: ReadonlySet<string>;
}

/** Node height, px. */
export const NODE_HEIGHT = 34;
/** Vertical distance between the bottom of one layer and the top of the next, px. */
export const LAYER_GAP = 56;
/** Horizontal gap between states of one layer, px. */
export const NODE_GAP = 16;
/** Canvas margin, px. */
export const MARGIN = 12;
/** Width of one back-edge lane on the left, px. */
export const LANE_WIDTH = 14;
/** Width per character of a state name (12px system font, generous), px. */
export const CHAR_WIDTH = 6.6;

/** The width of a state's box: its name plus padding, within [72, 240] px. */
export function nodeWidth(name: string): number {
  return Math.min(240, Math.max(72, Math.round(name.length * CHAR_WIDTH + 28)));
}

/** Every transition of a state, in the order ASL lists them: `Next`, `Choices`, `Default`, `Catch`. */
export function stateTransitions(state: AslStateDocument): { readonly to: string; readonly kind: EdgeKind }[] {
  const out: { to: string; kind: EdgeKind }[] = [];
  // RunFailed's Next is taken only after a redrive; drawn, it would read as if a failed run looped.
  if (typeof state.Next === "string" && !failsRun(state)) out.push({ to: state.Next, kind: "next" });
  for (const choice of state.Choices ?? []) if (typeof choice.Next === "string") out.push({ to: choice.Next, kind: "choice" });
  if (typeof state.Default === "string") out.push({ to: state.Default, kind: "default" });
  for (const c of state.Catch ?? []) if (typeof c.Next === "string") out.push({ to: c.Next, kind: "catch" });
  return out;
}

/** stepjobs' `RunFailed`: the runner in `fail` mode, which fails the execution (and continues it only after a redrive). */
export function failsRun(state: AslStateDocument): boolean {
  const payload = (state.Parameters as { Payload?: { mode?: unknown } } | undefined)?.Payload;
  return state.Type === "Task" && payload?.mode === "fail";
}

/** Whether a state ends the execution (`Succeed`, `Fail`, `End: true`, or stepjobs' `RunFailed`). */
export function isTerminal(state: AslStateDocument): boolean {
  return state.Type === "Succeed" || state.Type === "Fail" || state.End === true || failsRun(state);
}

interface RawEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

/** Lays out the top-level states of an ASL definition (states inside `Map`/`Parallel` are not expanded). */
export function layoutStateMachine(asl: AslDocument, options: GraphOptions = {}): GraphLayout {
  const hidden = options.hidden ?? new Set<string>();
  const states = new Map(Object.entries(asl.States).filter(([n]) => !hidden.has(n)));
  const names = [...states.keys()];
  const terminal = (name: string) => Number(isTerminal(states.get(name) ?? { Type: "" }));
  const edges = collectEdges(asl, names);
  const order = discoveryOrder(asl.StartAt, names, edges);
  const backKeys = findBackEdges(asl.StartAt, order, edges);
  const layerOf = assignLayers(
    order,
    edges.filter((e) => !backKeys.has(edgeKey(e))),
  );
  const layers: string[][] = [];
  for (const name of order) (layers[layerOf.get(name)!] ??= []).push(name);
  for (const layer of layers) layer.sort((a, b) => terminal(a) - terminal(b) || order.indexOf(a) - order.indexOf(b));

  const backTargets = [...new Set(edges.filter((e) => backKeys.has(edgeKey(e))).map((e) => e.to))].sort(
    (a, b) => layerOf.get(b)! - layerOf.get(a)! || order.indexOf(a) - order.indexOf(b),
  );
  const laneSpace = backTargets.length * LANE_WIDTH;
  const rowWidths = layers.map((layer) => layer.reduce((sum, n) => sum + nodeWidth(n), 0) + NODE_GAP * (layer.length - 1));
  const contentWidth = Math.max(0, ...rowWidths);
  const nodes = new Map<string, GraphNode>();
  layers.forEach((layer, index) => {
    let x = MARGIN + laneSpace + (contentWidth - (rowWidths[index] ?? 0)) / 2;
    const y = MARGIN + index * (NODE_HEIGHT + LAYER_GAP);
    for (const name of layer) {
      nodes.set(name, { id: name, type: states.get(name)?.Type ?? "", layer: index, x, y, width: nodeWidth(name), height: NODE_HEIGHT });
      x += nodeWidth(name) + NODE_GAP;
    }
  });

  const laneX = (target: string): number => MARGIN + (backTargets.indexOf(target) + 0.5) * LANE_WIDTH;
  const drawn = edges.map((e): GraphEdge => {
    const back = backKeys.has(edgeKey(e));
    const from = nodes.get(e.from)!;
    const to = nodes.get(e.to)!;
    const path = back ? backPath(from, to, laneX(e.to), backTargets.indexOf(e.to)) : forwardPath(from, to);
    return { from: e.from, to: e.to, kind: e.kind, back, path };
  });
  const lastLayer = layers.length - 1;
  const backFromLast = drawn.some((e) => e.back && layerOf.get(e.from) === lastLayer);
  return {
    width: Math.round(MARGIN * 2 + laneSpace + contentWidth),
    height:
      MARGIN * 2 + layers.length * NODE_HEIGHT + Math.max(0, lastLayer) * LAYER_GAP + (backFromLast ? 10 + backTargets.length * 8 : 0),
    nodes: order.map((n) => nodes.get(n)!),
    edges: drawn,
  };
}

/** Transitions between visible states, each (from, to) pair once (the first way ASL writes it). */
function collectEdges(asl: AslDocument, names: readonly string[]): RawEdge[] {
  const visible = new Set(names);
  const seen = new Set<string>();
  const edges: RawEdge[] = [];
  for (const from of names) {
    const state = asl.States[from];
    for (const t of state ? stateTransitions(state) : []) {
      const edge = { from, to: t.to, kind: t.kind };
      if (!visible.has(t.to) || seen.has(edgeKey(edge))) continue;
      seen.add(edgeKey(edge));
      edges.push(edge);
    }
  }
  return edges;
}

/** Breadth-first order from `StartAt`, then any unreachable states in document order. */
function discoveryOrder(start: string, names: readonly string[], edges: readonly RawEdge[]): string[] {
  const order: string[] = [];
  const queue = names.includes(start) ? [start] : [];
  const enqueue = (n: string): void => {
    if (!order.includes(n)) order.push(n);
  };
  for (const root of [...queue, ...names]) {
    if (order.includes(root)) continue;
    enqueue(root);
    for (let i = order.indexOf(root); i < order.length; i++) for (const e of edges) if (e.from === order[i]) enqueue(e.to);
  }
  return order;
}

/** Depth-first from `StartAt`: an edge to a state still on the stack goes back up the graph. */
function findBackEdges(start: string, order: readonly string[], edges: readonly RawEdge[]): Set<string> {
  const back = new Set<string>();
  const done = new Set<string>();
  const onStack = new Set<string>();
  const visit = (n: string): void => {
    onStack.add(n);
    for (const e of edges) {
      if (e.from !== n) continue;
      if (onStack.has(e.to)) back.add(edgeKey(e));
      else if (!done.has(e.to)) visit(e.to);
    }
    onStack.delete(n);
    done.add(n);
  };
  for (const root of [start, ...order]) if (order.includes(root) && !done.has(root)) visit(root);
  return back;
}

/** Longest path from a root over the forward edges (a DAG once back edges are removed). */
function assignLayers(order: readonly string[], forward: readonly RawEdge[]): Map<string, number> {
  const layer = new Map(order.map((n) => [n, 0]));
  const indegree = new Map(order.map((n) => [n, forward.filter((e) => e.to === n).length]));
  const ready = order.filter((n) => indegree.get(n) === 0);
  while (ready.length > 0) {
    const n = ready.shift()!;
    for (const e of forward) {
      if (e.from !== n) continue;
      layer.set(e.to, Math.max(layer.get(e.to)!, layer.get(n)! + 1));
      indegree.set(e.to, indegree.get(e.to)! - 1);
      if (indegree.get(e.to) === 0) ready.push(e.to);
    }
  }
  return layer;
}

function edgeKey(e: Pick<RawEdge, "from" | "to">): string {
  return `${e.from}\u0000${e.to}`;
}

/** Bottom-centre of the source to top-centre of the target, as a vertical S-curve. */
function forwardPath(from: GraphNode, to: GraphNode): string {
  const x1 = from.x + from.width / 2;
  const y1 = from.y + from.height;
  const x2 = to.x + to.width / 2;
  const y2 = to.y;
  const mid = (y1 + y2) / 2;
  return `M${r(x1)} ${r(y1)} C${r(x1)} ${r(mid)} ${r(x2)} ${r(mid)} ${r(x2)} ${r(y2)}`;
}

/** Down out of the source, left along the gap under its layer to the target's lane, up, and into its left side. */
function backPath(from: GraphNode, to: GraphNode, lane: number, laneIndex: number): string {
  const x1 = from.x + from.width / 2 - 10;
  const y1 = from.y + from.height;
  const gapY = y1 + 10 + laneIndex * 8;
  const y2 = to.y + to.height / 2;
  const x2 = to.x;
  return `M${r(x1)} ${r(y1)} L${r(x1)} ${r(gapY - 4)} Q${r(x1)} ${r(gapY)} ${r(x1 - 4)} ${r(gapY)} L${r(lane + 4)} ${r(gapY)} Q${r(lane)} ${r(gapY)} ${r(lane)} ${r(gapY - 4)} L${r(lane)} ${r(y2 + 4)} Q${r(lane)} ${r(y2)} ${r(lane + 4)} ${r(y2)} L${r(x2)} ${r(y2)}`;
}

function r(n: number): number {
  return Math.round(n * 10) / 10;
}
