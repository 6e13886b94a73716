/**
 * Environments of variables for `.sock` files, as REST Client and httpYac keep them: one JSON file
 * in the workspace ({@link ENV_FILE}) holds named environments and a shared default:
 *
 *     { "$shared": { "host": "127.0.0.1" },
 *       "local":   { "port": 7000 },
 *       "staging": { "host": "staging.example", "token": { "$env": "STAGING_TOKEN" } } }
 *
 * A value is text (a number or boolean is written as JSON writes it), or `{ "$env": "NAME" }`: a
 * secret read from the process environment when the environment is chosen, never written to the
 * file, the reports or the transcript's summary ({@link redact}).
 */

/** The environment file's name, looked up in the folder the files are run from (the workspace). */
export const ENV_FILE = 'sock.env.json';
/** The environment every other one extends. */
export const SHARED_ENV = '$shared';
/** The largest environment file read (bytes). */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/** A value of the file: literal text, or the name of a process environment variable (a secret). */
type EnvValue = { readonly text: string } | { readonly env: string };

/** The parsed environment file: the environments by name, `$shared` among them when written. */
export class EnvironmentFile {
  private constructor(private readonly envs: ReadonlyMap<string, ReadonlyMap<string, EnvValue>>) {}

  /**
   * Reads the text of an environment file.
   * @param source how errors name the file
   * @throws Error with a message naming `source` and the place: not JSON, not an object of
   *   objects, a variable name the language cannot write, a value that is neither text, a number,
   *   a boolean nor `{ "$env": "NAME" }`, or more than {@link MAX_ENV_FILE_BYTES}
   */
  static parse(text: string, source: string): EnvironmentFile {
    if (Buffer.byteLength(text) > MAX_ENV_FILE_BYTES) throw new Error(`${source}: larger than ${MAX_ENV_FILE_BYTES / 1024 / 1024} MiB`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${source}: not JSON: ${(e as Error).message}`);
    }
    if (!isObject(json)) throw new Error(`${source}: write an object of environments, e.g. { "local": { "port": 7000 } }`);
    const envs = new Map<string, Map<string, EnvValue>>();
    for (const [name, vars] of Object.entries(json)) {
      if (!isObject(vars)) throw new Error(`${source}: environment "${name}" is not an object of variables`);
      const values = new Map<string, EnvValue>();
      for (const [key, v] of Object.entries(vars)) {
        if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new Error(`${source}: environment "${name}": "${key}" is not a variable name (letters, digits, _ and -)`);
        values.set(key, envValue(v, `${source}: environment "${name}", variable "${key}"`));
      }
      envs.set(name, values);
    }
    return new EnvironmentFile(envs);
  }

  /** The environments one can choose, in the file's order (`$shared` is not one). */
  get names(): string[] {
    return [...this.envs.keys()].filter((n) => n !== SHARED_ENV);
  }

  /**
   * The variables of environment `name` over `$shared` (or of `$shared` alone when `name` is
   * absent), with the secrets read from `processEnv`.
   * @throws Error naming the known environments when there is no `name`, and naming the process
   *   environment variable a secret needs when it is not set
   */
  resolve(name: string | undefined, processEnv: NodeJS.ProcessEnv): Environment {
    if (name !== undefined && (name === SHARED_ENV || !this.envs.has(name))) {
      throw new Error(`no environment "${name}"; ${this.names.length > 0 ? `the file has ${this.names.map((n) => `"${n}"`).join(', ')}` : 'the file has none but $shared'}`);
    }
    const variables = new Map<string, string>();
    const secrets: string[] = [];
    for (const env of [SHARED_ENV, ...(name === undefined ? [] : [name])]) {
      for (const [key, v] of this.envs.get(env) ?? []) {
        if ('text' in v) {
          variables.set(key, v.text);
          continue;
        }
        const value = processEnv[v.env];
        if (value === undefined) throw new Error(`the variable "${key}" of ${env === SHARED_ENV ? 'the shared environment' : `environment "${env}"`} reads ${v.env} from the process environment, which is not set`);
        variables.set(key, value);
        if (value !== '') secrets.push(value);
      }
    }
    return { ...(name !== undefined ? { name } : {}), variables, secrets };
  }
}

/** A chosen environment: its variables, and the values that are secrets. */
export interface Environment {
  readonly name?: string;
  readonly variables: ReadonlyMap<string, string>;
  /** The secrets' values, to keep out of reports. */
  readonly secrets: readonly string[];
}

/** What stands in a report for a secret's value. */
export const REDACTED = '***';

/** `text` with every occurrence of each secret replaced by {@link REDACTED}, longest secrets first. */
export function redact(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function envValue(v: unknown, where: string): EnvValue {
  if (typeof v === 'string') {
    if (/[\r\n]/.test(v)) throw new Error(`${where}: a value is one line`);
    return { text: v };
  }
  if (typeof v === 'number' || typeof v === 'boolean') return { text: String(v) };
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.$env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.$env)) return { env: v.$env };
  throw new Error(`${where}: write text, a number, a boolean or { "$env": "NAME" }`);
}
