import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionRevocations } from '../../session/legacy-session.ts';
import { eventually } from './shared-state-fixture.ts';

export interface RevocationsFixture {
  readonly kind: string;
  readonly skip?: string | undefined;
  /** Two instances' revocation lists on one shared state. */
  pair(): Promise<[SessionRevocations, SessionRevocations]>;
  /** Another instance joining the same shared state later. */
  join(): Promise<SessionRevocations>;
}

const inAnHour = (): number => Date.now() / 1000 + 3600;

export function revocationsContract(fixture: RevocationsFixture): void {
  describe(`session revocations (${fixture.kind})`, { skip: fixture.skip }, () => {
    it('a session revoked on one instance is refused on the other', async () => {
      const [a, b] = await fixture.pair();
      assert.equal(b.isRevoked('tag-1'), false);
      await a.revoke('tag-1', inAnHour());
      assert.equal(a.isRevoked('tag-1'), true, 'at once where it was revoked');
      assert.ok(await eventually(() => b.isRevoked('tag-1'), 1_000), 'within a second elsewhere');
      assert.equal(b.isRevoked('tag-2'), false, 'other sessions are untouched');
    });

    it('an instance that joins later knows the sessions revoked before it', async () => {
      const [a] = await fixture.pair();
      await a.revoke('before-join', inAnHour());
      const later = await fixture.join();
      assert.equal(later.isRevoked('before-join'), true);
    });

    it('revoking the same session twice is harmless', async () => {
      const [a, b] = await fixture.pair();
      await a.revoke('twice', inAnHour());
      await b.revoke('twice', inAnHour());
      assert.equal(a.isRevoked('twice'), true);
      assert.equal(b.isRevoked('twice'), true);
    });
  });
}
