#!/usr/bin/env node
// Runs the compiled CLI when it exists (the container image), else the TypeScript source: Node 24 strips types.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli.ts', import.meta.url).href);
