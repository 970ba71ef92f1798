import type { Command } from 'commander';

export function registerRenderCommands(_program: Command): void {}
