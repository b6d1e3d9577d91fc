#!/usr/bin/env node
// Launcher for the `portcullis` binary: Node runs the TypeScript sources directly.
import { main } from '../src/cli/main.ts';

await main();
