/**
 * Admin API calls for system tests (`/api/v1`, as a test gateway's API key):
 * a failed call fails the test with its status and body.
 */
import assert from 'node:assert/strict';

export interface AdminApi {
  call(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The user id of a workspace member, by email. */
  memberUserId(workspace: string, email: string): Promise<string>;
}

export function adminApi(gatewayUrl: string, apiKey: string): AdminApi {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const answer = await fetch(`${gatewayUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    assert.ok(answer.ok, `${method} ${path}: ${answer.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    call,
    async memberUserId(workspace, email) {
      const members = (await call('GET', `/workspaces/${workspace}/members`)) as {
        userId: string;
        email: string;
      }[];
      const member = members.find((entry) => entry.email === email);
      assert.ok(member, `${email} is a member of ${workspace}`);
      return member.userId;
    },
  };
}
