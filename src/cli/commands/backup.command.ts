import type { Command } from 'commander';
import type { Cli } from '../cli';

export function registerBackup(_program: Command, _cli: Cli): void {}
export function registerRestore(_program: Command, _cli: Cli): void {}
