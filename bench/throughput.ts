/**
 * Local engine throughput and latency: the tutorial job (shouldFail false, so no retries) through the HTTP API of a
 * real `stepjobs dev` (in this process, dynalite on disk), against BullMQ on a local Redis (Debian `redis-server`,
 * started and stopped here, `appendonly yes` + `appendfsync everysec`: the durable setting a user would pick) running
 * the same two tasks as a flow (child `process-incoming-data`, parent `send-confirmation`, both logging like the
 * tutorial). Same client concurrency on both sides. Reported: runs per second, p50/p99 from the event's receipt
 * to the run's end, and the ratio stepjobs / BullMQ.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FlowProducer, Worker } from "bullmq";
import { startDevServer } from "../lib/local/dev-server.ts";
import { testJobs } from "../lib/testing/index.ts";
import { median } from "./stats.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The p-th percentile (nearest rank) of a sample. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `count` items with `concurrency` in flight. */
async function pool(count: number, concurrency: number, send: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await send(next++);
    }),
  );
}

interface Side {
  readonly runsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function stepjobsSide(count: number, concurrency: number): Promise<Side> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-bench-"));
  const dev = await startDevServer({ root: ROOT, dataDir: data, port: await freePort(), watch: false, print: () => {}, color: false });
  const key = process.env.TRIGGER_API_KEY!;
  try {
    const started = performance.now();
    const runIds: string[] = [];
    await pool(count, concurrency, async (i) => {
      const answer = await fetch(`${dev.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "my.event", id: `bench-${i}`, payload: { message: `m${i}`, shouldFail: false } }),
      });
      const body = (await answer.json()) as { runs: { id: string }[] };
      runIds.push(...body.runs.map((r) => r.id));
    });
    await dev.runtime.idle();
    const seconds = (performance.now() - started) / 1000;
    const latencies: number[] = [];
    for (const id of runIds) {
      const run = await dev.stores.runs.getRun(id);
      const event = await dev.stores.events.getEvent(run!.eventId);
      if (run?.status !== "SUCCEEDED") throw new Error(`bench run ${id} ended ${run?.status}`);
      latencies.push(Date.parse(run.completedAt!) - Date.parse(event!.receivedAt));
    }
    return { runsPerSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await dev.close();
    fs.rmSync(data, { recursive: true, force: true });
  }
}

async function bullmqSide(count: number, concurrency: number): Promise<Side | string> {
  if (spawnSync("redis-server", ["--version"]).status !== 0) return "skipped: redis-server is not installed (apt-get install redis-server)";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bullmq-bench-"));
  const port = await freePort();
  const redis: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
    { stdio: "ignore" },
  );
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  for (let i = 0; i < 100; i++) {
    if (
      await new Promise((resolve) =>
        net
          .connect(port, "127.0.0.1")
          .once("connect", function (this: net.Socket) {
            this.end();
            resolve(true);
          })
          .once("error", () => resolve(false)),
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const done = new Map<string, number>();
  const received = new Map<string, number>();
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => (finish = resolve));
  // The tutorial's two tasks, logging as the tutorial does (job.log is stored in Redis, like io.logger in the store).
  const worker = new Worker(
    "tutorial",
    async (job) => {
      if (job.name === "process-incoming-data") {
        await job.log(`Processing data: ${job.data.message}`);
        await job.log("Data processed successfully!");
        return { status: "processed", originalMessage: job.data.message };
      }
      await job.log(`Sending confirmation for: ${job.data.message}`);
      return { confirmationSent: true };
    },
    { connection, concurrency },
  );
  worker.on("completed", (job) => {
    if (job.name !== "send-confirmation") return;
    done.set(job.data.id, Date.now());
    if (done.size === count) finish();
  });
  const flows = new FlowProducer({ connection });
  try {
    const started = performance.now();
    await pool(count, concurrency, async (i) => {
      const id = `bench-${i}`;
      received.set(id, Date.now());
      await flows.add({
        name: "send-confirmation",
        queueName: "tutorial",
        data: { id, message: `m${i}` },
        opts: { jobId: `${id}-confirm`, attempts: 3 },
        children: [
          {
            name: "process-incoming-data",
            queueName: "tutorial",
            data: { id, message: `m${i}` },
            opts: { jobId: `${id}-process`, attempts: 3 },
          },
        ],
      });
    });
    await allDone;
    const seconds = (performance.now() - started) / 1000;
    const latencies = [...done].map(([id, at]) => at - received.get(id)!);
    return { runsPerSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await worker.close();
    await flows.close();
    redis.kill("SIGTERM");
    await new Promise((r) => redis.once("exit", r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The in-process engine of `stepjobs/testing`: the same tutorial runs on the job's compiled state machine, with no
 * server, no network and no disk on our side (what BullMQ's side still has: Redis over TCP, an AOF).
 */
async function inProcessSide(count: number, concurrency: number): Promise<Side> {
  const jobs = await testJobs({ root: ROOT });
  await jobs.run("my-first-workflow", { message: "warm-up", shouldFail: false });
  const latencies: number[] = [];
  const started = performance.now();
  await pool(count, concurrency, async () => {
    const t = performance.now();
    const run = await jobs.run("my-first-workflow", { message: "Hello", shouldFail: false });
    if (run.status !== "SUCCEEDED") throw new Error(`in-process run ${run.runId} ended ${run.status}`);
    latencies.push(performance.now() - t);
  });
  return { runsPerSecond: count / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** One tutorial run with `shouldFail: true` (a failed attempt, then the retry its 1 s wait would delay): ms per run after warm-up. */
export async function retriedRunMs(reps: number): Promise<number> {
  const jobs = await testJobs({ root: ROOT });
  for (let i = 0; i < 3; i++) await jobs.run("my-first-workflow", { message: "warm-up", shouldFail: true });
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await jobs.run("my-first-workflow", { message: "Hello", shouldFail: true });
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/** The throughput section: median of `reps` repetitions per side, and the ratios. */
export async function benchThroughput(mode: "quick" | "full") {
  const count = mode === "full" ? 1000 : 200;
  const reps = mode === "full" ? 3 : 1;
  const concurrency = 20;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const ours: Side[] = [];
  const inProcess: Side[] = [];
  const theirs: Side[] = [];
  let skipped: string | undefined;
  for (let r = 0; r < reps; r++) {
    ours.push(await stepjobsSide(count, concurrency));
    inProcess.push(await inProcessSide(count, concurrency));
    const side = await bullmqSide(count, concurrency);
    if (typeof side === "string") skipped = side;
    else theirs.push(side);
  }
  const summarize = (sides: Side[]) => ({
    runsPerSecond: median(sides.map((s) => s.runsPerSecond)),
    p50: median(sides.map((s) => s.p50)),
    p99: median(sides.map((s) => s.p99)),
  });
  const a = summarize(ours);
  const c = summarize(inProcess);
  const rows: Record<string, string | number>[] = [
    { engine: "stepjobs dev (HTTP API, dynalite)", runs: count, "runs/s": a.runsPerSecond, "p50 ms": a.p50, "p99 ms": a.p99 },
    { engine: "stepjobs/testing (in process, no store)", runs: count, "runs/s": c.runsPerSecond, "p50 ms": c.p50, "p99 ms": c.p99 },
  ];
  if (skipped) return { rows, skipped, ratio: undefined, inProcessRatio: undefined };
  const b = summarize(theirs);
  rows.push({ engine: "BullMQ flow (Redis, AOF everysec)", runs: count, "runs/s": b.runsPerSecond, "p50 ms": b.p50, "p99 ms": b.p99 });
  return { rows, ratio: a.runsPerSecond / b.runsPerSecond, inProcessRatio: c.runsPerSecond / b.runsPerSecond };
}
