import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../src/config/load-config-file.ts';
import {
  benchPolicyDocument,
  benchPolicyLimits,
  captureBenchConfig,
  countPolicyRules,
  policyBenchConfig,
} from './feature-configs.ts';

const UPSTREAM = 'http://127.0.0.1:3001/mcp';

describe('bench feature configs', () => {
  it('gives the policy server a document of 50 rules that the config schema accepts', () => {
    assert.equal(countPolicyRules(benchPolicyDocument(), benchPolicyLimits()), 50);
    const config = parseConfigText(policyBenchConfig(UPSTREAM), 'bench.yaml');
    const [workspace] = config.workspaces;
    assert.deepEqual(
      workspace?.servers.map((server) => [server.id, server.policy !== undefined]),
      [
        ['echo', false],
        ['policy', true],
      ],
    );
    assert.equal(workspace?.limits.length, 3);
    assert.equal(config.api_keys[0]?.workspace, 'bench');
  });

  it('keeps echo callable by its own name for the owner the bench calls as', () => {
    const echo = (benchPolicyDocument().tools as Record<string, Record<string, unknown>>).echo;
    assert.equal(echo?.enabled, undefined);
    assert.equal(echo?.name, undefined);
    assert.deepEqual(echo?.roles, { viewer: false });
  });

  it('captures the echo server in full', () => {
    const config = parseConfigText(captureBenchConfig(UPSTREAM), 'bench.yaml');
    assert.equal(config.workspaces[0]?.servers[0]?.capture?.mode, 'full');
  });
});
