import type { InteractionView } from '../interactions-port.ts';
import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';

function resourceList(view: InteractionView): SafeHtml {
  return html`<ul>
    ${view.resources.map(
      (resource) => html`<li><code>${resource.workspaceId}/${resource.serverId}</code></li>`,
    )}
  </ul>`;
}

export function consentPage(options: {
  view: InteractionView;
  userEmail: string;
  csrf: string;
}): SafeHtml {
  const { view } = options;
  const { client } = view;
  const registration = client.viaMetadataDocument
    ? html`Its identity comes from the metadata document at <code>${client.clientId}</code>.`
    : html`It registered itself with this gateway (dynamic registration); its name is not verified.`;
  const offline = view.scopes.includes('offline_access');
  return html`<h1>Allow ${client.name} to use your MCP servers?</h1>
    <p>Signed in as <strong>${options.userEmail}</strong>.</p>
    <p>
      <strong>${client.name}</strong> will be sent back to <code>${client.redirectHost}</code>.
      ${registration}
    </p>
    ${client.isLoopbackOnly ? html`<p class="warning">This client only receives its answer on this computer (a loopback address). Allow it only if you just started it yourself.</p>` : ''}
    <p>It asks to:</p>
    <ul>
      <li>
        use ${view.resources.length === 1 ? 'this MCP server' : 'these MCP servers'} as
        you:${resourceList(view)}
      </li>
      ${offline ? html`<li>stay signed in (refresh its access without asking you again)</li>` : ''}
    </ul>
    <form method="post" action="/interaction/${view.uid}/consent">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      <div class="actions">
        <button class="primary" type="submit" name="action" value="approve">Allow</button>
        <button type="submit" name="action" value="deny">Deny</button>
      </div>
    </form>
    <p class="hint">You can revoke this access later in the dashboard.</p>`;
}

export function noAccessPage(options: {
  view: InteractionView;
  userEmail: string;
  missing: readonly { workspaceId: string; serverId: string }[];
  csrf: string;
}): SafeHtml {
  return html`<h1>No access</h1>
    <p>
      Your account <strong>${options.userEmail}</strong> has no access to
      ${options.missing.map(
        (resource, index) =>
          html`${index === 0 ? '' : ', '}<code>${resource.workspaceId}/${resource.serverId}</code>`,
      )},
      so <strong>${options.view.client.name}</strong> cannot be allowed to use it.
    </p>
    <p>Ask an administrator of the workspace to give you access, then connect again.</p>
    <form method="post" action="/interaction/${options.view.uid}/consent">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      <div class="actions">
        <button class="primary" type="submit" name="action" value="deny">
          Return to ${options.view.client.name}
        </button>
      </div>
    </form>`;
}
