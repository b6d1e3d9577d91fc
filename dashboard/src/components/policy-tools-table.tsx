/**
 * The tools of a server on the capabilities tab: a toggle per tool, its
 * state (enabled, disabled, quarantined, awaiting approval), and its details:
 * how members see it and the annotations it is judged by, per-role and
 * per-member rules, argument constraints and tool pinning.
 */
import { useState } from 'react';
import type { ToolRow } from '../policy/capability-rows';
import {
  constraintsOf,
  setArgumentConstraint,
  setEnabled,
  setMemberRule,
  setRoleRule,
} from '../policy/policy-document';
import { effectiveHint } from '../policy/tool-overrides';
import type { PolicyDraft } from '../policy/use-policy';
import { PolicyConstraintEditor } from './policy-constraint-editor';
import { PolicyRoleRules } from './policy-role-rules';
import type { PolicyMember } from './policy-role-rules';
import { PolicyToolOverrides } from './policy-tool-overrides';
import { PolicyToolReview } from './policy-tool-review';

function stateBadge(row: ToolRow) {
  if (row.quarantined) return <span className="badge error">quarantined</span>;
  if (row.pin?.state === 'pending') return <span className="badge warn">awaiting approval</span>;
  if (!row.enabled) return <span className="badge">disabled</span>;
  return <span className="badge ok">enabled</span>;
}

function ToolDetails({
  row,
  policy,
  workspaceId,
  serverId,
  pinning,
  directory,
  onPinChanged,
  nameProblem,
}: {
  row: ToolRow;
  nameProblem: string | undefined;
  directory: readonly PolicyMember[];
  policy: PolicyDraft;
  workspaceId: string;
  serverId: string;
  pinning: boolean;
  onPinChanged: () => void;
}) {
  const idPrefix = `tool-${row.name}`;
  const draft = policy.draft!;
  return (
    <div className="policy-tool-details">
      <PolicyToolOverrides
        row={row}
        idPrefix={idPrefix}
        policy={policy}
        nameProblem={nameProblem}
      />
      <PolicyRoleRules
        item={row.name}
        idPrefix={idPrefix}
        roles={row.roles}
        members={row.members}
        directory={directory}
        onMemberChange={(member, allowed) =>
          policy.edit((document) => setMemberRule(document, 'tools', row.name, member, allowed))
        }
        onChange={(role, allowed) =>
          policy.edit((document) => setRoleRule(document, 'tools', row.name, role, allowed))
        }
      />
      <PolicyConstraintEditor
        tool={row.name}
        idPrefix={idPrefix}
        constraints={constraintsOf(draft, row.name)}
        apiError={policy.saveError}
        onChange={(key, schema) =>
          policy.edit((document) => setArgumentConstraint(document, row.name, key, schema))
        }
      />
      {row.pin !== undefined ? (
        <PolicyToolReview
          workspaceId={workspaceId}
          serverId={serverId}
          pin={row.pin}
          pinning={pinning}
          nameOf={(userId) => directory.find((member) => member.userId === userId)?.email ?? userId}
          onChanged={onPinChanged}
        />
      ) : null}
    </div>
  );
}

export function PolicyToolsTable({
  rows,
  policy,
  workspaceId,
  serverId,
  pinning,
  directory,
  onPinChanged,
  nameProblems,
}: {
  rows: ToolRow[];
  /** The shown-name problem of each renamed tool, by upstream name. */
  nameProblems: ReadonlyMap<string, string>;
  directory: readonly PolicyMember[];
  policy: PolicyDraft;
  workspaceId: string;
  serverId: string;
  pinning: boolean;
  onPinChanged: () => void;
}) {
  const [open, setOpen] = useState<string | undefined>();
  if (rows.length === 0)
    return (
      <p className="muted">
        No tools known yet. The gateway notes a server&apos;s tools when a client lists them while
        the server has a policy.
      </p>
    );
  return (
    <div className="table-wrap">
      <table className="policy-items">
        <thead>
          <tr>
            <th scope="col">Enabled</th>
            <th scope="col">Tool</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const id = `tool-${row.name}-enabled`;
            const expanded = open === row.name;
            return [
              <tr key={row.name} className={row.quarantined ? 'policy-quarantined' : undefined}>
                <td>
                  <input
                    id={id}
                    type="checkbox"
                    checked={row.enabled}
                    aria-label={`Enable ${row.name}`}
                    onChange={(event) =>
                      policy.edit((document) =>
                        setEnabled(document, 'tools', row.name, event.target.checked),
                      )
                    }
                  />
                </td>
                <td className="policy-item-name">
                  <label htmlFor={id} className="inline mono">
                    {row.name}
                  </label>
                  {row.rule.name !== undefined ? (
                    <span className="muted">
                      {' '}
                      shown as <code>{row.rule.name}</code>
                    </span>
                  ) : null}
                  {row.description !== undefined ? (
                    <p className="policy-description">{row.description}</p>
                  ) : null}
                </td>
                <td>
                  {stateBadge(row)}{' '}
                  {effectiveHint(row.upstreamAnnotations, row.rule.annotations, 'readOnlyHint') ? (
                    <span className="badge">read-only</span>
                  ) : null}{' '}
                  {nameProblems.has(row.name) ? (
                    <span className="badge error">name refused</span>
                  ) : null}{' '}
                  {Object.keys(row.roles).length + Object.keys(row.members).length > 0 ? (
                    <span className="badge">per-role rules</span>
                  ) : null}{' '}
                  {row.live === false ? <span className="badge warn">not listed now</span> : null}
                </td>
                <td>
                  <button
                    type="button"
                    aria-expanded={expanded}
                    aria-controls={`${id}-details`}
                    onClick={() => setOpen(expanded ? undefined : row.name)}
                  >
                    {row.quarantined ? 'Review' : 'Details'}
                    <span className="visually-hidden"> of {row.name}</span>
                  </button>
                </td>
              </tr>,
              expanded ? (
                <tr key={`${row.name}-details`} id={`${id}-details`}>
                  <td colSpan={4}>
                    <ToolDetails
                      row={row}
                      policy={policy}
                      workspaceId={workspaceId}
                      serverId={serverId}
                      pinning={pinning}
                      directory={directory}
                      onPinChanged={onPinChanged}
                      nameProblem={nameProblems.get(row.name)}
                    />
                  </td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}
