/**
 * The people views in a real browser: an owner invites a member from
 * Members; the member opens the link in their own browser, creates their
 * account, connects their upstream account through the OAuth fixture from My
 * connections, and their calls reach the upstream as them; an API key made
 * in the API keys view works on the MCP endpoint until it is revoked there;
 * owners manage members; administrators create workspaces; an authorized
 * app's self-declared name stays text; an owner revokes a member's app.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { startOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import { buildAuthorizeUrl, registerClient, signInAndConsent } from '../support/cookie-jar.ts';
import {
  HOSTILE_TEXT,
  assertNothingRan,
  browserAvailability,
  screenshot,
  signIn,
  startDashboardBrowser,
} from '../support/dashboard.ts';
import type { DashboardBrowser } from '../support/dashboard.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';

const OWNER = { email: 'owner@acme.test', password: 'a long enough password' };
const ROOT = { email: 'root@acme.test', password: 'the root password here' };
const VIEWER = { email: 'vic@acme.test', password: 'vic has a long password' };
const INVITEE = { email: 'bob@acme.test', password: 'bob has a long password' };
const fixtureMain = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const availability = browserAvailability();

/** What the page's clipboard holds (the copy buttons write to it). */
async function clipboard(page: Page): Promise<string> {
  return page.evaluate<string>('navigator.clipboard.readText()');
}

/** A raw `initialize` with a bearer credential: its HTTP status. */
async function initializeStatus(gateway: TestGateway, serverId: string, key: string) {
  const response = await request(gateway.endpoint(serverId), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  });
  await response.body.dump();
  return response.statusCode;
}

