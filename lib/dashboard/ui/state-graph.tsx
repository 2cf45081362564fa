import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { Job, Run } from "../view/api-types.ts";
import { layoutStateMachine } from "../view/asl-graph.ts";
import { DYNAMIC_STATES, edgeTaken, visitedStates, type VisitedStates } from "../view/visited-states.ts";

/**
 * How far the graph shrinks to fit its card before it scrolls instead: below this its 12 px labels get hard to read.
 */
export const MIN_GRAPH_SCALE = 0.6;

/**
 * The job's state machine drawn from its ASL as inline SVG: Plan -> Route -> task states, back edges in
 * the left lanes, scaled down to fit its card (scrolling past {@link MIN_GRAPH_SCALE}). With a run, the states it
 * entered (its own record of them) and the transitions between them are highlighted, and what runs now pulses. The internal states for dynamic task ids stay hidden unless the run used them or asked for.
 */
export function StateGraph(props: { readonly job: Job; readonly run?: Run }): JSX.Element {
  const states = props.run ? visitedStates(props.job, props.run) : undefined;
  const usedDynamic = DYNAMIC_STATES.some((s) => states?.visited.has(s));
  const [showInternal, setShowInternal] = useState(false);
  const hidden = useMemo(() => new Set<string>(showInternal || usedDynamic ? [] : DYNAMIC_STATES), [showInternal, usedDynamic]);
  const layout = useMemo(() => layoutStateMachine(props.job.asl, { hidden }), [props.job.asl, hidden]);
  const retryByState = new Map(props.job.tasks.map((t) => [t.stateName, t.retryDescription]));
  return (
    <figure class="graph">
      <div class="graph-scroll" tabIndex={0} aria-label="State machine graph">
        <svg
          class="graph-svg"
          width={layout.width}
          height={layout.height}
          style={{ minWidth: `${Math.round(layout.width * MIN_GRAPH_SCALE)}px` }}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label={`State machine of ${props.job.name}`}
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0 1 L9 5 L0 9 z" class="graph-arrow" />
            </marker>
            <marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0 1 L9 5 L0 9 z" class="graph-arrow taken" />
            </marker>
          </defs>
          {layout.edges.map((edge) => {
            const taken = states ? edgeTaken(edge, states) : false;
            return (
              <path
                key={`${edge.from}>${edge.to}`}
                d={edge.path}
                class={`graph-edge edge-${edge.kind} ${edge.back ? "back" : ""} ${taken ? "taken" : ""}`}
                marker-end={taken ? "url(#arrow-taken)" : "url(#arrow)"}
              />
            );
          })}
          {layout.nodes.map((node) => (
            <g
              key={node.id}
              class={nodeClass(node.id, node.type, states)}
              data-state={node.id}
              transform={`translate(${node.x} ${node.y})`}
            >
              <title>{[node.id, node.type, retryByState.get(node.id)].filter(Boolean).join(" · ")}</title>
              <rect width={node.width} height={node.height} rx={node.type === "Choice" ? node.height / 2 : 8} />
              <text x={node.width / 2} y={node.height / 2} dominant-baseline="central" text-anchor="middle">
                {node.id}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <figcaption class="graph-caption">
        {states && (
          <span class="legend">
            <span class="legend-swatch visited" aria-hidden="true" /> visited
            <span class="legend-swatch active" aria-hidden="true" /> in progress
          </span>
        )}
        {!usedDynamic && (
          <label class="check">
            <input type="checkbox" checked={showInternal} onChange={(e) => setShowInternal(e.currentTarget.checked)} />
            Show states for dynamic task ids
          </label>
        )}
      </figcaption>
    </figure>
  );
}

function nodeClass(id: string, type: string, states: VisitedStates | undefined): string {
  const classes = ["graph-node", `node-${type.toLowerCase()}`];
  if (states?.visited.has(id)) classes.push("visited");
  if (states?.active.has(id)) classes.push("active");
  if (states?.failed.has(id)) classes.push("failed");
  return classes.join(" ");
}
