#!/usr/bin/env node
import { getCli } from './cli/index.js'

const cli = getCli()
process.exitCode = await cli.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
