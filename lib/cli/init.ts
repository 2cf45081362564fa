import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_KEYS, generateKey } from "../local/env-file.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `stepjobs init [dir]`: a ready project — the tutorial's job and client (the very files of this package's example
 * app), a CDK app deploying them, scripts, and a `.env` with a fresh API key. It never overwrites: if any file it
 * would write exists, it writes nothing and names the file.
 */

/** This package's root (the repository, or `node_modules/stepjobs`). */
const PACKAGE_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  fs.existsSync(new URL("../../package.json", import.meta.url)) ? "../.." : "../../..",
);

interface PackageJson {
  readonly version: string;
  readonly devDependencies?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

function readPackage(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as PackageJson;
}

/**
 * How a new project depends on stepjobs: on the very package that runs `init` when it came from a tarball or a
 * directory (`npx ./stepjobs-0.1.0.tgz init`, or `npm install ../stepjobs-0.1.0.tgz`: the project that installed it
 * records `file:...`), as an absolute `file:` path; otherwise on this version from the npm registry.
 */
export function stepjobsDependency(packageRoot: string, version: string): string {
  const installer = path.dirname(path.dirname(packageRoot));
  if (path.basename(path.dirname(packageRoot)) === "node_modules") {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(installer, "package.json"), "utf8")) as PackageJson;
      const spec = manifest.dependencies?.stepjobs ?? manifest.devDependencies?.stepjobs;
      if (spec?.startsWith("file:")) return `file:${path.resolve(installer, spec.slice("file:".length))}`;
    } catch {
      // no readable manifest above node_modules (a global install): the registry, as usual
    }
  }
  return `^${version}`;
}

/** What {@link initFiles} takes from its surroundings (tests pass their own). */
export interface InitSources {
  /** This package's manifest (versions are its pins). @default this package's package.json */
  readonly pkg?: PackageJson;
  /** @default generateKey */
  readonly newKey?: (prefix: string) => string;
  /** The `stepjobs` dependency spec. @default stepjobsDependency(this package) */
  readonly stepjobs?: string;
}

/** The files of a new project named `name`, by path relative to its directory. Versions are this package's pins. */
export function initFiles(name: string, sources: InitSources = {}): Map<string, string> {
  const pkg = sources.pkg ?? readPackage();
  const newKey = sources.newKey ?? generateKey;
  const pin = (dep: string) => pkg.devDependencies?.[dep] ?? pkg.dependencies?.[dep];
  const packageJson = {
    name,
    private: true,
    type: "module",
    // The job tests run on Node's own test runner (node:test), TypeScript through tsx: nothing else to install.
    scripts: {
      dev: "stepjobs dev",
      test: "tsc --noEmit && node --import tsx --test test/*.test.ts",
      deploy: "cdk deploy",
      synth: "stepjobs synth",
    },
    dependencies: {
      stepjobs: sources.stepjobs ?? stepjobsDependency(PACKAGE_ROOT, pkg.version),
      "aws-cdk-lib": pin("aws-cdk-lib"),
      constructs: pin("constructs"),
    },
    devDependencies: { "@types/node": pin("@types/node"), "aws-cdk": pin("aws-cdk"), tsx: pin("tsx"), typescript: pin("typescript") },
    // npm 11 runs dependencies' install scripts only when approved: esbuild (Lambda bundling) and classic-level
    // (dynalite's LevelDB binding, whose script checks its prebuilt binary) need theirs.
    allowScripts: { esbuild: true, "classic-level": true },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023"],
      module: "ESNext",
      moduleResolution: "Bundler",
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
      types: ["node"],
    },
    include: ["src", "bin", "test"],
  };
  const source = (rel: string) => fs.readFileSync(path.join(PACKAGE_ROOT, rel), "utf8");
  return new Map([
    ["package.json", JSON.stringify(packageJson, null, 2) + "\n"],
    ["tsconfig.json", JSON.stringify(tsconfig, null, 2) + "\n"],
    ["cdk.json", JSON.stringify({ app: "npx tsx bin/app.ts" }, null, 2) + "\n"],
    [
      "bin/app.ts",
      `// The CDK app: one stack with every job in src/jobs (\`npx cdk synth\`, \`npm run deploy\`).\n` +
        `import { App, Stack } from "aws-cdk-lib";\n` +
        `import { StepJobs } from "stepjobs/cdk";\n\n` +
        `const app = new App();\n` +
        `const stack = new Stack(app, ${JSON.stringify(stackName(name))});\n` +
        `new StepJobs(stack, "App");\n` +
        `app.synth();\n`,
    ],
    ["src/trigger.ts", source("src/trigger.ts")],
    ["src/jobs/my-first-workflow.ts", source("src/jobs/my-first-workflow.ts")],
    ["test/my-first-workflow.test.ts", source("src/jobs/my-first-workflow.test.ts")],
    [
      ".env",
      // The comment never names a variable: `grep TRIGGER_API_KEY .env` finds the key's line alone.
      "# Keys of the local API (`stepjobs dev`): send the API key as Authorization: Bearer <key>. Keep this file out of git.\n" +
        Object.entries(GENERATED_KEYS)
          .map(([key, prefix]) => `${key}=${newKey(prefix)}\n`)
          .join(""),
    ],
    [".gitignore", ["node_modules/", ".env", ".stepjobs/", ".stepjobs-cdk/", "cdk.out/", "out/", ""].join("\n")],
  ]);
}

