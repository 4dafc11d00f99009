// Lint for Vigil: typescript-eslint's strict and stylistic type-checked rules on the TypeScript of
// tsconfig.json (src/, test/, bench/), ESLint's recommended rules on the JavaScript modules (bench/,
// scripts/, examples/), which no tsconfig covers. `npm run lint` runs it with --max-warnings=0.
// Each rule relaxed below says why in one line; everything else in the two presets stays on.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Unused names: a leading underscore marks one as deliberately unused, as tsc's noUnusedParameters allows. */
const UNUSED_OPTIONS = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true };

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'coverage/', 'node_modules/', 'test/.tmp/', 'bench/data/', 'vigil-data/', '.vigil-cache/'] },
  js.configs.recommended,
  {
    rules: {
      // Parsers and validators match control characters on purpose: rejecting or stripping them is their job.
      'no-control-regex': 'off',
      // Tests match column-aligned CLI output, where literal spaces read better than ` {11}`.
      'no-regex-spaces': 'off',
      'no-unused-vars': ['error', UNUSED_OPTIONS],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Byte parsing under noUncheckedIndexedAccess reads indexes already checked against the length: `buf[i]!`.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers print as themselves in messages; everything else (undefined, null, objects) still has to be made a string.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowRegExp: false },
      ],
      // `(x) => socket.end(x)` as a callback is the code base's idiom; a void returned with `return` is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `record['key']` marks a read through an index signature (env, parsed JSON); dot access stays required elsewhere.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // An async function without await implements a Promise-returning contract (decoders, routes, stores) and turns throws into rejections.
      '@typescript-eslint/require-await': 'off',
      // No-op callbacks (error sinks, fake clocks, silent printers) are deliberate.
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-unused-vars': ['error', UNUSED_OPTIONS],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read untyped JSON answers (Fastify's res.json(), parsed output) on purpose; their assertions check the shapes.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
);
