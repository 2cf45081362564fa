import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/**
 * Definitions aws-local-stepfunctions has already validated, by hash, kept on disk across `stepjobs dev` starts.
 * Its validator (asl-validator) builds a fresh Ajv with every ASL schema on each call, about 180 ms per job here;
 * a definition that passed once passes again with the same library, so a start or a reload of an unchanged job
 * skips it. The key includes the library's version. A cache that cannot be read or written is only slower.
 */
export class ValidatedAslCache {
  private readonly file: string | undefined;
  private readonly hashes: Set<string>;

  /** `file`: where the cache lives (conventionally `node_modules/.cache/stepjobs/`); `undefined` keeps it in memory. */
  constructor(file: string | undefined) {
    this.file = file;
    this.hashes = new Set(file ? readHashes(file) : []);
  }

  /** The project's cache file, beside other tools' caches in `node_modules/.cache`. */
  static forProject(root: string): ValidatedAslCache {
    return new ValidatedAslCache(path.join(root, "node_modules", ".cache", "stepjobs", "validated-asl.json"));
  }

  /** True when this definition passed validation before (with this library version). */
  has(definition: unknown): boolean {
    return this.hashes.has(keyOf(definition));
  }

  /** Records a definition that passed validation. */
  add(definition: unknown): void {
    const key = keyOf(definition);
    if (this.hashes.has(key)) return;
    this.hashes.add(key);
    if (!this.file) return;
    try {
      // Merged with what another process wrote meanwhile, then renamed into place: readers never see half a file.
      const merged = new Set([...readHashes(this.file), ...this.hashes]);
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, JSON.stringify([...merged].slice(-MAX_ENTRIES)));
      fs.renameSync(temp, this.file);
    } catch {
      // A read-only or missing node_modules: validation just runs again next time.
    }
  }
}

/** Enough for every job version a project goes through in a while; older entries fall off. */
const MAX_ENTRIES = 2000;

let libraryVersion: string | undefined;

/** The version of the validating library, read once from its package.json. */
function validatorVersion(): string {
  if (libraryVersion !== undefined) return libraryVersion;
  try {
    // Its exports map hides package.json: walk up from the entry point to the package's own manifest.
    let dir = path.dirname(createRequire(import.meta.url).resolve("aws-local-stepfunctions"));
    for (;;) {
      const manifest = path.join(dir, "package.json");
      const parsed = fs.existsSync(manifest) ? (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string; version?: string }) : {};
      if (parsed.name === "aws-local-stepfunctions") {
        libraryVersion = String(parsed.version);
        break;
      }
      if (path.dirname(dir) === dir) throw new Error("not found");
      dir = path.dirname(dir);
    }
  } catch {
    libraryVersion = "unknown";
  }
  return libraryVersion!;
}

function keyOf(definition: unknown): string {
  return createHash("sha256").update(validatorVersion()).update("\0").update(JSON.stringify(definition)).digest("hex");
}

function readHashes(file: string): string[] {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return Array.isArray(parsed) ? parsed.filter((h): h is string => typeof h === "string") : [];
  } catch {
    return [];
  }
}
