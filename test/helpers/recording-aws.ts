import type { AwsClient, AwsClients } from "../../lib/cli/aws.ts";

/** One AWS request as the CLI sent it: the SDK command's class name and its input. */
export interface RecordedCall {
  readonly service: keyof AwsClients;
  readonly command: string;
  readonly input: unknown;
}

/** Answers by command name (e.g. `ListExecutionsCommand`); a function gets the input; an Error is thrown. */
export type Answers = Record<string, unknown | ((input: any) => unknown)>;

/**
 * AWS clients that record every request and answer from `answers` (shaped as the AWS API references document
 * them); a command without an answer fails the test loudly. No AWS is reachable here: this is how the CLI's
 * request shapes are proven.
 */
export function recordingAws(answers: Answers): { clients: AwsClients; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const client = (service: keyof AwsClients): AwsClient => ({
    async send(command) {
      const name = (command as object).constructor.name;
      calls.push({ service, command: name, input: command.input });
      if (!(name in answers)) throw new Error(`recordingAws: no answer for ${name}`);
      const answer = answers[name];
      const value = typeof answer === "function" ? (answer as (input: unknown) => unknown)(command.input) : answer;
      if (value instanceof Error) throw value;
      return value;
    },
  });
  return {
    clients: {
      cloudformation: client("cloudformation"),
      sfn: client("sfn"),
      eventbridge: client("eventbridge"),
      sqs: client("sqs"),
      dynamodb: client("dynamodb"),
      secretsmanager: client("secretsmanager"),
    },
    calls,
  };
}
