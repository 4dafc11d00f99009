/**
 * The agent's data folder: where it keeps its license (and, later, its databases, quarantine and
 * queues). Chosen, in order, by `--agent-dir DIR`, the VIGIL_AGENT_DIR environment variable,
 * `$XDG_DATA_HOME/vigil`, or `~/.local/share/vigil` (XDG Base Directory Specification 0.8: a
 * relative XDG_DATA_HOME is invalid and ignored). It holds secrets, so it is created owner-only.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Mode of the folders the agent creates: owner only. */
export const AGENT_DIR_MODE = 0o700;

/** The agent folder's path, absolute; nothing is created. Empty values count as unset. */
export function agentDirPath(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return resolve(option);
  const fromEnv = env['VIGIL_AGENT_DIR'];
  if (fromEnv) return resolve(fromEnv);
  const xdg = env['XDG_DATA_HOME'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'vigil');
  return join(homedir(), '.local', 'share', 'vigil');
}

/**
 * Creates `dir` (and missing parents) owner-only, whatever the umask, and returns it. A folder that
 * already exists keeps the mode its owner gave it.
 */
export function ensureAgentDir(dir: string): string {
  const created = mkdirSync(dir, { recursive: true, mode: AGENT_DIR_MODE });
  if (created !== undefined) chmodSync(dir, AGENT_DIR_MODE);
  return dir;
}
