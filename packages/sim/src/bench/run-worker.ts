/**
 * Runs one membership simulation in its own process, so the benchmark can use both cores: reads the
 * options as JSON from argv[2] and prints the result as one JSON line.
 */
import { runMembership, type MembershipRunOptions } from '../scenarios/membership-run.js'

const options = JSON.parse(process.argv[2]) as MembershipRunOptions
process.stdout.write(JSON.stringify(runMembership(options)) + '\n')
