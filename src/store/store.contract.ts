/**
 * The Store contract: one suite, run against every adapter
 * (sqlite.test.ts, postgres.test.ts). `createStore` must return a fresh,
 * migrated, empty store; the suite closes it.
 */
import { describe } from 'node:test';
import type { TestContext } from 'node:test';
import { accessContract } from './contract/access-contract.ts';
import { auditLogContract } from './contract/audit-log-contract.ts';
import type { ContractHarness } from './contract/contract-support.ts';
import { identityContract } from './contract/identity-contract.ts';
import { invitationsContract } from './contract/invitations-contract.ts';
import { lifecycleContract } from './contract/lifecycle-contract.ts';
import { memberSecretsContract } from './contract/member-secrets-contract.ts';
import { oauthContract } from './contract/oauth-contract.ts';
import { requestRecordsContract } from './contract/request-records-contract.ts';
import { serverPoliciesContract } from './contract/server-policies-contract.ts';
import { sessionsContract } from './contract/sessions-contract.ts';
import { usageLimitsContract } from './contract/usage-limits-contract.ts';
import { upstreamConnectionsContract } from './contract/upstream-connections-contract.ts';
import type { Store } from './store.ts';

export function storeContract(name: string, createStore: () => Promise<Store>): void {
  async function open(t: TestContext): Promise<Store> {
    const store = await createStore();
    t.after(() => store.close());
    return store;
  }
  const harness: ContractHarness = {
    open,
    createStore,
    async seeded(t) {
      const store = await open(t);
      await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
      const user = await store.users.upsert({ email: 'admin@acme.test', name: 'Admin' });
      return { store, user };
    },
  };

  describe(`${name} store`, () => {
    lifecycleContract(harness);
    identityContract(harness);
    accessContract(harness);
    invitationsContract(harness);
    sessionsContract(harness);
    upstreamConnectionsContract(harness);
    oauthContract(harness);
    requestRecordsContract(harness);
    auditLogContract(harness);
    memberSecretsContract(harness);
    usageLimitsContract(harness);
    serverPoliciesContract(harness);
  });
}
