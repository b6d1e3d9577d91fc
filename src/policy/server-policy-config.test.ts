import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { applyConfig } from '../config/apply-config.ts';
import { ConfigFileError } from '../config/config-issue.ts';
import { parseConfigText } from '../config/load-config-file.ts';
import { hashPassword } from '../shared/password-hash.ts';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-policy-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

const options = {
  vault: createVault({ secretKey: 'policy-config-test-secret-key-0123456789' }),
  hashPassword: (password: string) => hashPassword(password, 10),
  source: 'policy.yaml',
};

const yaml = (policy: string) => `
users:
  - email: admin@acme.test
  - email: dev@acme.test
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
      - { email: dev@acme.test, role: member }
    servers:
      - id: everything
        transport: http
        url: http://127.0.0.1:3001/mcp
${policy}
`;

const withPolicy = `        policy:
          mode: allowlist
          pin_tools: true
          tools:
            echo: { enabled: true, name: say, members: { dev@acme.test: false } }
          prompts:
            greet: { roles: { viewer: false } }`;

async function freshStore(t: TestContext): Promise<Store> {
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, `s${++counter}.db`) });
  await store.migrate();
  t.after(() => store.close());
  return store;
}

const apply = (store: Store, text: string) =>
  applyConfig(store, parseConfigText(text), {}, options);

describe('declarative policy', () => {
  it('saves a server policy with member emails stored as user ids', async (t) => {
    const store = await freshStore(t);
    await apply(store, yaml(withPolicy));
    const dev = await store.users.findByEmail('dev@acme.test');
    const record = await store.serverPolicies.current('acme', 'everything');
    assert.equal(record?.version, 1);
    assert.deepEqual(record?.document.tools, {
      echo: { enabled: true, name: 'say', members: { [dev!.id]: false } },
    });
    assert.equal(record?.document.mode, 'allowlist');
  });

  it('applying the same file again writes no new version', async (t) => {
    const store = await freshStore(t);
    await apply(store, yaml(withPolicy));
    await apply(store, yaml(withPolicy));
    assert.equal((await store.serverPolicies.history('acme', 'everything')).length, 1);
  });

  it('a server without policy keeps the stored one', async (t) => {
    const store = await freshStore(t);
    await apply(store, yaml(withPolicy));
    await apply(store, yaml(''));
    assert.equal((await store.serverPolicies.current('acme', 'everything'))?.version, 1);
  });

  it('refuses a member override naming a non-member, and changes nothing', async (t) => {
    const store = await freshStore(t);
    await assert.rejects(
      apply(
        store,
        yaml(`        policy:
          tools:
            echo: { members: { stranger@acme.test: true } }`),
      ),
      (error: unknown) =>
        error instanceof ConfigFileError &&
        /workspaces\.0\.servers\.0\.policy\.tools\.echo\.members\.stranger@acme\.test/.test(
          error.message,
        ),
    );
    assert.equal(await store.serverPolicies.current('acme', 'everything'), undefined);
    assert.equal(await store.workspaces.find('acme'), undefined);
  });

  it('refuses an invalid document with its config path', () => {
    assert.throws(
      () => parseConfigText(yaml(`        policy: { mode: sometimes }`)),
      /workspaces\.0\.servers\.0\.policy\.mode/,
    );
  });
});
