/**
 * Which servers a member, invitation or API key reaches: every server of the
 * workspace (now and later), or a chosen list.
 */
import { useId } from 'react';
import { toggleServer } from '../people/server-access';
import type { ServerAccess } from '../people/server-access';

export interface ServerChoice {
  id: string;
  name: string;
}

export function ServerAccessField({
  legend,
  servers,
  value,
  onChange,
  allLabel = 'All servers, including ones added later',
}: {
  legend: string;
  servers: readonly ServerChoice[];
  value: ServerAccess;
  onChange: (value: ServerAccess) => void;
  allLabel?: string;
}) {
  const id = useId();
  const chosen = value ?? [];
  return (
    <fieldset className="people-access">
      <legend>{legend}</legend>
      <label className="inline" htmlFor={`${id}-all`}>
        <input
          id={`${id}-all`}
          type="radio"
          name={`${id}-mode`}
          checked={value === null}
          onChange={() => onChange(null)}
        />
        {allLabel}
      </label>
      <label className="inline" htmlFor={`${id}-some`}>
        <input
          id={`${id}-some`}
          type="radio"
          name={`${id}-mode`}
          checked={value !== null}
          onChange={() => onChange(servers.map((server) => server.id))}
        />
        Only these servers
      </label>
      {value !== null ? (
        <ul className="people-server-list">
          {servers.length === 0 ? (
            <li className="muted">This workspace has no servers yet.</li>
          ) : null}
          {servers.map((server) => (
            <li key={server.id}>
              <label className="inline" htmlFor={`${id}-${server.id}`}>
                <input
                  id={`${id}-${server.id}`}
                  type="checkbox"
                  checked={chosen.includes(server.id)}
                  onChange={(event) =>
                    onChange(toggleServer(chosen, server.id, event.target.checked))
                  }
                />
                {server.name}
              </label>
            </li>
          ))}
        </ul>
      ) : null}
    </fieldset>
  );
}
