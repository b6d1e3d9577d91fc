/** A member's view of a server's capabilities: what the policy lets them see, read-only. */
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { useWorkspaceId } from '../session';
import { ErrorBanner } from './error-banner';

export function PolicyMemberCapabilities({ serverId }: { serverId: string }) {
  const workspaceId = useWorkspaceId();
  const capabilities = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers/{serverId}/capabilities', {
        path: { workspaceId, serverId: serverId },
        signal,
      }),
    [workspaceId, serverId],
  );
  if (capabilities.error !== undefined)
    return <ErrorBanner error={capabilities.error} retry={capabilities.reload} />;
  if (capabilities.data === undefined) return <p className="loading">Loading…</p>;
  const sections = [
    {
      title: 'Tools',
      items: capabilities.data.tools.map((tool) => ({
        name: tool.name,
        description: tool.description,
      })),
    },
    {
      title: 'Resources',
      items: capabilities.data.resources.map((resource) => ({
        name: resource.uri,
        description: resource.description,
      })),
    },
    {
      title: 'Prompts',
      items: capabilities.data.prompts.map((prompt) => ({
        name: prompt.name,
        description: prompt.description,
      })),
    },
  ];
  return (
    <div className="policy-capabilities">
      <p className="muted">What this server offers you; admins and owners decide what is shown.</p>
      {sections.map((section) => (
        <section key={section.title} aria-label={section.title}>
          <h2>{section.title}</h2>
          {section.items.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="policy-member-list">
              {section.items.map((item) => (
                <li key={item.name}>
                  <code>{item.name}</code>
                  {item.description !== null ? (
                    <p className="policy-description">{item.description}</p>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}
