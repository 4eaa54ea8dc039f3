import type { Command } from 'commander';
import type { Cli } from '../cli';

export function registerRebuild(_program: Command, _cli: Cli): void {}
