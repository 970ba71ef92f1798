#!/usr/bin/env node
// Launcher of the simulated lab's stand-in ipmitool (./ipmitool-cli.ts), as bin/runbook.js loads the
// TypeScript sources: tsx compiles them on load.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./ipmitool-cli.ts');
const result = await main(process.argv.slice(2), process.env);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
