import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Component, startComponent } from './component.ts';
import { freePort } from './control-plane.ts';

const answers = async (url: string) => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
};

describe('a supervised component', () => {
  let dir: string;
  let url: string;
  let component: Component;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'component-test-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    const server = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    component = await startComponent(
      { name: 'tiny-server', command: process.execPath, args: ['-e', server], ready: () => answers(url) },
      { logDir: dir, runs: path.join(dir, 'runs') },
    );
  });
  afterAll(async () => {
    await component?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the pid of the command, not of its watchdog', async () => {
    const pid = await component.pid();
    expect(pid).not.toBe(process.pid);
    expect(() => process.kill(pid, 0)).not.toThrow();
  });

  it('answers nothing while paused and answers again once resumed', async () => {
    await component.pause();
    expect(await answers(url)).toBe(false);
    await component.resume();
    expect(await answers(url)).toBe(true);
  });

  it('restarts as a new process on the same port, ready when restart resolves', async () => {
    const before = await component.pid();
    await component.restart();
    expect(await component.pid()).not.toBe(before);
    expect(await answers(url)).toBe(true);
  });

  it('stops even while paused', async () => {
    await component.pause();
    const pid = await component.pid();
    const started = Date.now();
    await component.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
