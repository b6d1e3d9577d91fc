/** Resources, resource templates or prompts with their toggles and per-role rules. */
import { useState } from 'react';
import type { CapabilityRow } from '../policy/capability-rows';
import { setEnabled, setMemberRule, setRoleRule } from '../policy/policy-document';
import type { ItemSection } from '../policy/policy-document';
import type { PolicyDraft } from '../policy/use-policy';
import { PolicyRoleRules } from './policy-role-rules';
import type { PolicyMember } from './policy-role-rules';

export function PolicyItemTable({
  title,
  kind,
  section,
  rows,
  policy,
  directory,
  hideWhenEmpty = false,
}: {
  title: string;
  kind: string;
  section: Exclude<ItemSection, 'tools'>;
  rows: CapabilityRow[];
  policy: PolicyDraft;
  directory: readonly PolicyMember[];
  hideWhenEmpty?: boolean;
}) {
  const [open, setOpen] = useState<string | undefined>();
  if (rows.length === 0 && hideWhenEmpty) return null;
  const titleId = `policy-${section}-title`;
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {rows.length === 0 ? (
        <p className="muted">No {kind}s known yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="policy-items">
            <thead>
              <tr>
                <th scope="col">Enabled</th>
                <th scope="col">{kind}</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const id = `${section}-${row.name}`;
                const expanded = open === row.name;
                return [
                  <tr key={row.name}>
                    <td>
                      <input
                        id={`${id}-enabled`}
                        type="checkbox"
                        checked={row.enabled}
                        aria-label={`Enable ${row.name}`}
                        onChange={(event) =>
                          policy.edit((document) =>
                            setEnabled(document, section, row.name, event.target.checked),
                          )
                        }
                      />
                    </td>
                    <td className="policy-item-name">
                      <label htmlFor={`${id}-enabled`} className="inline mono">
                        {row.name}
                      </label>
                      {row.description !== undefined ? (
                        <p className="policy-description">{row.description}</p>
                      ) : null}
                      {Object.keys(row.roles).length + Object.keys(row.members).length > 0 ? (
                        <span className="badge">per-role rules</span>
                      ) : null}{' '}
                      {row.live === false ? (
                        <span className="badge warn">not listed now</span>
                      ) : null}
                    </td>
                    <td>
                      <button
                        type="button"
                        aria-expanded={expanded}
                        aria-controls={`${id}-details`}
                        onClick={() => setOpen(expanded ? undefined : row.name)}
                      >
                        Roles<span className="visually-hidden"> of {row.name}</span>
                      </button>
                    </td>
                  </tr>,
                  expanded ? (
                    <tr key={`${row.name}-details`} id={`${id}-details`}>
                      <td colSpan={3}>
                        <PolicyRoleRules
                          item={row.name}
                          idPrefix={id}
                          roles={row.roles}
                          members={row.members}
                          directory={directory}
                          onMemberChange={(member, allowed) =>
                            policy.edit((document) =>
                              setMemberRule(document, section, row.name, member, allowed),
                            )
                          }
                          onChange={(role, allowed) =>
                            policy.edit((document) =>
                              setRoleRule(document, section, row.name, role, allowed),
                            )
                          }
                        />
                      </td>
                    </tr>
                  ) : null,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
