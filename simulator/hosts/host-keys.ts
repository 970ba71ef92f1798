/**
 * Each simulated host's ed25519 host key, generated once (node:crypto, through ssh2's OpenSSH
 * encoder) and kept in its state folder, so a restarted lab presents the same keys and pins stay
 * valid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface HostKey {
  /** OpenSSH private key, for the ssh2 server. */
  privateKey: string;
  /** `ssh-ed25519 AAAA…`, as pinned by clients. */
  publicKey: string;
}

export function loadOrCreateHostKey(dir: string, hostName: string): HostKey {
  const privatePath = join(dir, 'ssh_host_ed25519_key');
  const publicPath = `${privatePath}.pub`;
  if (!existsSync(privatePath) || !existsSync(publicPath)) {
    mkdirSync(dir, { recursive: true });
    const pair = newKeyPair(hostName);
    writeFileSync(privatePath, pair.private, { mode: 0o600 });
    writeFileSync(publicPath, `${pair.public}\n`);
  }
  const [type, base64] = readFileSync(publicPath, 'utf8').trim().split(/\s+/);
  return { privateKey: readFileSync(privatePath, 'utf8'), publicKey: `${type} ${base64}` };
}

/**
 * ssh2's OpenSSH encoder now and then writes an ed25519 key that its own parser rejects (about one in
 * a few hundred); a host must never be handed such a key, so each new pair is parsed before use.
 */
function newKeyPair(hostName: string): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `root@${hostName}` });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
    if (attempt === 10) throw new Error(`could not generate a readable ed25519 host key for ${hostName}`);
  }
}
