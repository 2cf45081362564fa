// src/jobs/priority-workflow.ts: the tutorial's mini-challenge.
import { client } from "../trigger";

client.defineJob({
  id: "priority-workflow",
  name: "Priority Workflow",
  version: "1.0.0",
  trigger: client.on("priority.event", {
    schema: {
      type: "object",
      properties: {
        message: { type: "string" },
        shouldFail: { type: "boolean" },
        priority: { type: "string", enum: ["high", "low"] },
      },
      required: ["message", "shouldFail", "priority"],
      additionalProperties: false,
    },
  }),
  run: async (payload, io, ctx) => {
    io.logger.info("Received 'priority.event' payload", payload);

    await io.runTask(
      "process-incoming-data",
      async (taskPayload) => {
        io.logger.info(`Processing ${taskPayload.priority} priority data: ${taskPayload.message}`);
        // "high" fails on attempts 1 and 2 and succeeds on the 3rd; "low" never fails.
        const failures = taskPayload.priority === "high" ? 2 : 0;
        if (taskPayload.shouldFail && ctx.attempt.number <= failures) {
          io.logger.warn(`Simulating a temporary failure for attempt ${ctx.attempt.number}...`);
          throw new Error("Simulated transient error during processing!");
        }
        io.logger.info("Data processed successfully!");
        return { status: "processed", originalMessage: taskPayload.message, priority: taskPayload.priority };
      },
      payload,
      {
        maxAttempts: 3,
        retryDelayInMs: 1000,
      },
    );

    await io.runTask("send-confirmation", async (taskPayload) => {
      io.logger.info(`Sending ${taskPayload.priority} priority confirmation for: ${taskPayload.originalMessage}`);
      return { confirmationSent: true };
    });

    io.logger.info("Workflow completed successfully!");
  },
});
