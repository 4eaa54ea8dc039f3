import { Command } from 'commander';
import { verifyCommand, verifyProofCommand } from '../src/integrity/verify-command';
void new Command('annals').addCommand(verifyCommand()).addCommand(verifyProofCommand()).parseAsync(process.argv);
