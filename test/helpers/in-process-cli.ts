/**
 * Runs one `vigil` command in this process (no build needed): a Commander program with only that
 * command registered, standard output and error captured, and the exit code read from
 * process.exitCode (reset afterwards).
 */
import { Command } from 'commander';
import { vi } from 'vitest';

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** process.exitCode as the command left it (read here, where TypeScript does not narrow it to the 0 set before the run). */
function readExitCode(): typeof process.exitCode {
  return process.exitCode;
}

export async function runInProcess(register: (program: Command) => void, args: string[]): Promise<InProcessRun> {
  const program = new Command().enablePositionalOptions().exitOverride();
  register(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'vigil', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(readExitCode() ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}
