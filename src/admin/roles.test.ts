import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '../store/model.ts';
import { can } from './roles.ts';
import type { Action, Actor, Target } from './roles.ts';

const actors: Record<string, Actor> = {
  outsider: { isInstanceAdmin: false, role: null },
  viewer: { isInstanceAdmin: false, role: 'viewer' },
  member: { isInstanceAdmin: false, role: 'member' },
  admin: { isInstanceAdmin: false, role: 'admin' },
  owner: { isInstanceAdmin: false, role: 'owner' },
  instanceAdmin: { isInstanceAdmin: true, role: null },
};

type Row = [action: Action, target: Target, allowed: (keyof typeof actors)[]];

const everyone = ['viewer', 'member', 'admin', 'owner', 'instanceAdmin'];
const managers = ['admin', 'owner', 'instanceAdmin'];
const owners = ['owner', 'instanceAdmin'];
const role = (r: Role): Target => ({ role: r });

/** Each row: the action, its target, and exactly the actors allowed to do it. */
const table: Row[] = [
  ['workspace.create', {}, ['instanceAdmin']],
  ['user.manage', {}, ['instanceAdmin']],
  ['workspace.read', {}, everyone],
  ['server.read', {}, everyone],
  ['server.manage', {}, managers],
  ['server.run_command', {}, ['instanceAdmin']],
  ['member.read', {}, everyone],
  ['workspace.update', {}, managers],
  ['workspace.delete', {}, owners],
  ['authorized_app.list', {}, managers],
  ['authorized_app.revoke', {}, managers],
  ['member.manage', role('viewer'), managers],
  ['member.manage', role('member'), managers],
  ['member.manage', role('admin'), managers],
  ['member.manage', role('owner'), owners],
  ['invitation.manage', role('viewer'), managers],
  ['invitation.manage', role('admin'), managers],
  ['invitation.manage', role('owner'), owners],
  ['api_key.manage', { isOwn: true }, everyone],
  ['api_key.manage', { isOwn: false }, managers],
  ['record.read', { isOwn: true }, everyone],
  ['record.read', { isOwn: false }, managers],
];

describe('can', () => {
  for (const [action, target, allowed] of table) {
    it(`allows ${action} ${JSON.stringify(target)} to exactly ${allowed.join(', ')}`, () => {
      for (const [name, actor] of Object.entries(actors)) {
        assert.equal(can(actor, action, target), allowed.includes(name), `${name}`);
      }
    });
  }

  it('treats a missing target of member.manage as a non-owner target', () => {
    assert.equal(can(actors.admin!, 'member.manage'), true);
    assert.equal(can(actors.member!, 'member.manage'), false);
  });

  it('refuses every workspace action to an actor with no role there', () => {
    for (const [action, target] of table) {
      if (['workspace.create', 'user.manage', 'server.run_command'].includes(action)) continue;
      assert.equal(can(actors.outsider!, action, target), false, action);
    }
  });
});
