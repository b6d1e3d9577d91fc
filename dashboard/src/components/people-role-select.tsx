/** A labelled picker of workspace roles. */
import { ROLES } from '../people/roles';
import type { RoleName } from '../people/roles';

export function RoleSelect({
  id,
  label,
  value,
  onChange,
  offered = () => true,
}: {
  id: string;
  label: string;
  value: RoleName;
  onChange: (role: RoleName) => void;
  /** The roles the caller may give; the API refuses the others anyway. */
  offered?: (role: RoleName) => boolean;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as RoleName)}>
        {ROLES.filter((role) => offered(role.value) || role.value === value).map((role) => (
          <option key={role.value} value={role.value}>
            {role.label} — {role.hint}
          </option>
        ))}
      </select>
    </>
  );
}
