// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['web/dist/', 'dist/', 'data/', '.tap/', 'test-artifacts/', 'bench-results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // A leading underscore marks a binding as deliberately unused: a parameter kept for its position, or a
      // property taken out of an object by rest destructuring (`const { hash: _hash, ...user } = row`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // The browser client: Lit templates and custom elements.
    files: ['web/src/**/*.ts'],
    extends: [lit.configs['flat/recommended'], wc.configs['flat/best-practice']],
    languageOptions: { globals: { ...globals.browser } },
    settings: { wc: { elementBaseClasses: ['LitElement'] } },
    rules: {
      // LitElement implements every lifecycle callback, so `super.connectedCallback()` needs no guard.
      'wc/guard-super-call': 'off',
    },
  },
  // Last: turns off the stylistic rules that Prettier owns.
  prettier,
);
