import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * ARCHITECTURE.md's import rules: cli → commands → phases → domain modules → host; nothing imports
 * cli; the control plane and the agent meet only over the API; only host (and the agent's process
 * side) touches the file system, processes and system information directly.
 */
const layer = (name) => ({ regex: `(^|/)${name}/`, message: `ARCHITECTURE.md: this layer does not import ${name}/` });
const SIDE_EFFECTS = { regex: '^(node:)?(fs|fs/promises|child_process)$|^(execa|systeminformation)$', message: 'ARCHITECTURE.md: only src/host touches files, processes and system information' };
const restrict = (files, patterns, ignores = []) => ({ files, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const DOMAIN = ['config', 'preflight', 'pki', 'kubeconfig', 'token', 'manifests', 'kube', 'bootstrap', 'discovery'].map((d) => `src/${d}/**`);
// Tests (and their fixtures) may wire layers together, and generators run as scripts.
const TESTS = ['src/**/*.test.ts', 'src/**/testing.ts', 'src/**/*-fixtures.ts', 'src/**/*.mjs'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kubeforge/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', queueMicrotask: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']", message: 'process.exit only in src/cli' }],
    },
  },
  { files: ['src/cli/**', 'bin/**', 'bench/**', 'scripts/**'], rules: { 'no-restricted-syntax': 'off' } },
  restrict(['src/commands/**'], [layer('cli')]),
  restrict(['src/phases/**'], [layer('cli'), layer('commands'), SIDE_EFFECTS], TESTS),
  restrict(DOMAIN, [layer('cli'), layer('commands'), layer('phases'), layer('agent'), layer('controlplane'), SIDE_EFFECTS], TESTS),
  restrict(['src/host/**'], [layer('cli'), layer('commands'), layer('phases'), layer('agent'), layer('controlplane')], TESTS),
  restrict(['src/agent/**'], [layer('cli'), layer('commands'), layer('phases'), layer('controlplane')], TESTS),
  // The audit log is the API server's one append-only file stream (rotated as upstream's lumberjack).
  restrict(['src/controlplane/**'], [layer('cli'), layer('commands'), layer('phases'), layer('agent'), SIDE_EFFECTS], [...TESTS, 'src/controlplane/apiserver/audit-log.ts']),
  restrict(['src/controlplane/apiserver/audit-log.ts'], [layer('cli'), layer('commands'), layer('phases'), layer('agent')]),
);
