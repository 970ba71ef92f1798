/**
 * A Kubernetes API failure in a few words, for a wait's detail or a pause message. client-node's
 * ApiException carries the whole response in its message (status, body, headers with their Date):
 * its status code says enough, and a detail that changed with every poll's Date header would be
 * printed as a change every time (cli/runs/wait-progress.ts).
 */
export function briefApiError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') {
    const body = (error as { body?: unknown }).body;
    const message = typeof body === 'string' ? statusMessage(body) : undefined;
    return message ? `HTTP ${code}: ${message}` : `HTTP ${code}`;
  }
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!;
}

/** The `message` of a Kubernetes Status body, when the body is one. */
function statusMessage(body: string): string | undefined {
  try {
    const status = JSON.parse(body) as { kind?: unknown; message?: unknown };
    return status.kind === 'Status' && typeof status.message === 'string' ? status.message : undefined;
  } catch {
    return undefined;
  }
}
