import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { navigate, type PageContext } from '../router.ts';
import { announce, confirmDialog, emptyState, errorBox, sectionError } from '../ui/feedback.ts';
import { busy, field } from '../ui/form.ts';
import { bytes, httpBadge, timeAgo, timeExact } from '../ui/format.ts';
import { pageHeader, section, table } from '../ui/page.ts';

type ApprovalStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED' | 'EXECUTING' | 'EXECUTED';

interface Approval {
  id: string;
  status: ApprovalStatus;
  connection_name: string;
  identifier: string;
  connected_account_id: string;
  method: string;
  path: string;
  door: string;
  tool_name: string | null;
  requested_by: string | null;
  rule: string;
  caller_waiting: boolean;
  body_bytes: number;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  result_status: number | null;
  result_error: string | null;
}

interface Execution {
  status: number;
  body?: string | null;
  body_encoding?: 'utf8' | 'base64' | null;
  truncated?: boolean;
  error?: { code: string; message: string };
}

interface Decision {
  approval: Approval;
  execution: Execution | null;
}

const STATUSES: ApprovalStatus[] = ['PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'EXECUTING', 'EXECUTED'];
const TONE: Record<ApprovalStatus, string> = { PENDING: 'warning', APPROVED: 'success', DENIED: 'danger', EXPIRED: 'neutral', EXECUTING: 'neutral', EXECUTED: 'success' };

function approvalBadge(status: ApprovalStatus): HTMLElement {
  return h('span', { class: `badge badge-${TONE[status] ?? 'neutral'}` }, status);
}

function request(approval: Approval): HTMLElement {
  return h('span', { class: 'request' }, h('strong', {}, approval.method), ' ', h('code', { class: 'url' }, approval.path));
}

/** Approves or denies after a confirmation; announces what happened. Returns the decision, or undefined when cancelled. */
async function decide(approval: Approval, action: 'approve' | 'deny'): Promise<Decision | undefined> {
  const ok = await confirmDialog(
    action === 'approve' ? `Approve ${approval.method} ${approval.path}?` : `Deny ${approval.method} ${approval.path}?`,
    action === 'approve'
      ? `The call runs once, now, as ${approval.identifier} on ${approval.connection_name}${approval.caller_waiting ? ' (in the request of the caller that is waiting for it)' : ''}.`
      : 'The call never runs; a caller waiting for it is told it was denied.',
    action === 'approve' ? 'Approve and run' : 'Deny',
  );
  if (!ok) return undefined;
  const decision = await api.post<Decision>(`/api/v1/approvals/${encodeURIComponent(approval.id)}/${action}`, {});
  announce(action === 'approve' ? `Approved ${approval.method} ${approval.path}` : `Denied ${approval.method} ${approval.path}`);
  return decision;
}

/** Calls held for approval: pending first, with approve and deny buttons. */
export async function renderApprovals({ main, signal }: PageContext): Promise<void> {
  const status = field('Status', h('select', { name: 'status' }, h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s, selected: s === 'PENDING' }, s))));
  const filters = h('form', { role: 'search', 'aria-label': 'Filter approvals', class: 'filters' }, status.wrapper, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn-secondary' }, 'Refresh')));
  const results = h('div', {});
  main.append(
    pageHeader('Approvals', 'Calls a policy holds until a person decides. An approved call runs exactly once; nothing reaches the API before.'),
    filters,
    section('Approvals', results),
  );

  const load = async () => {
    const { approvals } = await api.get<{ approvals: Approval[] }>('/api/v1/approvals', { status: status.control.value, page_size: 100 });
    if (signal.aborted) return;
    replace(
      results,
      approvals.length === 0
        ? emptyState('Nothing to decide', status.control.value === 'PENDING' ? 'Calls that need approval appear here as they are made.' : 'No approvals with this status.')
        : table(
            'Approvals',
            ['Asked', 'Account', 'Request', 'Rule', 'Status', 'Expires', ''],
            approvals.map((approval) => {
              const actions: Node[] = [h('a', { href: `#/approvals/${encodeURIComponent(approval.id)}`, class: 'btn btn-ghost', 'aria-label': `Review ${approval.method} ${approval.path}` }, 'Review')];
              if (approval.status === 'PENDING') {
                for (const action of ['approve', 'deny'] as const) {
                  const button = h('button', { type: 'button', class: action === 'deny' ? 'btn-ghost danger' : 'btn-ghost', 'aria-label': `${action === 'approve' ? 'Approve' : 'Deny'} ${approval.method} ${approval.path}` }, action === 'approve' ? 'Approve' : 'Deny');
                  button.addEventListener('click', async () => {
                    try {
                      if (await busy(button, () => decide(approval, action))) await load();
                    } catch (error) {
                      sectionError(results, error);
                    }
                  });
                  actions.push(button);
                }
              }
              return [
                timeAgo(approval.created_at),
                h('span', { class: 'stack' }, h('span', {}, approval.identifier), h('code', { class: 'muted small' }, approval.connection_name)),
                request(approval),
                approval.rule,
                approvalBadge(approval.status),
                approval.status === 'PENDING' ? timeAgo(approval.expires_at) : h('span', { class: 'muted' }, '—'),
                h('div', { class: 'row-actions' }, actions),
              ];
            }),
          ),
    );
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void load().catch((error) => replace(results, errorBox(error)));
  });
  status.control.addEventListener('change', () => void load().catch((error) => replace(results, errorBox(error))));
  await load();
}

