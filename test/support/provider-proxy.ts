import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the fake provider, as the service sees it (OPENAI_BASE_URL).
 * It reads each request whole and finishes it upstream even if the caller has gone (a
 * worker SIGKILLed mid-call): like the real API, the work is done, answered and billed.
 * `failWhen` answers 500 instead, without calling upstream, for bodies it matches.
 */
export class ProviderProxy {
  /** Requests received whole. */
  received = 0;

  private constructor(private readonly server: Server) {}

  static async start(upstream: () => string, options: { failWhen?: (body: Buffer) => boolean } = {}): Promise<ProviderProxy> {
    // The handler catches its own failures; `void` says nobody awaits it.
    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req) chunks.push(chunk as Buffer);
      } catch {
        return; // the caller died mid-body: nothing reached the provider
      }
      const body = Buffer.concat(chunks);
      proxy.received++;
      if (options.failWhen?.(body)) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null },
          }),
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name, value]) => typeof value === 'string' && name !== 'host' && name !== 'content-length'),
      ) as Record<string, string>;
      try {
        const answer = await fetch(new URL(req.url ?? '/', upstream()), {
          method: req.method,
          headers,
          body: req.method === 'GET' ? undefined : body,
        });
        const payload = Buffer.from(await answer.arrayBuffer());
        if (res.destroyed) return;
        res.writeHead(
          answer.status,
          Object.fromEntries(
            [...answer.headers].filter(([name]) => name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding'),
          ),
        );
        res.end(payload);
      } catch {
        res.destroy();
      }
    };
    const server = createServer((req, res) => void handle(req, res));
    const proxy = new ProviderProxy(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  /** The base URL to give the service as OPENAI_BASE_URL. */
  get baseURL(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
