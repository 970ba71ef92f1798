/** What every renderer returns: files derived from the lab, byte-for-byte deterministic. */
import type { SecretRef } from '../lab/schema.js';

/**
 * A secret that a file needs, filled in only when the file is written to disk (see ./write.ts):
 * the rendered `content` holds `placeholder`, so the value never travels through return values,
 * workflow history or logs.
 */
export interface SecretSlot {
  placeholder: string;
  ref: SecretRef;
}

export interface RenderedFile {
  /** Path under the output folder of `runbook render`, e.g. `dns/db.nodes.example.com`. */
  path: string;
  content: string;
  /** The artifact it is (`dns.forward-zone`, `haproxy.config`, …), for catalogs and tests. */
  artifact: string;
  /** Helper host (lab `hosts[].name`) the file is pushed to, when it goes to one. */
  host?: string;
  /** Absolute path on that host. */
  target?: string;
  /** Secrets to substitute when writing; absent for most files. */
  secrets?: SecretSlot[];
}
