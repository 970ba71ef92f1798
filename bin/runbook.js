#!/usr/bin/env node
// The `runbook` command. The sources are TypeScript; tsx compiles them on load, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
