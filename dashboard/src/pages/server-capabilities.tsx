/**
 * The capabilities tab of a server: which tools, resources and prompts the
 * workspace sees (toggles, the mode), how tools are presented (rename,
 * title, description) and judged (annotation overrides), per-role rules, tool pinning (quarantined tools with their
 * diff, approve / quarantine) and per-role argument constraints. Edits make
 * a draft of the policy document, saved as one new version.
 */
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PolicyItemTable } from '../components/policy-item-table';
import type { PolicyMember } from '../components/policy-role-rules';
import { PolicySaveBar } from '../components/policy-save-bar';
import { PolicyMemberCapabilities } from '../components/policy-member-capabilities';
import { PolicyToolsTable } from '../components/policy-tools-table';
import { itemRows, toolRows } from '../policy/capability-rows';
import type { LiveItem } from '../policy/capability-rows';
import { setMode, setPinTools } from '../policy/policy-document';
import { namingProblems } from '../policy/tool-overrides';
import { usePolicy } from '../policy/use-policy';
import { useSession, useWorkspaceId } from '../session';

export type ServerDetail = ApiResult<'/api/v1/workspaces/{workspaceId}/servers/{serverId}', 'get'>;

interface LiveLists {
  tools: LiveItem[];
  resources: LiveItem[];
  resourceTemplates: LiveItem[];
  prompts: LiveItem[];
}

type Capabilities = ApiResult<
  '/api/v1/workspaces/{workspaceId}/servers/{serverId}/capabilities',
  'get'
>;

function liveLists(data: Capabilities | undefined): LiveLists | undefined {
  if (data === undefined) return undefined;
  const item = (
    name: string,
    entry: { title: string | null; description: string | null; state?: LiveItem['state'] },
  ): LiveItem => ({
    name,
    title: entry.title ?? undefined,
    description: entry.description ?? undefined,
    state: entry.state,
  });
  return {
    tools: data.tools.map((tool) => ({
      ...item(tool.name, tool),
      annotations: tool.annotations ?? undefined,
    })),
    resources: data.resources.map((resource) => item(resource.uri, resource)),
    resourceTemplates: data.resource_templates.map((template) =>
      item(template.uri_template, template),
    ),
    prompts: data.prompts.map((prompt) => item(prompt.name, prompt)),
  };
}

function ManagerCapabilities({ server }: { server: ServerDetail }) {
  const workspaceId = useWorkspaceId();
  const policy = usePolicy(workspaceId, server.id);
  const pins = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/tools', {
        path: { workspaceId, serverId: server.id },
        signal,
      }),
    [workspaceId, server.id],
  );
  const capabilities = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/capabilities', {
        path: { workspaceId, serverId: server.id },
        signal,
      }),
    [workspaceId, server.id, policy.version],
  );
  const live = liveLists(capabilities.data);
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const directory: PolicyMember[] = (members.data ?? []).map((member) => ({
    userId: member.userId,
    email: member.email,
  }));
  if (policy.loadError !== undefined)
    return <ErrorBanner error={policy.loadError} retry={policy.reload} />;
  const draft = policy.draft;
  if (draft === undefined || pins.data === undefined)
    return pins.error !== undefined ? (
      <ErrorBanner error={pins.error} retry={pins.reload} />
    ) : (
      <p className="loading">Loading the policy…</p>
    );
  const pinning = policy.saved?.pin_tools === true;
  const onPinChanged = () => {
    pins.reload();
    policy.reload();
    capabilities.reload();
  };
  const tools = toolRows(draft, pins.data, live?.tools);
  const quarantined = tools.filter((row) => row.quarantined);
  const nameProblems = namingProblems(
    draft,
    tools.map((row) => row.name),
  );
  const refused = [...nameProblems.keys()];
  return (
    <div className="policy-capabilities">
      {capabilities.error !== undefined ? (
        <div className="banner banner-warn" role="status">
          <span>
            The upstream&apos;s live list could not be read ({capabilities.error.message}); shown
            are the tools the gateway saw last and the items the policy names.
          </span>
          <button type="button" onClick={capabilities.reload}>
            Try again
          </button>
        </div>
      ) : capabilities.loading ? (
        <p className="muted" aria-live="polite">
          Reading the upstream&apos;s live list…
        </p>
      ) : null}
      {capabilities.data?.truncated === true ? (
        <div className="banner banner-warn" role="status">
          The upstream lists more items than the gateway reads at once; some are not shown.
        </div>
      ) : null}
      {quarantined.length > 0 ? (
        <div className="banner banner-warn" role="status">
          {quarantined.length === 1 ? 'One tool is' : `${quarantined.length} tools are`}{' '}
          quarantined: the upstream changed{' '}
          {quarantined.length === 1 ? 'its definition' : 'their definitions'} since approval. Review{' '}
          {quarantined.length === 1 ? 'it' : 'them'} below.
        </div>
      ) : null}
      <section className="panel" aria-labelledby="policy-mode-title">
        <h2 id="policy-mode-title">Mode</h2>
        <fieldset className="policy-mode">
          <legend className="visually-hidden">What members see of new upstream items</legend>
          <label className="inline">
            <input
              type="radio"
              name="policy-mode"
              value="open"
              checked={(draft.mode ?? 'open') === 'open'}
              onChange={() => policy.edit((document) => setMode(document, 'open'))}
            />
            Open: everything the upstream offers, except what is disabled
          </label>
          <label className="inline">
            <input
              type="radio"
              name="policy-mode"
              value="allowlist"
              checked={draft.mode === 'allowlist'}
              onChange={() => policy.edit((document) => setMode(document, 'allowlist'))}
            />
            Allowlist: only what is enabled; new upstream items stay hidden
          </label>
        </fieldset>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.pin_tools === true}
            onChange={(event) =>
              policy.edit((document) => setPinTools(document, event.target.checked))
            }
          />
          Pin tool definitions: quarantine a tool whose definition changes until it is approved
          again
        </label>
      </section>
      <section aria-labelledby="policy-tools-title">
        <h2 id="policy-tools-title">Tools</h2>
        <PolicyToolsTable
          rows={tools}
          policy={policy}
          workspaceId={workspaceId}
          serverId={server.id}
          pinning={pinning}
          directory={directory}
          onPinChanged={onPinChanged}
          nameProblems={nameProblems}
        />
      </section>
      <PolicyItemTable
        title="Resources"
        kind="resource"
        section="resources"
        rows={itemRows(draft, 'resources', live?.resources)}
        policy={policy}
        directory={directory}
      />
      <PolicyItemTable
        title="Resource templates"
        kind="resource template"
        section="resource_templates"
        rows={itemRows(draft, 'resource_templates', live?.resourceTemplates)}
        policy={policy}
        directory={directory}
        hideWhenEmpty
      />
      <PolicyItemTable
        title="Prompts"
        kind="prompt"
        section="prompts"
        rows={itemRows(draft, 'prompts', live?.prompts)}
        policy={policy}
        directory={directory}
      />
      <PolicySaveBar
        policy={policy}
        blocked={
          refused.length === 0
            ? undefined
            : `Choose another name for ${refused.join(', ')} to save.`
        }
      />
    </div>
  );
}

/** A member's view: what the policy lets them see of the server, read-only. */
export function ServerCapabilities({ server }: { server: ServerDetail }) {
  const { canManage } = useSession();
  return canManage ? (
    <ManagerCapabilities server={server} />
  ) : (
    <PolicyMemberCapabilities serverId={server.id} />
  );
}
