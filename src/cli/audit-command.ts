/** `vigil audit`: placeholder wiring; the real command is written next. */
import type { Command } from 'commander';

export function registerAuditCommand(program: Command): void {
  program.command('audit').description('verify audit logs and transparency logs');
}
