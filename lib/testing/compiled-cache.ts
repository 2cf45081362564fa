import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CompiledProject } from "../compiler/compile-project.ts";
import { listJobFiles } from "../compiler/job-files.ts";

/**
 * The compiled jobs of a project, kept between test processes in `node_modules/.cache/stepjobs/` (the folder
 * `find-cache-dir` tools share) so that a test run whose job files did not change does not load TypeScript: loading
 * the compiler costs ~0.4-1 s, more than the job tests themselves.
 *
 * An entry is used only when the list of job files, the content of every file the compiler read (job files and the
 * modules they import constants from, and the absence of the ones it looked for and did not find) and the compiler's
 * own files (name, size, mtime) are all as they were; anything else compiles again and rewrites the entry.
 */
export async function compileProjectCached(root: string, jobsDir: string): Promise<CompiledProject> {
  const cacheDir = path.join(root, "node_modules", ".cache", "stepjobs");
  const usable = fs.existsSync(path.join(root, "node_modules"));
  const jobFiles = listJobFiles(path.resolve(root, jobsDir)).map((f) => path.relative(root, f));
  const key = sha256(JSON.stringify({ format: 1, compiler: compilerFingerprint(), jobsDir, jobFiles }));
  const file = path.join(cacheDir, `compiled-${sha256(path.resolve(root, jobsDir)).slice(0, 16)}.json`);
  if (usable) {
    const hit = readEntry(file, key, root);
    if (hit) return hit;
  }
  const { compileProject } = await import("../compiler/compile-project.ts");
  const inputs: Record<string, string | null> = {};
  const project = compileProject({
    root,
    jobsDir,
    readFile: (rel) => {
      const text = readText(path.resolve(root, rel));
      inputs[rel] = text === undefined ? null : sha256(text);
      return text;
    },
  });
  if (usable && project.errors.length === 0) {
    for (const rel of jobFiles) inputs[rel] ??= sha256(readText(path.resolve(root, rel)) ?? "");
    const entry: CacheEntry = {
      key,
      inputs,
      project: { ...project, jobs: project.jobs.map((j) => ({ ...j, entry: path.relative(root, j.entry) })) },
    };
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(entry));
      fs.renameSync(tmp, file); // atomic: parallel test files never read half an entry
    } catch {
      // A read-only node_modules only costs the next run a compile.
    }
  }
  return project;
}

interface CacheEntry {
  readonly key: string;
  /** Every file the compiler read (relative to the root): its content's sha256, or null where it looked and found none. */
  readonly inputs: Record<string, string | null>;
  /** The project, with each job's entry relative to the root. */
  readonly project: CompiledProject;
}

function readEntry(file: string, key: string, root: string): CompiledProject | undefined {
  let entry: CacheEntry;
  try {
    entry = JSON.parse(fs.readFileSync(file, "utf8")) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.key !== key) return undefined;
  for (const [rel, hash] of Object.entries(entry.inputs)) {
    const text = readText(path.resolve(root, rel));
    if ((text === undefined ? null : sha256(text)) !== hash) return undefined;
  }
  return { ...entry.project, jobs: entry.project.jobs.map((j) => ({ ...j, entry: path.resolve(root, j.entry) })) };
}

/**
 * The compiler's files as installed (and the event checks it calls): a new stepjobs version, or an edit while
 * developing it, invalidates every entry.
 */
function compilerFingerprint(): string {
  return ["../compiler/", "../ingest/"]
    .flatMap((folder) => {
      const dir = fileURLToPath(new URL(folder, import.meta.url));
      return fs
        .readdirSync(dir)
        .sort()
        .map((name) => {
          const stat = fs.statSync(path.join(dir, name));
          return `${folder}${name}:${stat.size}:${stat.mtimeMs}`;
        });
    })
    .join("|");
}

function readText(abs: string): string | undefined {
  try {
    return fs.readFileSync(abs, "utf8");
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
