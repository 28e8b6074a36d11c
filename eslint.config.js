// Lint rules. The one that matters most keeps the pure core (model, optimizer) free of I/O:
// no node:* modules, Kafka, HTTP, metrics or InfluxDB clients in src/model/** or src/optimizer/**.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['kafkajs', 'fastify', 'fastify/*', '@fastify/*', 'prom-client', 'influx', 'yaml'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['src/model/**/*.ts', 'src/optimizer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'net', 'http', 'https', 'child_process', 'os'], message: 'model/ and optimizer/ are pure: no I/O modules.' },
          { group: ioModules, message: 'model/ and optimizer/ are pure: adapters live at the edge.' },
          { group: ['**/ingest/**', '**/publish/**', '**/api/**', '**/telemetry/**', '**/pipeline/**', '**/cli/**', '**/app.ts'], message: 'the pure core must not depend on the edge.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'time comes in as an argument in the pure core.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'use the seeded generator (src/random.ts).' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly' } },
  },
);
