#!/usr/bin/env node
// The kubectl plugin (kubectl finds `kubectl-scim` on PATH). Runs the compiled code when it exists, else the
// TypeScript source: Node 24 strips types.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/plugin/cli.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('../src/plugin/cli.ts', import.meta.url).href);
