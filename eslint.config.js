// ESLint flat config: the recommended rules of @eslint/js and typescript-eslint, and the layering
// rules of STYLE.md checked rather than remembered: no import cycles, Prisma only in repositories
// (and the lib files that open the database), modules never importing plugins, the pure core in
// src/domain importing no module.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const PRISMA_IMPORTS = {
  group: ['**/generated/prisma/**', '**/lib/prisma.js', '@prisma/*'],
  message: 'Prisma belongs in *.repository.ts (services pass a Tx from lib/transaction.ts).',
};
const PLUGIN_IMPORTS = {
  group: ['**/plugins/**'],
  message: 'Modules never import plugins: app.ts wires cross-cutting concerns around them.',
};

export default defineConfig(
  globalIgnores(['dist/', 'packages/*/dist/', 'src/generated/', 'node_modules/', 'data/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Plain JavaScript (this file, scripts/*.mjs) runs on Node; TypeScript files need no globals
    // list because typescript-eslint turns no-undef off for them (tsc checks names).
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['src/**/*.ts', 'packages/*/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.repository.ts', 'src/lib/db.ts', 'src/lib/prisma.ts', 'src/lib/transaction.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRISMA_IMPORTS] }] },
  },
  {
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/**/*.repository.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PRISMA_IMPORTS, PLUGIN_IMPORTS] }] },
  },
  {
    // The pure core: budget arithmetic, crossings, policies, the session state machine. No I/O.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [PRISMA_IMPORTS, PLUGIN_IMPORTS, { group: ['**/modules/**'], message: 'src/domain depends on nothing but src/lib.' }] },
      ],
    },
  },
  {
    files: ['src/modules/**/*.repository.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PLUGIN_IMPORTS] }] },
  },
);
