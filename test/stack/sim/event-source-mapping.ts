import type { SimAccount } from "./account.ts";
import type { Background } from "./background.ts";
import type { Caller } from "./iam-policy.ts";
import type { LambdaService, SimFunction } from "./lambda-service.ts";
import type { SimQueue, SqsMessage, SqsService } from "./sqs-service.ts";

/**
 * An SQS event source mapping: Lambda polls the queue with the function's execution role (which needs
 * sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes), invokes the function with a batch, deletes
 * what succeeded and leaves the rest to reappear after the visibility timeout. With `ReportBatchItemFailures` only
 * the listed items are kept. While nothing is visible but messages wait, the simulator's clock skips ahead.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export class SqsEventSourceMapping {
  readonly queue: SimQueue;
  readonly fn: SimFunction;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  /** Invocations made, for assertions. */
  invocations = 0;
  private polling = false;
  private closed = false;
  private readonly sqs: SqsService;
  private readonly lambda: LambdaService;
  private readonly account: SimAccount;
  private readonly background: Background;
  private readonly stop: () => void;

  constructor(
    props: { queue: SimQueue; fn: SimFunction; batchSize: number; reportBatchItemFailures: boolean },
    services: { sqs: SqsService; lambda: LambdaService; account: SimAccount; background: Background },
  ) {
    this.queue = props.queue;
    this.fn = props.fn;
    this.batchSize = props.batchSize;
    this.reportBatchItemFailures = props.reportBatchItemFailures;
    this.sqs = services.sqs;
    this.lambda = services.lambda;
    this.account = services.account;
    this.background = services.background;
    this.stop = this.sqs.onMessage(() => this.wake());
    this.wake();
  }

  private role(): Caller {
    return { kind: "role", arn: this.fn.config.roleArn, account: this.account.env.account };
  }

  private wake(): void {
    if (this.polling || this.closed) return;
    this.polling = true;
    this.background.run(async () => {
      try {
        await this.drain();
      } finally {
        this.polling = false;
      }
    });
  }

  /** Polls until the queue is empty, skipping the clock to the next visible message when none is visible. */
  private async drain(): Promise<void> {
    const role = this.role();
    while (!this.closed && this.queue.messages.length > 0) {
      this.sqs.authorize(role, "sqs:ReceiveMessage", this.queue);
      const batch = this.sqs.receive(this.queue, this.batchSize);
      if (batch.length === 0) {
        const next = this.sqs.nextVisibleAt(this.queue);
        if (next === undefined) continue; // moved to the dead-letter queue on this receive
        this.sqs.clock.advance(next - this.sqs.clock.now());
        continue;
      }
      await this.process(role, batch);
    }
  }

  private async process(role: Caller, batch: SqsMessage[]): Promise<void> {
    this.invocations++;
    const event = { Records: batch.map((m) => this.record(m)) };
    let failed: Set<string>;
    try {
      const result = await this.lambda.run(this.fn, undefined, event);
      if (!result.ok) failed = new Set(batch.map((m) => m.messageId));
      else if (this.reportBatchItemFailures) {
        const items = (result.payload as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? [];
        failed = new Set(items.map((i) => i.itemIdentifier));
      } else failed = new Set();
    } catch {
      failed = new Set(batch.map((m) => m.messageId)); // throttled or not found: the batch returns to the queue
    }
    this.sqs.authorize(role, "sqs:DeleteMessage", this.queue);
    for (const m of batch) if (!failed.has(m.messageId) && m.receiptHandle) this.sqs.delete(this.queue, m.receiptHandle);
  }

  private record(m: SqsMessage) {
    const { region } = this.account.env;
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType }]),
      ),
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: this.queue.arn,
      awsRegion: region,
    };
  }

  close(): void {
    this.closed = true;
    this.stop();
  }
}
