// ESLint flat config: the recommended rules of @eslint/js and typescript-eslint, nothing more.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'src/generated/', 'node_modules/', 'data/', 'coverage/']),
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
);
