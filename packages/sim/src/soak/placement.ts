#!/usr/bin/env node
/**
 * `npm run soak:placement -- [--seeds N] [--seed-base S] [--variant V] [--workers W]`: the placement soak of
 * issue 5 (10,000 seeds from 1 by default), on worker threads. The same as `dreammesh-sim placement`, through
 * the same CLI (so `--help` and a bad flag behave the same). Exits 1 on any violation or missed liveness,
 * with each failing seed's replay command.
 */
import { getCli } from '../cli/index.js'

process.exitCode = await getCli().run(['placement', ...process.argv.slice(2)], { stdout: process.stdout, stderr: process.stderr })
