import type { CredentialVerifier } from '../accounts/authorization-links.ts';
import { defaultHeaders, strategyFor } from '../auth/index.ts';
import { renderProxyUrl } from '../connectors/template.ts';
import { ToolproxyError } from '../errors.ts';
import type { Forwarder } from './forwarder.ts';
import { joinUpstreamUrl, parseProxyBase, withInjectedQuery } from './url-join.ts';

/**
 * Runs the connector's `verify` call (ext) with freshly submitted credentials, so a typo in an
 * API key is caught on the hosted form rather than on the first proxied call.
 */
export function createCredentialVerifier(forwarder: Forwarder): CredentialVerifier {
  return async ({ definition, pattern, credentials, apiConfig }) => {
    const verify = pattern.verify;
    if (!verify) return;
    const target = parseProxyBase(renderProxyUrl(definition.proxy_url, apiConfig));
    const injection = strategyFor(pattern.type).inject(pattern as never, credentials);
    const path = withInjectedQuery(joinUpstreamUrl(target, verify.path).slice(target.origin.length), injection.query);
    const response = await forwarder.send({ origin: target.origin, path, method: verify.method, headers: { ...defaultHeaders(pattern), ...injection.headers }, body: null });
    await response.body.dump();
    const accepted = verify.expect_status ?? [];
    const ok = accepted.length > 0 ? accepted.includes(response.statusCode) : response.statusCode >= 200 && response.statusCode < 300;
    if (!ok) {
      throw new ToolproxyError('VERIFICATION_FAILED', {
        message: `The upstream API refused these credentials (HTTP ${response.statusCode}). Check them and try again.`,
        details: { status: response.statusCode },
      });
    }
  };
}