/** A CloudFormation stack name from a package name: letters and digits, PascalCase. */
export function stackName(name: string): string {
  const words = name
    .replace(/^@[^/]+\//, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z]/.test(pascal) ? pascal : `App${pascal}`;
}

/** Writes `files` under `dir`, or nothing at all when one of them exists (returned). */
export function writeNewFiles(dir: string, files: ReadonlyMap<string, string>): { readonly existing?: string } {
  for (const rel of files.keys()) if (fs.existsSync(path.join(dir, rel))) return { existing: rel };
  for (const [rel, text] of files) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, rel === ".env" ? { mode: 0o600 } : {});
  }
  return {};
}

/** `stepjobs init [dir]`. */
/** The shell line the docs and `init` print to put the API key from `.env` in the environment (POSIX sh). */
export const KEY_FROM_ENV_FILE = "export TRIGGER_API_KEY=$(grep '^TRIGGER_API_KEY=' .env | cut -d= -f2-)";

export const initCommand: CommandRun = {
  async run(args) {
    const { positionals } = parseCommandArgs({ allowPositionals: true, options: {} }, args);
    if (positionals.length > 1) throw new UsageError("init takes at most one directory");
    const dir = path.resolve(positionals[0] ?? ".");
    const name =
      path
        .basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9-._]+/g, "-") || "stepjobs-app";
    const { existing } = writeNewFiles(dir, initFiles(name));
    const shown = path.relative(process.cwd(), dir) || ".";
    const cd = shown === "." ? "" : `  cd ${shown}\n`;
    if (existing) {
      process.stderr.write(
        `stepjobs init: ${path.join(shown, existing)} already exists; nothing was written (init only creates new files)\n`,
      );
      return 1;
    }
    process.stdout.write(
      `created a stepjobs project in ${shown}\n\n` +
        `${cd}  npm install\n  npm run dev            # API and dashboard on http://localhost:8080\n\n` +
        `then, from another terminal in the project, send the tutorial's event (the key is in .env):\n` +
        `  ${KEY_FROM_ENV_FILE}\n` +
        `  curl -X POST http://localhost:8080/api/v1/events -H "Authorization: Bearer $TRIGGER_API_KEY" \\\n` +
        `    -H "Content-Type: application/json" -d '{"name":"my.event","payload":{"message":"Hello","shouldFail":true}}'\n`,
    );
    return 0;
  },
};
