/**
 * A simulated BMC's login check: the user and password of the node's lab entry (the password read
 * through its secret reference, as the worker reads it), compared in constant time. Never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Node } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import type { SimLogger } from '../context.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export async function credentialsMatch(
  node: Node,
  username: string,
  password: string,
  log?: SimLogger,
): Promise<boolean> {
  const power = node.power;
  if (power.type !== 'ipmi' && power.type !== 'redfish') return false;
  let expected: string;
  try {
    expected = await resolveSecret(power.password);
  } catch (error) {
    // A BMC whose password the lab cannot give refuses everyone, as a real one with an unknown password does.
    log?.warn(`BMC of ${node.name}: ${(error as Error).message}; refusing every login`);
    return false;
  }
  const userOk = timingSafeEqual(digest(username), digest(power.username));
  const passwordOk = timingSafeEqual(digest(password), digest(expected));
  return userOk && passwordOk;
}
