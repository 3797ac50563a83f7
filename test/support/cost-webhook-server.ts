import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CostAlertWebhookPayload } from '../../src/cost-analytics/alerts/webhook-payload';

export interface ReceivedAlert {
  alertId: string;
  budget: string;
  status: number;
  body: CostAlertWebhookPayload;
}

/**
 * A local webhook receiver for cost alerts. `answer(budgetName, attempt)` decides the
 * status of each delivery (attempt counts deliveries of the same alert id from 1).
 */
export class CostWebhookServer {
  readonly received: ReceivedAlert[] = [];
  private readonly attempts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    public answer: (budget: string, attempt: number) => number,
  ) {}

  static async start(answer: (budget: string, attempt: number) => number = () => 204): Promise<CostWebhookServer> {
    const server = createServer((request, response) => {
      void readBody(request).then((text) => {
        const body = JSON.parse(text) as CostAlertWebhookPayload;
        const alertId = String(request.headers['x-cost-alert-id']);
        const attempt = (instance.attempts.get(alertId) ?? 0) + 1;
        instance.attempts.set(alertId, attempt);
        const status = instance.answer(body.alert.budget.name, attempt);
        instance.received.push({ alertId, budget: body.alert.budget.name, status, body });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const instance = new CostWebhookServer(server, `http://127.0.0.1:${port}/hooks/cost`, answer);
    return instance;
  }

  deliveriesOf(budget: string): ReceivedAlert[] {
    return this.received.filter((delivery) => delivery.budget === budget);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
