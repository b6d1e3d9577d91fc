/** Upstream OAuth connections: status, scope, expiry, and connect / disconnect where allowed. */
import { api } from '../api/client';
import type { ApiResult } from '../api/client';
import { formatTime } from '../format';
import { connectHref, connectionLook } from '../people/connection-status';
import { ConfirmButton } from './people-confirm';

export type Connection = ApiResult<'/api/v1/me/connections', 'get'>[number];

const GRANTS: Record<Connection['grant'], string> = {
  per_user: 'Your own account',
  shared: 'Shared by the workspace',
  client_credentials: 'Gateway credentials',
};

export function ConnectionsTable({
  caption,
  connections,
  returnTo,
  mayConnect,
  ownerName,
  onChanged,
}: {
  caption: string;
  connections: readonly Connection[];
  /** This page's path: the connect route comes back here. */
  returnTo: string;
  mayConnect: (connection: Connection) => boolean;
  /** Shows whose connection each row is (the workspace's view), named by this. */
  ownerName?: (userId: string) => string;
  onChanged: () => void;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">{ownerName !== undefined ? 'Owner' : 'Account'}</th>
            <th scope="col">Status</th>
            <th scope="col">Scope</th>
            <th scope="col">Token expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connections.map((connection) => {
            const look = connectionLook(connection.status);
            const allowed = mayConnect(connection);
            return (
              <tr
                key={`${connection.workspaceId}/${connection.serverId}/${connection.ownerId ?? ''}`}
              >
                <td>{connection.serverName}</td>
                <td>
                  {ownerName === undefined
                    ? GRANTS[connection.grant]
                    : connection.ownerId === null
                      ? 'Workspace (shared)'
                      : ownerName(connection.ownerId)}
                </td>
                <td>
                  <span className={`badge ${look.badge}`}>{look.label}</span>
                  {connection.brokenReason !== null ? (
                    <div className="muted">{connection.brokenReason}</div>
                  ) : null}
                </td>
                <td>{connection.scope ?? '—'}</td>
                <td>{formatTime(connection.expiresAt)}</td>
                <td className="actions">
                  {allowed && connection.connectUrl !== null ? (
                    <a
                      className="button"
                      href={connectHref(connection.connectUrl, returnTo)}
                      aria-label={`${look.action} ${connection.serverName}`}
                    >
                      {look.action}
                    </a>
                  ) : null}
                  {allowed && connection.status !== 'not_connected' ? (
                    <ConfirmButton
                      label="Disconnect"
                      name={`Disconnect ${connection.serverName}`}
                      title={`Disconnect ${connection.serverName}?`}
                      confirmLabel="Disconnect"
                      onConfirm={async () => {
                        await api.delete(
                          '/api/v1/workspaces/{workspaceId}/servers/{serverId}/connection',
                          {
                            path: {
                              workspaceId: connection.workspaceId,
                              serverId: connection.serverId,
                            },
                          },
                        );
                        onChanged();
                      }}
                    >
                      <p>
                        The gateway forgets the tokens and asks the upstream to revoke them. Calls
                        to {connection.serverName} fail until it is connected again.
                      </p>
                    </ConfirmButton>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
