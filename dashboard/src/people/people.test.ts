import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectHref, connectionLook } from './connection-status.ts';
import { expiresAtFor, isExpired } from './expiry.ts';
import { mayTouchRole } from './roles.ts';
import { describeAccess, toggleServer } from './server-access.ts';
import { isWorkspaceId, suggestWorkspaceId } from './workspace-id.ts';

describe('server access', () => {
  const names = new Map([
    ['github', 'GitHub'],
    ['linear', 'Linear'],
  ]);
  it('reads null as every server and a list by server name', () => {
    assert.equal(describeAccess(null, names), 'All servers');
    assert.equal(describeAccess([], names), 'No servers');
    assert.equal(describeAccess(['linear', 'gone'], names), 'Linear, gone');
  });
  it('adds a server once and removes it', () => {
    assert.deepEqual(toggleServer(['github'], 'github', true), ['github']);
    assert.deepEqual(toggleServer(['github'], 'linear', true), ['github', 'linear']);
    assert.deepEqual(toggleServer(['github', 'linear'], 'github', false), ['linear']);
  });
});

describe('API key expiry', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  it('sends a timestamp the chosen days ahead, none for never', () => {
    assert.equal(expiresAtFor('30', now), '2026-01-31T00:00:00.000Z');
    assert.equal(expiresAtFor('never', now), undefined);
  });
  it('counts a key expired from its expiry instant on', () => {
    assert.equal(isExpired(null, now), false);
    assert.equal(isExpired('2026-01-01T00:00:00.000Z', now), true);
    assert.equal(isExpired('2026-01-01T00:00:01.000Z', now), false);
  });
});

describe('connection status', () => {
  it('offers Connect when not connected and Reconnect otherwise', () => {
    assert.deepEqual(connectionLook('not_connected'), {
      label: 'Not connected',
      badge: 'warn',
      action: 'Connect',
    });
    assert.equal(connectionLook('broken').action, 'Reconnect');
    assert.equal(connectionLook('connected').badge, 'ok');
  });
  it('links to the connect route on this origin with the page to come back to', () => {
    assert.equal(
      connectHref(
        'https://gw.example.com/connections/acme/git%20hub/connect',
        '/w/acme/connections',
      ),
      '/connections/acme/git%20hub/connect?return_to=%2Fw%2Facme%2Fconnections',
    );
  });
});

describe('workspace ids', () => {
  it('suggests an id the API accepts from any name', () => {
    assert.equal(suggestWorkspaceId('Acme Corp — R&D'), 'acme-corp-r-d');
    assert.equal(suggestWorkspaceId('Événements'), 'evenements');
    assert.equal(suggestWorkspaceId('  --  '), '');
    assert.equal(suggestWorkspaceId('x'.repeat(80)).length, 63);
    assert.equal(isWorkspaceId(suggestWorkspaceId('Acme Corp — R&D')), true);
  });
  it('refuses ids with capitals, leading dashes or over 63 characters', () => {
    assert.equal(isWorkspaceId('Acme'), false);
    assert.equal(isWorkspaceId('-acme'), false);
    assert.equal(isWorkspaceId('a'.repeat(64)), false);
    assert.equal(isWorkspaceId(''), false);
  });
});

describe('who may give which role', () => {
  it('lets admins manage everyone but owners, and owners everyone', () => {
    const admin = { role: 'admin', isInstanceAdmin: false } as const;
    assert.equal(mayTouchRole(admin, 'member'), true);
    assert.equal(mayTouchRole(admin, 'admin'), true);
    assert.equal(mayTouchRole(admin, 'owner'), false);
    assert.equal(mayTouchRole({ role: 'owner', isInstanceAdmin: false }, 'owner'), true);
  });
  it('treats instance administrators as owners and members as no manager', () => {
    assert.equal(mayTouchRole({ role: undefined, isInstanceAdmin: true }, 'owner'), true);
    assert.equal(mayTouchRole({ role: 'member', isInstanceAdmin: false }, 'viewer'), false);
    assert.equal(mayTouchRole({ role: undefined, isInstanceAdmin: false }, 'viewer'), false);
  });
});
