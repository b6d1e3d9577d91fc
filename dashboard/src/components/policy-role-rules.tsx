/**
 * Who sees one item beyond the workspace's decision: each role follows the
 * workspace or is shown / hidden, and members may have their own decision,
 * which beats their role.
 */
import { useState } from 'react';
import { POLICY_ROLES } from '../policy/policy-document';
import type { PolicyRole } from '../policy/policy-document';

export interface PolicyMember {
  readonly userId: string;
  readonly email: string;
}

function MemberRules({
  item,
  idPrefix,
  members,
  directory,
  onChange,
}: {
  item: string;
  idPrefix: string;
  members: Readonly<Record<string, boolean>>;
  directory: readonly PolicyMember[];
  onChange: (member: string, allowed: boolean | undefined) => void;
}) {
  const [adding, setAdding] = useState('');
  const nameOf = (userId: string) =>
    directory.find((member) => member.userId === userId)?.email ?? userId;
  const addable = directory.filter((member) => !Object.hasOwn(members, member.userId));
  const addId = `${idPrefix}-member-add`;
  return (
    <div className="policy-members">
      {Object.entries(members).length > 0 ? (
        <ul>
          {Object.entries(members).map(([userId, allowed]) => (
            <li key={userId}>
              {nameOf(userId)}: {allowed ? 'shown' : 'hidden'}{' '}
              <button type="button" className="link" onClick={() => onChange(userId, undefined)}>
                Remove
                <span className="visually-hidden">
                  {' '}
                  the decision of {nameOf(userId)} on {item}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {addable.length > 0 ? (
        <div className="actions">
          <label htmlFor={addId} className="inline">
            A member&apos;s own decision
            <span className="visually-hidden"> on {item}</span>
          </label>
          <select id={addId} value={adding} onChange={(event) => setAdding(event.target.value)}>
            <option value="">Choose a member…</option>
            {addable.map((member) => (
              <option key={member.userId} value={member.userId}>
                {member.email}
              </option>
            ))}
          </select>
          <button
            type="button"
            disabled={adding === ''}
            onClick={() => {
              onChange(adding, true);
              setAdding('');
            }}
          >
            Show to them
          </button>
          <button
            type="button"
            disabled={adding === ''}
            onClick={() => {
              onChange(adding, false);
              setAdding('');
            }}
          >
            Hide from them
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function PolicyRoleRules({
  item,
  idPrefix,
  roles,
  members,
  directory,
  onChange,
  onMemberChange,
}: {
  item: string;
  idPrefix: string;
  roles: Partial<Record<PolicyRole, boolean>>;
  members: Readonly<Record<string, boolean>>;
  /** The workspace's members, to name and add member decisions. */
  directory: readonly PolicyMember[];
  onChange: (role: PolicyRole, allowed: boolean | undefined) => void;
  onMemberChange: (member: string, allowed: boolean | undefined) => void;
}) {
  return (
    <fieldset className="policy-roles">
      <legend>Per role and member</legend>
      <div className="policy-role-grid">
        {POLICY_ROLES.map((role) => {
          const value = roles[role];
          const id = `${idPrefix}-role-${role}`;
          return (
            <div key={role}>
              <label htmlFor={id}>
                {role}
                <span className="visually-hidden"> access to {item}</span>
              </label>
              <select
                id={id}
                value={value === undefined ? 'inherit' : value ? 'show' : 'hide'}
                onChange={(event) =>
                  onChange(
                    role,
                    event.target.value === 'inherit' ? undefined : event.target.value === 'show',
                  )
                }
              >
                <option value="inherit">As the workspace</option>
                <option value="show">Shown</option>
                <option value="hide">Hidden</option>
              </select>
            </div>
          );
        })}
      </div>
      <MemberRules
        item={item}
        idPrefix={idPrefix}
        members={members}
        directory={directory}
        onChange={onMemberChange}
      />
    </fieldset>
  );
}
