/**
 * The Dockerfile docker-compose.yml builds spendflow from. Docker does not run here, so the file
 * is read instruction by instruction and checked against the repository it copies from.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import { ROOT, dockerfileEnv, execWords, readDockerfile, repoText } from './deploy-files.ts';

describe('Dockerfile', () => {
  const file = readDockerfile();
  const last = (op: string) => file.instructions.filter((i) => i.op === op).at(-1)?.args;
  const runs = file.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

  it('builds on Node 20, as package.json requires', () => {
    expect(file.from).toHaveLength(1);
    expect(file.from[0]).toMatch(/^node:20(\.\d+){0,2}(-[a-z]+)*(-slim)?$/);
    const pkg = JSON.parse(repoText('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20');
  });

  it('installs exactly the locked dependencies (npm ci) before copying the sources', () => {
    const order = file.instructions.map((i) => `${i.op} ${i.args}`);
    const install = order.findIndex((l) => /^RUN .*\bnpm ci\b/.test(l));
    expect(install).toBeGreaterThan(-1);
    expect(order.findIndex((l) => l.startsWith('COPY package.json package-lock.json'))).toBeLessThan(install);
    expect(order.findIndex((l) => /^COPY src\b/.test(l))).toBeGreaterThan(install);
    // tsx runs the sources in production, so it must be a runtime dependency if devDependencies are left out.
    const pkg = JSON.parse(repoText('package.json')) as { dependencies: Record<string, string> };
    if (runs.some((r) => r.includes('--omit=dev'))) expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = repoText('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.env', '.git']));
    for (const copy of file.instructions.filter((i) => i.op === 'COPY')) {
      const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      for (const source of words.slice(0, -1)) {
        expect(existsSync(join(ROOT, source)), source).toBe(true);
        expect(ignored, source).not.toContain(source);
      }
    }
  });

  it('copies everything `spendflow serve` loads: bin, src and the default config file', () => {
    const copied = file.instructions.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['bin', 'src', 'config']));
    expect(existsSync(join(ROOT, 'config/default.yaml'))).toBe(true);
  });

  it('runs `node bin/spendflow.js serve`, the package binary', () => {
    const command = [...execWords(last('ENTRYPOINT') ?? '[]'), ...execWords(last('CMD') ?? '[]')];
    expect(command).toEqual(['node', 'bin/spendflow.js', 'serve']);
    const pkg = JSON.parse(repoText('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin['spendflow']).toBe('bin/spendflow.js');
  });

  it('runs as a user other than root, who owns the embedded state directory', () => {
    const user = last('USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // Embedded mode writes state.dir (relative to WORKDIR); the default must be under the chowned folder.
    const stateDir = loadConfig({}).state.dir ?? '';
    const top = stateDir.split('/')[0] ?? '';
    expect(runs.some((r) => r.includes(`chown ${user}`) && r.includes(`${last('WORKDIR')}/${top}`))).toBe(true);
  });

  it('configures spendflow to listen on all interfaces on the port it exposes', () => {
    const config = loadConfig({ env: dockerfileEnv(file) });
    expect(config.service.host).toBe('0.0.0.0');
    expect(last('EXPOSE')).toBe(String(config.service.port));
  });

  it('checks its health with GET /health on the service port', () => {
    const healthcheck = last('HEALTHCHECK') ?? '';
    expect(healthcheck).toMatch(/--interval=\d+s/);
    const cmd = /CMD\s+(.*)$/.exec(healthcheck)?.[1] ?? '';
    const words = execWords(cmd);
    expect(words[0]).toBe('node');
    const script = words.join(' ');
    expect(script).toContain('/health');
    expect(script).toContain('127.0.0.1');
    expect(script).toContain('process.env.SPENDFLOW_SERVICE_PORT');
  });
});
