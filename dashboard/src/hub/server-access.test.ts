import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessWith, reaches } from './server-access.ts';

const ALL = ['github', 'linear', 'memory'];

describe('one server in members’ access lists', () => {
  it('reads every-server access and lists', () => {
    assert.equal(reaches(null, 'github'), true);
    assert.equal(reaches(['linear'], 'github'), false);
    assert.equal(reaches(['github'], 'github'), true);
  });
  it('grants a server once and keeps every-server access as it is', () => {
    assert.equal(accessWith(null, 'github', true, ALL), null);
    assert.deepEqual(accessWith(['linear'], 'github', true, ALL), ['linear', 'github']);
    assert.deepEqual(accessWith(['github'], 'github', true, ALL), ['github']);
  });
  it('withdraws a server, turning every-server access into the list of the others', () => {
    assert.deepEqual(accessWith(null, 'github', false, ALL), ['linear', 'memory']);
    assert.deepEqual(accessWith(['github', 'linear'], 'github', false, ALL), ['linear']);
    assert.deepEqual(accessWith([], 'github', false, ALL), []);
  });
});
