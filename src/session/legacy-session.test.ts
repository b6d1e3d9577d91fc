import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLegacySessions, createMemoryRevocations } from './legacy-session.ts';
import { createSealedBox } from './sealed-box.ts';

const fields = {
  ws: 'acme',
  srv: 'github',
  pid: 'key:1',
  ver: '2025-11-25',
  caps: { sampling: {} },
  ci: { name: 'c', version: '1' },
  usid: 'up-1',
  uera: 'legacy' as const,
};

describe('legacy sessions', () => {
  const box = createSealedBox('a'.repeat(43));

  it('opens what it minted, on any instance sharing the key, as visible ASCII', () => {
    const minted = createLegacySessions(box, createMemoryRevocations(), 3600).mint(fields);
    assert.match(minted.id, /^[\x21-\x7e]+$/);
    const other = createLegacySessions(
      createSealedBox('a'.repeat(43)),
      createMemoryRevocations(),
      3600,
    );
    assert.deepEqual(other.open(minted.id, 'acme', 'github'), minted.session);
  });

  it('refuses forged, tampered, foreign-key, other-endpoint and expired ids', () => {
    const sessions = createLegacySessions(box, createMemoryRevocations(), 3600);
    const { id } = sessions.mint(fields);
    const tampered = id.slice(0, 20) + (id[20] === 'A' ? 'B' : 'A') + id.slice(21);
    assert.equal(sessions.open(tampered, 'acme', 'github'), undefined);
    assert.equal(sessions.open('not-a-session', 'acme', 'github'), undefined);
    assert.equal(sessions.open(id, 'acme', 'linear'), undefined);
    assert.equal(
      createLegacySessions(createSealedBox('b'.repeat(43)), createMemoryRevocations(), 3600).open(
        id,
        'acme',
        'github',
      ),
      undefined,
    );
    const expired = createLegacySessions(box, createMemoryRevocations(), -1).mint(fields);
    assert.equal(sessions.open(expired.id, 'acme', 'github'), undefined);
  });

  it('refuses a terminated session', async () => {
    const sessions = createLegacySessions(box, createMemoryRevocations(), 3600);
    const { id, session } = sessions.mint(fields);
    await sessions.terminate(session);
    assert.equal(sessions.open(id, 'acme', 'github'), undefined);
  });

  it('never opens a token sealed for another purpose', () => {
    const token = box.seal('mrtr-state', {
      v: 1,
      ...fields,
      tag: 't',
      exp: Date.now() / 1000 + 60,
    });
    assert.equal(
      createLegacySessions(box, createMemoryRevocations(), 3600).open(token, 'acme', 'github'),
      undefined,
    );
  });
});
