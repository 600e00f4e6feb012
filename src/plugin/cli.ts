import { runPlugin } from './main.ts';
import { processOutput } from './output.ts';

process.exitCode = await runPlugin(process.argv.slice(2), processOutput());
