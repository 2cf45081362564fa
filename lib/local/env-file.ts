import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The project's `.env`: where `stepjobs dev` keeps the API key (`TRIGGER_API_KEY`, what `curl` and
 * `stepjobs send` present) and the public key, as Trigger.dev's dev setup does. Only `KEY=VALUE` lines,
 * `#` comments and optional quotes: the subset `.env` files in the wild use.
 */

/** The keys `stepjobs dev` needs, with the prefix of a freshly generated value. */
export const GENERATED_KEYS = { TRIGGER_API_KEY: "tr_dev_", TRIGGER_PUBLIC_KEY: "pk_dev_" } as const;

/** Parses `.env` text into its variables. */
export function parseEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, name = "", written = ""] = match;
    let value = written.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    values[name] = value;
  }
  return values;
}

/** A random key: prefix plus 32 bytes, base64url (256 bits, so guessing is not a concern). */
export function generateKey(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** What {@link ensureEnvFile} did. */
export interface EnvFile {
  readonly path: string;
  /** Keys it generated and wrote (empty when `.env` already had them). */
  readonly generated: readonly string[];
  readonly values: Readonly<Record<string, string>>;
}

/**
 * Reads `<root>/.env`, appending any missing generated key (creating the file if needed, mode 0600 since
 * it holds a secret). Does not touch `process.env`; see {@link applyEnv}.
 */
export function ensureEnvFile(root: string): EnvFile {
  const file = path.join(root, ".env");
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const values = parseEnv(text);
  const generated: string[] = [];
  let append = "";
  for (const [key, prefix] of Object.entries(GENERATED_KEYS)) {
    if (values[key]) continue;
    values[key] = generateKey(prefix);
    generated.push(key);
    append += `${key}=${values[key]}\n`;
  }
  if (append) {
    const header = text
      ? text.endsWith("\n")
        ? ""
        : "\n"
      : "# Written by `stepjobs dev`: keys of the local API. Keep this file out of git.\n";
    fs.appendFileSync(file, header + append, { mode: 0o600 });
  }
  return { path: file, generated, values };
}

/** Reads `<root>/.env` if there is one (the CLI: it never writes). */
export function readEnvFile(root: string): Record<string, string> {
  const file = path.join(root, ".env");
  return fs.existsSync(file) ? parseEnv(fs.readFileSync(file, "utf8")) : {};
}

/** Copies variables into `process.env` unless already set there: the environment wins over the file, as with dotenv. */
export function applyEnv(values: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(values)) process.env[key] ??= value;
}
