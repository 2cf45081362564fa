/**
 * What the tutorial's run logs for `{"message":"Hello via curl!","shouldFail":true}`, as
 * [level, message, taskId, attempt] rows: shared by the runtime, executor and end-to-end tests.
 */
export const TUTORIAL_RETRY_LOGS = [
  ["info", "Received 'my.event' payload", null, null],
  ["info", "Processing data: Hello via curl!", "process-incoming-data", 1],
  ["warn", "Simulating a temporary failure for attempt 1...", "process-incoming-data", 1],
  ["info", "Processing data: Hello via curl!", "process-incoming-data", 2],
  ["info", "Data processed successfully!", "process-incoming-data", 2],
  ["info", "Sending confirmation for: Hello via curl!", "send-confirmation", 1],
  ["info", "Workflow completed successfully!", null, null],
] as const;
