/**
 * The states a fulfil-order run (test/fixtures/steps) enters, each once, in the order first entered: the batch's
 * Map and its item states, the wait, the sent event, the end. Shared by the executor's, the history's, the API's
 * and the graph's tests.
 */
export const FULFIL_ORDER_STATES_ENTERED = [
  "Plan",
  "Route",
  "Parallel",
  "Parallel Route",
  "reserve-stock (parallel)",
  "charge-card (parallel)",
  "Sleep",
  "SendEvent",
  "Succeeded",
] as const;
