import type { Command } from 'commander';
import type { Approval, ApprovalDecision, ApprovalStatus } from '../../packages/sdk/src/index.ts';
import { allPages, CliContext, type CliIo } from './context.ts';
import { usageError } from './exit-codes.ts';
import { cell, sanitize } from './table.ts';

const STATUSES: readonly ApprovalStatus[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'EXECUTING', 'EXECUTED'];

const columns = [
  { header: 'id', value: (a: Approval) => a.id },
  { header: 'status', value: (a: Approval) => a.status },
  { header: 'call', value: (a: Approval) => `${a.method} ${a.path}` },
  { header: 'account', value: (a: Approval) => `${a.connectionName}/${a.identifier}` },
  { header: 'rule', value: (a: Approval) => a.rule },
  { header: 'expires', value: (a: Approval) => a.expiresAt },
];

function describeApproval(approval: Approval): string[][] {
  return [
    ['id', approval.id],
    ['status', approval.status],
    ['call', `${approval.method} ${approval.path}`],
    ['account', `${approval.connectionName}/${approval.identifier} (${approval.connectedAccountId})`],
    ['tool', approval.toolName ?? ''],
    ['rule', approval.rule],
    ['asked by', approval.requestedBy ?? ''],
    ['waiting', approval.callerWaiting ? 'yes: the caller runs it once approved' : 'no'],
    ['expires', cell(approval.expiresAt)],
    ['decided', approval.decidedBy ? `${approval.decidedBy} at ${cell(approval.decidedAt)}` : ''],
    ['result', approval.resultStatus === null ? '' : `${approval.resultStatus}${approval.resultError ? ` ${approval.resultError}` : ''}`],
    ['dashboard', approval.approvalUrl],
  ];
}

const lines = (rows: string[][]) => rows.filter(([, value]) => value !== '').map(([name, value]) => `${name!.padEnd(10)} ${sanitize(String(value))}`).join('\n');

function describeDecision(decision: ApprovalDecision): string {
  const rows = describeApproval(decision.approval);
  const execution = decision.execution;
  if (execution !== null) {
    if ('error' in execution) rows.push(['answer', `${execution.status} [${execution.error.code}] ${execution.error.message}`]);
    else rows.push(['answer', `${execution.status}${execution.truncated ? ' (body truncated)' : ''}`], ['body', execution.bodyEncoding === 'base64' ? `(base64) ${execution.body}` : (execution.body ?? '')]);
  }
  return lines(rows);
}

/** `toolproxy approvals …`: calls held for a person's approval (docs/approvals.md). */
export function registerApprovals(program: Command, io: CliIo): void {
  const approvals = program.command('approvals').description('calls a policy holds until a person approves or denies them');

  approvals
    .command('list')
    .description('list approvals (metadata only; `show` has the body)')
    .option('-s, --status <status>', `only this status: ${STATUSES.join(', ')}`)
    .action(async (options: { status?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      const status = options.status?.toUpperCase();
      if (status !== undefined && !STATUSES.includes(status as ApprovalStatus)) throw usageError(`--status takes one of ${STATUSES.join(', ')}`);
      const client = cli.client();
      const all = await allPages(async (pageToken) => {
        const page = await client.approvals.list({ pageSize: 100, ...(status ? { status: status as ApprovalStatus } : {}), ...(pageToken ? { pageToken } : {}) });
        return { items: page.approvals, nextPageToken: page.nextPageToken };
      });
      cli.table(all, columns, status ? `No ${status} approvals.` : 'No approvals yet.');
    });

  approvals
    .command('show <id>')
    .description('show an approval and the call it holds: headers and body (never the credentials)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const shown = await cli.client().approvals.get(id);
      cli.print(shown, () => {
        const headers = Object.entries(shown.request.headers).map(([name, value]) => ['header', `${name}: ${Array.isArray(value) ? value.join(', ') : value}`]);
        const body = shown.request.body === null ? [] : [['body', shown.request.bodyEncoding === 'base64' ? `(base64) ${shown.request.body}` : shown.request.body]];
        const gone = shown.request.retained ? [] : [['request', 'deleted (the call ran, was denied or expired)']];
        return lines([...describeApproval(shown.approval), ...gone, ...headers, ...body]);
      });
    });

  approvals
    .command('approve <id>')
    .description('approve: the call runs once, here (its answer is printed) or in its waiting caller')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const decision = await cli.client().approvals.approve(id);
      cli.print(decision, () => describeDecision(decision));
    });

  approvals
    .command('deny <id>')
    .description('deny: the call never runs')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const decision = await cli.client().approvals.deny(id);
      cli.print(decision, () => describeDecision(decision));
    });

  approvals
    .command('execute <id>')
    .description('run an approved call nobody ran (its waiting caller left); at most once')
    .action(async (id: string, _options: unknown, command: Command) => {
      const cli = new CliContext(io, command);
      const decision = await cli.client().approvals.execute(id);
      cli.print(decision, () => describeDecision(decision));
    });
}
