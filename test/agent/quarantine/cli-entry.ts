/** The built `vigil` that the quarantine and watch tests run (needs `npm run build`, done by `npm test`'s setup). */
import { CLI, run, type Run } from '../../helpers/cli.js';

/** The script to run with node. */
export const VIGIL_ENTRY = CLI;

export function vigilQ(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Run {
  return run(process.execPath, [VIGIL_ENTRY, ...args], opts);
}
