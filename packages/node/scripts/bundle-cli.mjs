// Bundles the CLI (dist/src/cli/bin.js and everything it imports, libp2p included) into one file,
// dist/cli/dreammesh.mjs, which bin/dreammesh.js runs.
//
// Why: Node resolves and compiles each of the ~1,500 ES modules of the libp2p stack one by one. From
// separate files `dreammesh up` took 1.4 s of CPU to be ready; from one file, 0.43 s (ADR 0008). On a
// 2-core box that starts 20 nodes at once, that is the difference between a 15 s and a 4 s start storm.
// Embedders import the package's modules as they are (dist/src); only the command is bundled.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Loads node:http and node:https through require() instead of `import`. An ES import of a built-in makes
 * Node build the module's ES facade, which reads every export, and node:http's exports include lazy getters
 * (WebSocket, EventSource...) that load all of undici: 63 ms of CPU for `import 'node:http'` against 9 ms
 * for require('node:http'), measured here, paid by every command and by each daemon of a start storm.
 * Through require(), esbuild's interop reads only the exports the code uses.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup (b) {
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) => args.namespace === 'builtin-by-require'
      ? { path: args.path, external: true } // the require() inside the shim below: Node's own
      : { path: args.path.replace(/^node:/, ''), namespace: 'builtin-by-require' })
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: `module.exports = require('node:${args.path}')`, loader: 'js' }))
  }
}

await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/cli/bin.js'],
  outfile: 'dist/cli/dreammesh.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Whitespace and syntax only: 3.7 -> 2.3 MB, which V8 keeps in memory as source (6 MB less RSS per node,
  // ~10% less CPU to start), while a bug report's stack trace still names the real functions.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  sourcemap: false,
  logLevel: 'warning',
  plugins: [builtinsByRequire],
  // Some dependencies are CommonJS (prom-client, as-chacha20poly1305) and call require() for Node built-ins.
  banner: { js: "import { createRequire as __dreammeshCreateRequire } from 'node:module'; const require = __dreammeshCreateRequire(import.meta.url);" }
})
