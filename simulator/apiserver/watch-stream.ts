/**
 * `?watch=true` over HTTP: a 200 response streaming one JSON event per line (what kube-apiserver's
 * JSON stream encoder writes and client-node's Watch reads with readline), with BOOKMARK events
 * when the client allows them, `timeoutSeconds`, the watch-list `sendInitialEvents` mode, and an
 * in-stream ERROR event with a 410 Status when the resourceVersion is too old.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { apiVersionOf } from './resources.js';
import type { ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';

export interface WatchStreamOptions {
  store: ObjectStore;
  resource: string;
  type: ResourceType;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  /** How event objects are written (kubectl get -w asks for Table rows). */
  present?: (obj: KubeObject) => unknown;
  /** How often to send a BOOKMARK when allowed (the real server sends about one a minute). */
  bookmarkIntervalMs: number;
  /** How long a watch without timeoutSeconds stays open (the real server picks 30-60 min). */
  defaultTimeoutSeconds: number;
  /** Called with a function that ends the stream, so the server can close watches when it stops. */
  track: (end: () => void) => () => void;
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, opts: WatchStreamOptions): void {
  const { store, type } = opts;
  // Bad selectors are a plain 400 before the stream starts.
  parseLabelSelector(opts.labelSelector);
  parseFieldSelector(opts.fieldSelector, type.fieldSelectors ?? [], type.custom);

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders(); // clients wait for the headers before reading events
  res.socket?.setNoDelay(true);
  const write = (line: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(line)}\n`);
  };
  const bookmark = (annotations?: Record<string, string>) =>
    write({
      type: 'BOOKMARK',
      object: {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: store.resourceVersion(), ...(annotations ? { annotations } : {}) },
      },
    });

  let stop: () => void = () => {};
  const timers: NodeJS.Timeout[] = [];
  let untrack: () => void = () => {};
  const end = () => {
    stop();
    untrack();
    for (const timer of timers) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  untrack = opts.track(end);
  req.on('close', end);
  res.on('close', end);

  const initial = opts.sendInitialEvents;
  try {
    stop = store.watch(
      opts.resource,
      {
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
        ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
        ...(initial || opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion }),
      },
      (event) => write(opts.present ? { type: event.type, object: opts.present(event.object) } : event),
    );
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    write({ type: 'ERROR', object: error.status() });
    end();
    return;
  }
  if (initial && opts.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  if (opts.allowWatchBookmarks) {
    const tick = () => {
      bookmark();
      timers[0] = setTimeout(tick, opts.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, opts.bookmarkIntervalMs);
  }
  timers.push(setTimeout(end, (opts.timeoutSeconds ?? opts.defaultTimeoutSeconds) * 1000));
}
