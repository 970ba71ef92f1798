/**
 * The power state of every lab node, as its hypervisor or BMC reports it. `virsh` on the simulated
 * hosts and the simulated BMCs (simulator/bmc) change it; the install controllers listen for `power`
 * events to boot a node that was switched on.
 */
import { EventEmitter } from 'node:events';
import type { SimClock } from '../clock.js';

/** How long a power-cycled machine stays dark before it powers up again (lab time). */
export const CYCLE_OFF_MS = 3_000;

export type PowerState = 'on' | 'off';

export interface PowerBoardEvents {
  /** A node's power changed. A power cycle or reboot is `off` then `on`. */
  power: [node: string, state: PowerState];
  /** The start of a node's boot disk was wiped (`virsh vol-wipe`): it installs again at its next boot. */
  wiped: [node: string];
}

export class PowerBoard extends EventEmitter<PowerBoardEvents> {
  private readonly states = new Map<string, PowerState>();
  /** Pending power-up of a cycle, cancelled by any explicit change meanwhile. */
  private readonly pending = new Map<string, () => void>();

  constructor(
    nodes: readonly string[],
    initial: Readonly<Record<string, PowerState>> = {},
    private readonly clock?: SimClock,
  ) {
    super();
    for (const node of nodes) this.states.set(node, initial[node] ?? 'off');
  }

  state(node: string): PowerState {
    const state = this.states.get(node);
    if (!state) throw new Error(`no node named "${node}" in the lab (nodes: ${[...this.states.keys()].join(', ')})`);
    return state;
  }

  /** Switches a node on or off; returns whether that changed anything (and emitted `power`). */
  set(node: string, state: PowerState): boolean {
    this.pending.get(node)?.();
    this.pending.delete(node);
    if (this.state(node) === state) return false;
    this.states.set(node, state);
    this.emit('power', node, state);
    return true;
  }

  /**
   * Power cycle: a running node goes off now and on again after `offMs` of lab time (a guest
   * reboot passes 0: the domain never stops); an off node stays off.
   */
  cycle(node: string, offMs = CYCLE_OFF_MS): void {
    if (this.state(node) === 'off') return;
    this.set(node, 'off');
    if (!this.clock || offMs === 0) {
      this.set(node, 'on');
      return;
    }
    const cancel = this.clock.after(offMs, () => {
      this.pending.delete(node);
      this.set(node, 'on');
    });
    this.pending.set(node, cancel);
  }

  /** Wipes the node's boot disk (its hypervisor's storage volume). */
  wipe(node: string): void {
    this.state(node);
    this.emit('wiped', node);
  }

  list(): Record<string, PowerState> {
    return Object.fromEntries(this.states);
  }
}
