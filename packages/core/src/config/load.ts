import { platform } from '#platform';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { sha256Hex } from '../sha256.js';
import { runConfig, type ParsedRunConfig, type RunConfig } from './schema.js';
import { validate } from './validate.js';

export { validate };

/** Validates a run config; errors name every bad field, the value found and what is allowed. */
export function parseRunConfig(input: unknown, source = 'config'): ParsedRunConfig {
  return validate(runConfig, input, source);
}

/** Reads a JSON or YAML run config from a file (in a browser: an address). */
export async function loadRunConfig(path: string): Promise<ParsedRunConfig> {
  return parseRunConfig(await readConfigFile(path), `config ${path}`);
}

/** The parsed contents of a YAML or JSON file (by extension), with errors that name the file. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await platform.readText(path);
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  const json = path.endsWith('.json');
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

/**
 * A hash of what decides the trained weights, so that a checkpoint is only resumed
 * by the run that wrote it. Epoch count, checkpointing, logging, evaluation and
 * hooks may change.
 */
export async function configHash(cfg: RunConfig): Promise<string> {
  const { train, eval: _eval, name: _name, backend: _backend, hooks: _hooks, ...rest } = cfg;
  const { epochs: _e, checkpointEvery: _c, checkpointDir: _d, resume: _r, logEvery: _l, ...trainRest } = train;
  return (await sha256Hex(stableStringify({ ...rest, train: trainRest }))).slice(0, 16);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