describe('dashboard people views', { skip: availability.ok ? false : availability.reason }, () => {
  let upstream: RunningOAuthUpstream;
  let gateway: TestGateway;
  let browser: DashboardBrowser;
  let invitee: BrowserContext;
  let inviteeKey = '';

  before(async () => {
    // A real browser at the fixture's sign-in page is signed in as its default subject.
    upstream = await startOAuthUpstream({ subjects: ['bob-upstream'] });
    gateway = await startTestGateway({
      servers: [
        {
          id: 'mine',
          url: upstream.mcpUrl,
          upstream_auth: { mode: 'oauth', oauth: { grant: 'per_user' } },
        },
        {
          id: 'personal',
          transport: 'stdio',
          command: process.execPath,
          args: [fixtureMain, '--stdio', '--era', 'legacy'],
          env: { MEMBER_TOKEN: { member_secret: 'token', description: 'Your personal token' } },
        },
      ],
      users: [
        { ...OWNER, role: 'owner' },
        { ...ROOT, admin: true },
        { ...VIEWER, role: 'viewer' },
      ],
    });
    browser = await startDashboardBrowser(gateway.url);
  });
  after(async () => {
    await invitee?.close();
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  it('invites a member who joins, connects their upstream account and calls as themselves', async () => {
    const owner = await browser.newContext();
    const page = await owner.newPage();
    const seen = await signIn(page, OWNER, '/w/acme/members');
    await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
    await page
      .getByRole('row', { name: /owner@acme\.test/ })
      .getByText('owner', { exact: true })
      .waitFor();

    await page.getByLabel('Email').fill(INVITEE.email);
    await page.getByLabel('Role').selectOption('member');
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const shown = page.getByRole('region', { name: `Invitation link for ${INVITEE.email}` });
    await shown.getByText(/shown only once/).waitFor();
    const link = (await shown.locator('code').textContent()) ?? '';
    assert.match(link, new RegExp(`^${gateway.url}/invitations/[\\w-]{43}$`));
    await shown.getByRole('button', { name: /Copy invitation link/ }).click();
    assert.equal(await clipboard(page), link);
    await page.getByRole('button', { name: `Revoke invitation for ${INVITEE.email}` }).waitFor();
    await screenshot(page, 'members');
    assert.deepEqual(seen.errors, []);
    await owner.close();

    invitee = await browser.newContext();
    const bob = await invitee.newPage();
    await bob.goto(link);
    await bob.getByLabel('Name').fill('Bob');
    await bob.getByLabel(/^Password/).fill(INVITEE.password);
    await bob.getByLabel('Repeat password').fill(INVITEE.password);
    await bob.getByRole('button', { name: 'Create account and join' }).click();
    await bob.waitForURL(/\/w\/acme\//);

    await bob
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'My connections' })
      .click();
    await bob.waitForURL(/\/w\/acme\/connections$/);
    const row = bob.getByRole('row', { name: /mine/ });
    await row.getByText('Not connected').waitFor();
    // The upstream's authorization flow runs in this browser and comes back here.
    await row.getByRole('link', { name: 'Connect mine' }).click();
    await bob.waitForURL(/\/w\/acme\/connections$/);
    await bob.getByRole('row', { name: /mine/ }).getByText('Connected', { exact: true }).waitFor();

    const secret = bob.getByLabel('Value of token for personal');
    await secret.fill('bob-secret-value');
    await bob.getByRole('button', { name: 'Save' }).click();
    await bob.getByText('set', { exact: true }).waitFor();
    assert.equal(await bob.getByText('bob-secret-value').count(), 0);
    await screenshot(bob, 'connections');

    await bob
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'API keys' })
      .click();
    await bob.getByLabel('Name').fill('laptop');
    await bob.getByRole('button', { name: 'Create key' }).click();
    const once = bob.getByRole('region', { name: 'API key laptop' });
    await once.getByText(/shown only once/).waitFor();
    await once.getByRole('button', { name: /Copy API key/ }).click();
    inviteeKey = await clipboard(bob);
    assert.match(inviteeKey, /^pcl_/);
    assert.equal((await once.locator('code').textContent()) ?? '', inviteeKey);

    const client = await connectClient({ ...gateway, apiKey: inviteeKey }, 'mine');
    try {
      const who = JSON.parse(resultText(await client.callTool({ name: 'whoami', arguments: {} })));
      assert.equal((who as { sub: string }).sub, 'bob-upstream');
    } finally {
      await client.close();
    }
  });

  it('shows an API key once, which works until it is revoked in the view, then gets 401', async () => {
    assert.notEqual(inviteeKey, '', 'the first test made the key');
    const bob = invitee.pages()[0]!;
    assert.equal(await initializeStatus(gateway, 'mine', inviteeKey), 200);
    await bob.getByRole('button', { name: 'Done' }).click();
    assert.equal(await bob.getByText(inviteeKey).count(), 0, 'the key is gone from the page');
    const row = bob.getByRole('row', { name: /laptop/ });
    await row.getByText(inviteeKey.slice(0, 8), { exact: false }).waitFor();
    await screenshot(bob, 'api-keys');

    await row.getByRole('button', { name: 'Revoke laptop' }).click();
    const dialog = bob.getByRole('dialog', { name: 'Revoke laptop?' });
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('revoked').waitFor();
    assert.equal(await initializeStatus(gateway, 'mine', inviteeKey), 401);

    await bob.getByLabel('Name').fill('laptop');
    await bob.getByRole('button', { name: 'Create key' }).click();
    await bob.getByRole('alert').getByText('An API key named "laptop" already exists').waitFor();
    assert.equal(await bob.getByRole('row', { name: /laptop/ }).count(), 1, 'no key was added');
  });

  it('refuses a wrong current password in Account and changes nothing', async () => {
    const bob = invitee.pages()[0]!;
    await bob.getByRole('link', { name: 'Bob' }).click();
    await bob.waitForURL(/\/account$/);
    await bob.getByLabel('Current password').fill('not my password at all');
    await bob.getByLabel('New password', { exact: true }).fill('a brand new password');
    await bob.getByLabel('Repeat the new password').fill('a brand new password');
    await bob.getByRole('button', { name: 'Change password' }).click();
    await bob.getByRole('alert').getByText('The current password is wrong.').waitFor();
    const context = await browser.newContext();
    const check = await context.newPage();
    await signIn(check, INVITEE, '/account');
    await check.getByRole('heading', { name: 'Account' }).waitFor();
    await context.close();
  });

  it("lets an owner change a member's role and servers, and remove them after a confirmation", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, OWNER, '/w/acme/connections');
    const everyone = page.getByRole('table', { name: 'Every connection in this workspace' });
    await everyone
      .getByRole('row', { name: /bob@acme\.test/ })
      .getByText('Connected')
      .waitFor();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Members' })
      .click();
    const row = page.getByRole('row', { name: /bob@acme\.test/ });
    await row.getByRole('button', { name: `Edit ${INVITEE.email}` }).click();
    const form = page.getByRole('form', { name: `Edit ${INVITEE.email}` });
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('Only these servers').check();
    await form.getByLabel('personal').uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('cell', { name: 'viewer', exact: true }).waitFor();
    await row.getByRole('cell', { name: 'mine', exact: true }).waitFor();

    await row.getByRole('button', { name: `Remove ${INVITEE.email}` }).click();
    const dialog = page.getByRole('dialog', { name: `Remove ${INVITEE.email}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.count(), 1, 'cancel removes nobody');
    await row.getByRole('button', { name: `Remove ${INVITEE.email}` }).click();
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await row.waitFor({ state: 'detached' });
    await context.close();
  });

  it('fits the Members view into a phone screen without sideways scrolling', async () => {
    const context = await browser.newContext({ phone: true });
    const page = await context.newPage();
    await signIn(page, OWNER, '/w/acme/members');
    await page.getByRole('button', { name: 'Create invitation' }).waitFor();
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.equal(overflow, 0);
    await context.close();
  });

  it('lets an instance administrator create a workspace, which the switcher then lists', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, ROOT, '/workspaces');
    await page.getByLabel('Name').fill('Beta Team');
    assert.equal(await page.getByLabel('Id').inputValue(), 'beta-team');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('status').getByText('Created Beta Team.').waitFor();
    await page.getByLabel('Workspace').locator('option', { hasText: 'Beta Team' }).waitFor({
      state: 'attached',
    });

    await page.getByLabel('Name').fill('Again');
    await page.getByLabel('Id').fill('beta-team');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('alert').getByText('Workspace "beta-team" already exists.').waitFor();
    assert.equal(await page.getByRole('cell', { name: 'Again' }).count(), 0);
    await context.close();
  });

  it('lists an app the caller authorized, its name as inert text, and revokes it', async () => {
    const client = await registerClient(gateway.url, {
      redirectUri: 'http://127.0.0.1:9/callback',
      clientName: HOSTILE_TEXT,
    });
    const authorization = buildAuthorizeUrl(gateway.url, client, {
      resource: gateway.endpoint('personal'),
    });
    const back = await signInAndConsent(authorization.url, OWNER);
    assert.match(back, /[?&]code=/);

    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, OWNER, '/w/acme/apps');
    const mine = page.getByRole('table', { name: 'Your authorized apps' });
    const row = mine.getByRole('row', { name: /personal/ });
    await row.getByText(HOSTILE_TEXT, { exact: true }).waitFor();
    await page.getByRole('table', { name: "Members' apps" }).getByText(OWNER.email).waitFor();
    await assertNothingRan(page);

    await row.getByRole('button', { name: `Revoke ${HOSTILE_TEXT}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke access' }).click();
    await page.getByText('No app has access yet.', { exact: false }).waitFor();
    await assertNothingRan(page);
    await context.close();
  });

  it("lets an owner revoke a member's app in the workspace after a confirmation", async () => {
    const client = await registerClient(gateway.url, {
      redirectUri: 'http://127.0.0.1:9/callback',
      clientName: 'Vic laptop',
    });
    const authorization = buildAuthorizeUrl(gateway.url, client, {
      resource: gateway.endpoint('personal'),
    });
    assert.match(await signInAndConsent(authorization.url, VIEWER), /[?&]code=/);

    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, OWNER, '/w/acme/apps');
    const members = page.getByRole('table', { name: "Members' apps" });
    const row = members.getByRole('row', { name: /Vic laptop/ });
    await row.getByText(VIEWER.email).waitFor();
    await row.getByRole('button', { name: `Revoke Vic laptop of ${VIEWER.email}` }).click();
    await page.getByRole('dialog').getByText('its access to other workspaces stays').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke access' }).click();
    await row.waitFor({ state: 'detached' });
    const left = await request(`${gateway.url}/api/v1/workspaces/acme/authorized-apps`, {
      headers: { authorization: `Bearer ${gateway.apiKey}` },
    });
    assert.deepEqual(await left.body.json(), []);
    await context.close();
  });

  it('shows a viewer the members without managing them, and lets them leave', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, VIEWER, '/w/acme/members');
    await page.getByRole('row', { name: /owner@acme\.test/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Edit / }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Create invitation' }).count(), 0);
    await page.getByRole('button', { name: 'Leave this workspace' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Leave workspace' }).click();
    await page.waitForURL(/\/account$/);
    await page.getByText('You do not belong to any workspace yet.').waitFor();
    await context.close();
  });
});