/** One approval: the call as it would go upstream (headers, body; never the credentials), and the decision. */
export async function renderApproval({ main, params, signal }: PageContext): Promise<void> {
  const shown = await api.get<{ approval: Approval; request: { retained: boolean; headers: Record<string, string | string[]>; body: string | null; body_encoding: 'utf8' | 'base64' | null } }>(
    `/api/v1/approvals/${encodeURIComponent(params.id ?? '')}`,
  );
  if (signal.aborted) return;
  const { approval } = shown;
  const facts: [string, Node | string][] = [
    ['Status', approvalBadge(approval.status)],
    ['Request', request(approval)],
    ['Account', `${approval.identifier} on ${approval.connection_name}`],
    ['Rule', approval.rule],
    ['Asked by', approval.requested_by ?? '—'],
    ['Asked', timeExact(approval.created_at)],
    ['Expires', approval.status === 'PENDING' ? timeAgo(approval.expires_at) : '—'],
    ...(approval.tool_name ? [['Tool', h('code', {}, approval.tool_name)] as [string, Node]] : []),
    ...(approval.caller_waiting ? [['Caller', 'Waiting for the decision: it runs the call once approved.'] as [string, string]] : []),
    ...(approval.decided_by ? [['Decided', h('span', {}, `${approval.decided_by}, `, timeAgo(approval.decided_at))] as [string, Node]] : []),
    ...(approval.result_status !== null ? [['Result', h('span', {}, httpBadge(approval.result_status), approval.result_error ? h('code', {}, ` ${approval.result_error}`) : '')] as [string, Node]] : []),
  ];
  const headers = Object.entries(shown.request.headers).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`).join('\n');
  const body = !shown.request.retained
    ? h('p', { class: 'muted' }, 'Deleted: the call ran, was denied or expired, and what it would send is not kept.')
    : shown.request.body === null
    ? h('p', { class: 'muted' }, 'No body.')
    : h('pre', { class: 'code-block', tabindex: '0' }, shown.request.body_encoding === 'base64' ? `(base64, ${bytes(approval.body_bytes)})\n${shown.request.body}` : shown.request.body);
  const outcome = h('div', { 'aria-live': 'polite' });
  const actions = h('div', { class: 'actions' });
  if (approval.status === 'PENDING') {
    for (const action of ['approve', 'deny'] as const) {
      const button = h('button', { type: 'button', class: action === 'approve' ? 'btn-primary' : 'btn-danger' }, action === 'approve' ? 'Approve and run' : 'Deny');
      button.addEventListener('click', async () => {
        try {
          const decision = await busy(button, () => decide(approval, action));
          if (!decision) return;
          actions.replaceChildren();
          replace(outcome, executionView(decision));
        } catch (error) {
          sectionError(outcome, error);
        }
      });
      actions.append(button);
    }
  }
  if (approval.status === 'APPROVED') {
    // Approved for a waiting caller that never ran it (it left, or its server stopped): run it here, at most once.
    const run = h('button', { type: 'button', class: 'btn-secondary' }, 'Run it now');
    run.addEventListener('click', async () => {
      try {
        const decision = await busy(run, () => api.post<Decision>(`/api/v1/approvals/${encodeURIComponent(approval.id)}/execute`, {}));
        announce(`Ran ${approval.method} ${approval.path}`);
        actions.replaceChildren();
        replace(outcome, executionView(decision));
      } catch (error) {
        sectionError(outcome, error);
      }
    });
    actions.append(h('p', { class: 'muted' }, 'Approved for a caller that was waiting. If it has not run, run it here; it runs at most once.'), run);
  }
  const back = h('a', { href: '#/approvals', class: 'btn btn-secondary' }, 'All approvals');
  back.addEventListener('click', (event) => {
    event.preventDefault();
    navigate('/approvals');
  });
  main.append(
    pageHeader(`${approval.method} ${approval.path}`, 'Review the call before you decide. The credentials are injected when it runs and are never shown.', back),
    section('Approval', h('dl', { class: 'facts' }, facts.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])), actions, outcome),
    ...(shown.request.retained ? [section('Headers', headers ? h('pre', { class: 'code-block', tabindex: '0' }, headers) : h('p', { class: 'muted' }, 'No headers.'))] : []),
    section('Body', body),
  );
}

function executionView(decision: Decision): Node {
  const execution = decision.execution;
  if (execution === null) {
    return h('p', {}, decision.approval.status === 'DENIED' ? 'Denied: the call will not run.' : 'Approved: the waiting caller runs the call now.');
  }
  if (execution.error) return h('p', {}, 'Approved, but the call was refused: ', h('code', {}, execution.error.code), ` ${execution.error.message}`);
  return h(
    'div',
    {},
    h('p', {}, 'Approved and run. The API answered ', httpBadge(execution.status), execution.truncated ? ' (body truncated).' : '.'),
    execution.body ? h('pre', { class: 'code-block', tabindex: '0' }, execution.body) : '',
  );
}
