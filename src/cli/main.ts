#!/usr/bin/env node
/** The `vigil` command. Each sub-command lives in its own file; this one only wires them. */
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './audit-command.js';
import { registerCloudCommand } from './cloud-command.js';
import { registerDaemonCommand } from './daemon-command.js';
import { registerDbCommand } from './db-command.js';
import { registerLicenseCommand } from './license-command.js';
import { registerNetworkCommand } from './network-command.js';
import { EXIT_CLEAN, EXIT_ERROR, reportError } from './exit-codes.js';
import { registerQuarantineCommand } from './quarantine-command.js';
import { registerScanCommand } from './scan-command.js';
import { registerUpdateCommand } from './update-command.js';
import { vigilVersion } from './version.js';
import { registerWatchCommand } from './watch-command.js';

const program = new Command();
program
  .name('vigil')
  .description('Vigil: an open, auditable antivirus. Scans with ClamAV-format signatures.')
  .version(vigilVersion(), '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .enablePositionalOptions()
  .exitOverride();

registerScanCommand(program);
registerQuarantineCommand(program);
registerWatchCommand(program);
registerDbCommand(program);
registerUpdateCommand(program);
registerDaemonCommand(program);
registerLicenseCommand(program);
registerNetworkCommand(program);
registerAuditCommand(program);
registerCloudCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; usage errors exit 2 like clamscan's.
    process.exitCode = e.exitCode === 0 ? EXIT_CLEAN : EXIT_ERROR;
  } else process.exitCode = reportError(e);
}
