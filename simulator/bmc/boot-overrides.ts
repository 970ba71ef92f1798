/**
 * The next-boot device the simulated BMCs hold per node (IPMI `chassis bootdev`, Redfish
 * `Boot.BootSourceOverride*`), and the device each node last booted from. A one-time override is
 * used up by the next power-on, as on real BMCs; the boot log lets tests and the install controllers
 * see that a node was made to PXE boot.
 */
import type { PowerBoard } from '../hosts/power-board.js';

export type BootDevice = 'pxe' | 'disk';
export type OverrideMode = 'Disabled' | 'Once' | 'Continuous';

export interface BootOverride {
  target: BootDevice | 'none';
  mode: OverrideMode;
}

export interface NodeBoot extends BootOverride {
  /** What the node booted from at its last power-on: an override, or its own boot order (`default`). */
  lastBoot?: BootDevice | 'default';
}

export class BootOverrides {
  private readonly overrides = new Map<string, BootOverride>();
  private readonly lastBoot = new Map<string, BootDevice | 'default'>();
  private readonly onPower = (node: string, state: 'on' | 'off') => {
    if (state !== 'on') return;
    const override = this.get(node);
    this.lastBoot.set(node, override.mode === 'Disabled' ? 'default' : (override.target as BootDevice));
    if (override.mode === 'Once') this.overrides.delete(node);
  };

  constructor(private readonly power: PowerBoard) {
    power.on('power', this.onPower);
  }

  get(node: string): BootOverride {
    this.power.state(node); // throws for a node the lab does not have
    return this.overrides.get(node) ?? { target: 'none', mode: 'Disabled' };
  }

  set(node: string, target: BootDevice | 'none', mode: OverrideMode = 'Once'): void {
    this.power.state(node);
    if (target === 'none' || mode === 'Disabled') this.overrides.delete(node);
    else this.overrides.set(node, { target, mode });
  }

  /** What the node booted from at its last power-on (undefined: not powered on since the lab started). */
  bootedFrom(node: string): BootDevice | 'default' | undefined {
    return this.lastBoot.get(node);
  }

  /** Per node: the override in force and the device of its last boot. */
  list(): Record<string, NodeBoot> {
    return Object.fromEntries(
      Object.keys(this.power.list()).map((node) => {
        const last = this.lastBoot.get(node);
        return [node, { ...this.get(node), ...(last && { lastBoot: last }) }];
      }),
    );
  }

  stop(): void {
    this.power.off('power', this.onPower);
  }
}
