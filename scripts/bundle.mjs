// The CLI as one bundle (dist/bundle/): `kubeforge` then starts without resolving and compiling
// ~300 separate modules (join's start-up: 450 ms → 220 ms). Code splitting keeps every command's
// lazy import() lazy. Two dependencies stay external: etcd3, because @grpc/proto-loader reads its
// .proto files from etcd3's own directory at run time, and systeminformation, whose exports
// esbuild's CommonJS interop does not carry over. The chunks sit two levels under the package root, as the
// tsc output does, so `new URL('../../templates/', import.meta.url)` still finds the package's files.
import { build } from 'esbuild';

await build({
  entryPoints: { kubeforge: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['etcd3', 'systeminformation', '@grpc/grpc-js', '@grpc/proto-loader'],
  // Bundled CommonJS dependencies (node-forge, commander) call require() for Node's built-ins.
  banner: { js: "import { createRequire as kubeforgeCreateRequire } from 'node:module'; const require = kubeforgeCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
