#!/usr/bin/env node
/**
 * `npm run soak:placement -- [--seeds N] [--seed-base S] [--variant V] [--workers W]`: the placement soak of
 * issue 5 (10,000 seeds from 1 by default), on worker threads. The same as `dreammesh-sim placement`; see
 * its `--help`. Exits 1 on any violation or missed liveness, with each failing seed's replay command.
 */
import { placementCommand } from '../cli/placement.js'

process.exitCode = await placementCommand.handler(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
