/** What every renderer returns: files derived from the lab, byte-for-byte deterministic. */
import type { SecretRef } from '../lab/schema.js';

/**
 * A secret that a file needs, filled in only when the file is written to disk (see ./write.ts) or an
 * object is applied (see ./secret-slots.ts): the rendered `content` holds `placeholder`, so the value
 * never travels through return values, workflow history or logs.
 *
 * Placeholders stand as whole YAML scalars (every file holding a secret is YAML); filling one writes
 * a double-quoted scalar, so any value (multi-line PEM, JSON) keeps the document valid.
 */
export interface SecretSlot {
  placeholder: string;
  ref: SecretRef;
  /** `base64` for Secret `data` fields; `plain` for the value itself. Trailing whitespace is trimmed. */
  encoding: 'plain' | 'base64';
}

export interface RenderedFile {
  /** Path under the output folder of `runbook render`, e.g. `dns/netserv1/db.nodes.example.com`. */
  path: string;
  content: string;
  /** The artifact it is (`dns.forward-zone`, `haproxy.final`, …), for catalogs and tests. */
  artifact: string;
  /** Helper host (lab `hosts[].name`) the file is pushed to, when it goes to one. */
  host?: string;
  /** Absolute path on that host. */
  target?: string;
  /** Secrets to substitute when writing; absent for most files. */
  secrets?: SecretSlot[];
}
