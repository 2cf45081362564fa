// src/jobs/my-first-workflow.ts
import { client } from "../trigger";

client.defineJob({
  id: "my-first-workflow",
  name: "My First Workflow",
  version: "1.0.0",
  trigger: client.on("my.event", {
    schema: {
      type: "object",
      properties: {
        message: { type: "string" },
        shouldFail: { type: "boolean" },
      },
      required: ["message", "shouldFail"],
      additionalProperties: false,
    },
  }),
  run: async (payload, io, ctx) => {
    // Log the incoming event payload for observability
    io.logger.info("Received 'my.event' payload", payload);

    // Step 1: Simulate a data processing task that might fail temporarily
    await io.runTask(
      "process-incoming-data", // Unique ID for this specific task within the workflow
      async (taskPayload) => {
        io.logger.info(`Processing data: ${taskPayload.message}`);

        // Introduce an intentional, temporary failure for demonstration
        // This task will fail if `shouldFail` is true AND it's the first attempt (attempt.number is 1).
        // It will succeed on the second attempt, demonstrating retry recovery.
        if (taskPayload.shouldFail && ctx.attempt.number === 1) {
          io.logger.warn(`Simulating a temporary failure for attempt ${ctx.attempt.number}...`);
          throw new Error("Simulated transient error during processing!");
        }

        io.logger.info("Data processed successfully!");
        return { status: "processed", originalMessage: taskPayload.message };
      },
      // The payload for this specific task (can be different from the event payload)
      payload,
      // Configure retries for this task
      {
        maxAttempts: 3, // Try up to 3 times
        retryDelayInMs: 1000, // Wait 1 second between retries
      }
    );

    // Step 2: Simulate another task that depends on the first one
    // This task will only run if the previous 'process-incoming-data' task succeeds (potentially after retries).
    await io.runTask("send-confirmation", async (taskPayload) => {
      io.logger.info(`Sending confirmation for: ${taskPayload.originalMessage}`);
      // In a real application, you might send an email, update a database, notify another service, etc.
      return { confirmationSent: true };
    });

    io.logger.info("Workflow completed successfully!");
  },
});
