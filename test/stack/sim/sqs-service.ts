import { createHash, randomUUID } from "node:crypto";
import type { SimAccount } from "./account.ts";
import { arn } from "./arn.ts";
import { AwsApiError } from "./api-error.ts";
import type { Caller, PolicyDocument } from "./iam-policy.ts";

/**
 * SQS: standard queues with visibility timeouts, receive counts and a redrive policy to a dead-letter queue, on the
 * simulator's clock (so 24 hours of retries pass in milliseconds). The JSON protocol's actions the stack and the
 * CLI call. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/Welcome.html
 */

export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle?: string;
}

export interface SimQueue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  visibilityTimeoutSeconds: number;
  redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
  policy?: PolicyDocument;
  messages: SqsMessage[];
  /** Messages moved here by a redrive policy, for assertions. */
  readonly moved: number;
}

/** The simulator's clock: real time plus whatever was skipped. */
export class SimClock {
  private skipped = 0;
  now(): number {
    return Date.now() + this.skipped;
  }
  /** Jumps forward (time skipping: nothing in the simulator waits for real). */
  advance(ms: number): void {
    if (ms > 0) this.skipped += ms;
  }
}

export class SqsService {
  readonly queues = new Map<string, SimQueue>();
  private readonly account: SimAccount;
  readonly clock: SimClock;
  private readonly listeners = new Set<() => void>();

  private readonly endpoint: () => string;

  /** `endpoint` gives the simulator's URL: queue URLs name it, so an SDK client that sends to the queue URL's host reaches it. */
  constructor(account: SimAccount, clock: SimClock, endpoint: () => string) {
    this.account = account;
    this.clock = clock;
    this.endpoint = endpoint;
  }

  create(name: string, props: { visibilityTimeoutSeconds?: number; redrive?: SimQueue["redrive"] }): SimQueue {
    const queue: SimQueue = {
      name,
      arn: arn(this.account.env, "sqs", name),
      // AWS's form is https://sqs.<region>.amazonaws.com/<account>/<name>; the SDK sends to the URL's host.
      url: `${this.endpoint()}/${this.account.env.account}/${name}`,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 30,
      ...(props.redrive ? { redrive: props.redrive } : {}),
      messages: [],
      moved: 0,
    };
    this.queues.set(queue.arn, queue);
    return queue;
  }

  byUrl(url: string): SimQueue {
    const queue = [...this.queues.values()].find((q) => q.url === url || url.endsWith(`/${q.name}`));
    if (!queue) throw new AwsApiError("AWS.SimpleQueueService.NonExistentQueue", `The specified queue does not exist: ${url}`);
    return queue;
  }

  byArn(queueArn: string): SimQueue {
    const queue = this.queues.get(queueArn);
    if (!queue) throw new AwsApiError("AWS.SimpleQueueService.NonExistentQueue", `The specified queue does not exist: ${queueArn}`);
    return queue;
  }

  /** Authorizes `action` on `queue` for `caller` (its identity policies, or the queue policy; `aws:SecureTransport` is true: AWS clients use HTTPS). */
  authorize(caller: Caller, action: string, queue: SimQueue, context: Record<string, string | boolean> = {}): void {
    this.account.authorize(caller, action, queue.arn, { "aws:SecureTransport": true, ...context }, queue.policy ? [queue.policy] : []);
  }

  /** Calls `listener` whenever a message arrives (pollers wake up). */
  onMessage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(queue: SimQueue, body: string, messageAttributes: SqsMessage["messageAttributes"] = {}): string {
    const messageId = randomUUID();
    queue.messages.push({ messageId, body, messageAttributes, sentAt: this.clock.now(), receiveCount: 0, visibleAt: this.clock.now() });
    for (const l of this.listeners) l();
    return messageId;
  }

  /**
   * Receives up to `max` visible messages; a message already received `maxReceiveCount` times moves to the
   * dead-letter queue instead (SQS moves it when a receive would exceed the count).
   */
  receive(queue: SimQueue, max: number, visibilityTimeoutSeconds = queue.visibilityTimeoutSeconds): SqsMessage[] {
    const now = this.clock.now();
    const out: SqsMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        this.moveToDeadLetter(queue, message);
        continue;
      }
      message.receiveCount++;
      message.visibleAt = now + visibilityTimeoutSeconds * 1000;
      message.receiptHandle = createHash("sha256").update(`${message.messageId}:${message.receiveCount}`).digest("hex");
      out.push(message);
    }
    return out;
  }

  private moveToDeadLetter(queue: SimQueue, message: SqsMessage): void {
    queue.messages = queue.messages.filter((m) => m !== message);
    const dlq = this.byArn(queue.redrive!.deadLetterTargetArn);
    dlq.messages.push({ ...message, receiveCount: 0, visibleAt: this.clock.now(), receiptHandle: undefined });
    (dlq as { moved: number }).moved++;
  }

  delete(queue: SimQueue, receiptHandle: string): void {
    queue.messages = queue.messages.filter((m) => m.receiptHandle !== receiptHandle);
  }

  changeVisibility(queue: SimQueue, receiptHandle: string, seconds: number): void {
    const message = queue.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message) throw new AwsApiError("ReceiptHandleIsInvalid", "The receipt handle provided is not valid");
    message.visibleAt = this.clock.now() + seconds * 1000;
  }

  /** When the next invisible message becomes visible (for time skipping), or undefined. */
  nextVisibleAt(queue: SimQueue): number | undefined {
    const times = queue.messages.map((m) => m.visibleAt).filter((t) => t > this.clock.now());
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** The SQS JSON-protocol API (`AmazonSQS.<Action>`). */
  async handle(action: string, input: any, caller: Caller): Promise<unknown> {
    const queue = () => this.byUrl(input.QueueUrl);
    switch (action) {
      case "SendMessage": {
        const q = queue();
        this.authorize(caller, "sqs:SendMessage", q);
        const id = this.send(q, input.MessageBody, input.MessageAttributes ?? {});
        return { MessageId: id, MD5OfMessageBody: createHash("md5").update(input.MessageBody).digest("hex") };
      }
      case "ReceiveMessage": {
        const q = queue();
        this.authorize(caller, "sqs:ReceiveMessage", q);
        const messages = this.receive(q, input.MaxNumberOfMessages ?? 1, input.VisibilityTimeout);
        return {
          Messages: messages.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            Body: m.body,
            MD5OfBody: createHash("md5").update(m.body).digest("hex"),
            Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
            ...(Object.keys(m.messageAttributes).length > 0 ? { MessageAttributes: m.messageAttributes } : {}),
          })),
        };
      }
      case "DeleteMessage": {
        const q = queue();
        this.authorize(caller, "sqs:DeleteMessage", q);
        this.delete(q, input.ReceiptHandle);
        return {};
      }
      case "ChangeMessageVisibility": {
        const q = queue();
        this.authorize(caller, "sqs:ChangeMessageVisibility", q);
        this.changeVisibility(q, input.ReceiptHandle, input.VisibilityTimeout);
        return {};
      }
      case "GetQueueAttributes": {
        const q = queue();
        this.authorize(caller, "sqs:GetQueueAttributes", q);
        return {
          Attributes: {
            QueueArn: q.arn,
            ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= this.clock.now()).length),
            ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > this.clock.now()).length),
          },
        };
      }
      default:
        throw new AwsApiError("UnsupportedOperation", `the stack simulator does not implement sqs ${action}`);
    }
  }
}
