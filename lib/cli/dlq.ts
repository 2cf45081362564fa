import { awsClients, listDeadLetters, readStack, replayDeadLetters, reportingAwsProblems, stackNameFrom } from "./aws.ts";
import { type Command, parseCommandArgs } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `stepjobs dlq list|replay --aws [--stack name]`: events the ingest target could not take after its retries
 * (EventBridge's dead-letter queue), with why; `replay` puts them back on the bus and deletes each only after
 * EventBridge took it. The events keep their ids, so a replay never starts a second run.
 */
export const dlqCommand: Command = {
  summary: "list or replay dead-lettered events of a deployed stack (--aws)",
  usage: "usage: stepjobs dlq list|replay --aws [--stack name]",
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      { allowPositionals: true, options: { aws: { type: "boolean" }, stack: { type: "string" } } },
      args,
    );
    const [action, ...extra] = positionals;
    if (action !== "list" && action !== "replay") throw new UsageError("dlq takes list or replay");
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!values.aws)
      throw new UsageError(
        "the dead-letter queue exists only in a deployed stack: add --aws (stepjobs dev never dead-letters: ingest runs in process)",
      );
    return reportingAwsProblems("dlq", async () => {
      const clients = await awsClients();
      const stack = await readStack(clients, stackNameFrom(values.stack));
      // Replay holds what it reads for a minute (no other reader takes it meanwhile); list only peeks.
      const letters = await listDeadLetters(clients, stack, action === "replay" ? 60 : 0);
      if (letters.length === 0) {
        process.stdout.write("the dead-letter queue is empty\n");
        return 0;
      }
      for (const l of letters) process.stdout.write(`${l.eventId}  ${l.event["detail-type"] ?? "?"}  ${l.error}\n`);
      if (action === "replay") process.stdout.write(`replayed ${await replayDeadLetters(clients, stack, letters)} event(s)\n`);
      return 0;
    });
  },
};
