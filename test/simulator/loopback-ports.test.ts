/**
 * Ports for listeners that bind later: below the kernel's ephemeral range (which `listen(0)` in any
 * other process draws from) and claimed across processes, a dead process's claim taken over.
 */
import { expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { claimPort, PORT_CLAIMS, reservableRange, reservePort } from '../../simulator/loopback-ports.js';

it('hands out distinct ports below the ephemeral range, each claimed by this process and bindable', async () => {
  const [low, high] = reservableRange();
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  expect(high).toBeLessThan(ephemeralLow);
  const ports: number[] = [];
  for (let index = 0; index < 100; index += 1) ports.push(await reservePort());
  expect(new Set(ports).size).toBe(100);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(low);
    expect(port).toBeLessThanOrEqual(high);
    expect(readFileSync(path.join(PORT_CLAIMS, String(port)), 'utf8')).toBe(String(process.pid));
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(ports[0], '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
});

it('leaves a port a live process claimed, and takes over the claim of a process that has exited', async () => {
  const [low] = reservableRange();
  const held = low + 11;
  const abandoned = low + 12;
  mkdirSync(PORT_CLAIMS, { recursive: true });
  // The parent (the jest runner) is alive; a finished `true` is not.
  writeFileSync(path.join(PORT_CLAIMS, String(held)), String(process.ppid));
  const gone = execa('true');
  await gone;
  writeFileSync(path.join(PORT_CLAIMS, String(abandoned)), String(gone.pid));
  expect(claimPort(held)).toBe(false);
  expect(claimPort(abandoned)).toBe(true);
  expect(readFileSync(path.join(PORT_CLAIMS, String(abandoned)), 'utf8')).toBe(String(process.pid));
  for (const port of [held, abandoned]) rmSync(path.join(PORT_CLAIMS, String(port)), { force: true });
});
