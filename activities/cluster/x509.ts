/**
 * @peculiar/x509 (with its reflect-metadata polyfill and Node's WebCrypto as its provider), loaded on the
 * first CSR a step reads: a worker that never approves a CSR does not carry it.
 */
import { webcrypto } from 'node:crypto';

type X509 = typeof import('@peculiar/x509');

let loading: Promise<X509> | undefined;

export function loadX509(): Promise<X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return loading;
}
