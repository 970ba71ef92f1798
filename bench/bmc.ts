/**
 * The simulated IPMI BMCs, measured for `npm run bench`: every node of the example lab behind IPMI,
 * the BMC server started (`ipmiBmcStartMs`, spawn to every BMC listening), its memory for the whole
 * lab (`ipmiBmcRssMb`, VmRSS), and one `ipmitool chassis power status` through the product's
 * transport, the real Debian ipmitool over RMCP+ on loopback (`ipmiCommandMsMedian`, median of 15).
 */
import { readFileSync } from 'node:fs';
import type { Lab } from '../lab/schema.js';
import { BootOverrides } from '../simulator/bmc/boot-overrides.js';
import { startIpmiBmcs } from '../simulator/bmc/ipmi.js';
import { PowerBoard } from '../simulator/hosts/power-board.js';
import { defaultIpmitool } from '../transport/bmc-targets.js';
import { runIpmitool } from '../transport/ipmitool.js';

const PASSWORD_ENV = 'RUNBOOK_BENCH_IPMI_PASSWORD';

export async function bmcFigures(
  example: Lab,
): Promise<{ ipmiBmcStartMs: number; ipmiBmcRssMb: number; ipmiCommandMsMedian: number; nodes: number }> {
  process.env[PASSWORD_ENV] = 'bench-ipmi-password';
  const lab = structuredClone(example);
  lab.nodes.forEach((node, index) => {
    node.power = {
      type: 'ipmi',
      address: `10.42.44.${200 + index}`,
      username: 'admin',
      password: `env:${PASSWORD_ENV}`,
    };
  });
  const power = new PowerBoard(lab.nodes.map((node) => node.name));
  const boot = new BootOverrides(power);
  const started = performance.now();
  const bmcs = await startIpmiBmcs({ lab, power, boot });
  const ipmiBmcStartMs = Math.round(performance.now() - started);
  try {
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${bmcs.pid}/status`, 'utf8'))?.[1]);
    const times: number[] = [];
    for (let run = 0; run < 15; run += 1) {
      const bmc = bmcs.bmcs[run % bmcs.bmcs.length]!;
      const begin = performance.now();
      const result = await runIpmitool(
        {
          label: bmc.node,
          binary: defaultIpmitool(),
          host: bmc.address,
          port: bmc.port,
          username: 'admin',
          password: `env:${PASSWORD_ENV}`,
          rehearsal: true,
        },
        ['chassis', 'power', 'status'],
      );
      times.push(performance.now() - begin);
      if (result.exitCode !== 0) throw new Error(`ipmitool toward ${bmc.node}'s BMC failed: ${result.stderr.trim()}`);
    }
    times.sort((a, b) => a - b);
    return {
      ipmiBmcStartMs,
      ipmiBmcRssMb: Math.round(rssKb / 102.4) / 10,
      ipmiCommandMsMedian: Math.round(times[Math.floor(times.length / 2)]!),
      nodes: bmcs.bmcs.length,
    };
  } finally {
    await bmcs.stop();
    boot.stop();
  }
}
