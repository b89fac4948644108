import type { Command } from 'commander';
import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from '../../packages/sdk/src/index.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { sanitize } from './table.ts';

const columns = [
  { header: 'id', value: (e: WebhookEndpoint) => e.id },
  { header: 'url', value: (e: WebhookEndpoint) => e.url },
  { header: 'events', value: (e: WebhookEndpoint) => (e.events.length ? e.events.join(', ') : 'all') },
  { header: 'enabled', value: (e: WebhookEndpoint) => (e.enabled ? 'yes' : 'no') },
  { header: 'description', value: (e: WebhookEndpoint) => e.description },
];

const deliveryColumns = [
  { header: 'id', value: (d: WebhookDelivery) => d.id },
  { header: 'event', value: (d: WebhookDelivery) => d.eventType },
  { header: 'status', value: (d: WebhookDelivery) => d.status },
  { header: 'attempts', value: (d: WebhookDelivery) => String(d.attempts) },
  { header: 'code', value: (d: WebhookDelivery) => (d.lastStatusCode === null ? d.lastError : String(d.lastStatusCode)) },
  { header: 'ms', value: (d: WebhookDelivery) => (d.lastDurationMs === null ? null : String(d.lastDurationMs)) },
  { header: 'created', value: (d: WebhookDelivery) => d.createdAt },
];

const repeat = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** `toolproxy webhooks …`: endpoints, their deliveries, replays. */
export function registerWebhooks(program: Command, io: CliIo): void {
  const webhooks = program.command('webhooks').description('webhook endpoints: signed account and approval events, delivered at least once');

  webhooks
    .command('list')
    .description('list webhook endpoints (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.webhooks.list({ pageSize: 100, ...(pageToken ? { pageToken } : {}) });
        return { items: page.endpoints, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, 'No webhook endpoints yet. Create one with: toolproxy webhooks create <url>');
    });

  webhooks
    .command('create <url>')
    .description('register an endpoint and print its signing secret (shown this once only)')
    .option('-e, --event <types>', 'event types to receive, comma-separated or repeated (default: every event)', repeat)
    .option('-d, --description <text>', 'what it is for')
    .option('--disabled', 'create it disabled')
    .action(async (url: string, options: { event?: string[]; description?: string; disabled?: boolean }, command: Command) => {
      const cli = new CliContext(io, command);
      const { endpoint, secret } = await cli.client().webhooks.create({
        url,
        ...(options.event ? { events: options.event as WebhookEventType[] } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.disabled ? { enabled: false } : {}),
      });
      cli.print({ ...endpoint, secret }, () =>
        [`Created webhook endpoint ${endpoint.id} for ${sanitize(endpoint.url)}. Store the signing secret now: it is not shown again.`, `  TOOLPROXY_WEBHOOK_SECRET=${secret}`].join('\n'),
      );
    });

  webhooks
    .command('delete <id>')
    .description('delete an endpoint and its deliveries')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      await cli.client().webhooks.delete(id);
      cli.print({ deleted: id }, () => `Deleted webhook endpoint ${sanitize(id)}.`);
    });

  webhooks
    .command('deliveries <id>')
    .description("an endpoint's deliveries, newest first: status, attempts, last response code and time")
    .option('-n, --limit <count>', 'how many (1-100)', '20')
    .action(async (id: string, options: { limit: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const { deliveries } = await cli.client().webhooks.listDeliveries(id, { pageSize: Number(options.limit) });
      cli.table(deliveries, deliveryColumns, 'No deliveries yet.');
    });

  webhooks
    .command('replay <id> <delivery-id>')
    .description('send a delivery again now (same event and webhook-id)')
    .action(async (id: string, deliveryId: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const delivery = await cli.client().webhooks.replay(id, deliveryId);
      cli.print(delivery, () => `Replaying delivery ${sanitize(delivery.id)} of event ${sanitize(delivery.eventId)}.`);
    });
}
