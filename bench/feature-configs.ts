/**
 * The declarative configs of the feature scenarios (JSON, which is valid YAML).
 *
 * policy: one gateway, two servers on the same upstream: `echo` without a
 * policy and `policy` with a realistic document of `POLICY_RULE_COUNT` rules
 * (issue 6: "with a realistic policy set (50 rules) throughput stays within 10 %
 * of the no-policy figure"). The rules mix per-tool enable/disable, role and
 * member overrides, description and name overrides, an argument constraint and
 * a size limit on tools not called, and usage limits, one of them (with a
 * ceiling no run reaches) on the called tool. `echo` itself stays callable.
 *
 * capture: one server with `capture: full` (issue 7), served by two gateways
 * that differ only in `PORTCULLIS_RECORDS`.
 */
import { BENCH_API_KEY_YAML } from './gateway-process.ts';
import { EXTRA_TOOL_COUNT, extraToolName } from './cheap-upstream.ts';

export const POLICY_SERVER_ID = 'policy';
export const NO_POLICY_SERVER_ID = 'echo';

const OWNER = 'bench@example.test';
const MEMBER = 'bench-member@example.test';
const VIEWER = 'bench-viewer@example.test';

/** Far above what any run sends (about 10⁵ calls a minute on one CPU). */
const HIGH_CEILING = 1_000_000_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One rule per tool of the upstream besides echo, five kinds in turn. */
function extraToolRules(): Record<string, Json> {
  const rules: Record<string, Json> = {};
  for (let index = 0; index < EXTRA_TOOL_COUNT; index++) {
    const name = extraToolName(index);
    const kind = index % 5;
    if (kind === 0) rules[name] = { enabled: false };
    else if (kind === 1) rules[name] = { roles: { viewer: false, member: true } };
    else if (kind === 2) rules[name] = { members: { [MEMBER]: false, [VIEWER]: true } };
    else if (kind === 3)
      rules[name] = {
        description: `Looks up ${name} records (described by the gateway).`,
        annotations: { readOnlyHint: true },
      };
    else rules[name] = { name: `renamed_${name}`, title: `Renamed ${name}` };
  }
  return rules;
}

export function benchPolicyDocument(): Record<string, Json> {
  return {
    mode: 'open',
    tools: {
      echo: {
        description: 'Returns its text argument (described by the gateway).',
        roles: { viewer: false },
        members: { [VIEWER]: false },
      },
      ...extraToolRules(),
    },
    resources: {
      'bench://docs/internal': { enabled: false },
      'bench://docs/handbook': { roles: { viewer: false } },
    },
    prompts: {
      summarise: { enabled: false },
      triage: { members: { [MEMBER]: true } },
    },
    security: {
      tools: {
        [extraToolName(2)]: {
          argument_constraints: {
            '*': { type: 'object', properties: { text: { type: 'string', maxLength: 64 } } },
          },
        },
        [extraToolName(6)]: { max_request_bytes: 4096, timeout_ms: 5000 },
      },
    },
  };
}

export function benchPolicyLimits(): Json[] {
  return [
    {
      name: 'echo-calls',
      server: POLICY_SERVER_ID,
      tool: 'echo',
      group_by: ['api_key'],
      period: 'minute',
      limit: HIGH_CEILING,
    },
    {
      name: 'policy-daily',
      server: POLICY_SERVER_ID,
      group_by: ['member'],
      period: 'day',
      limit: HIGH_CEILING,
    },
    {
      name: 'tool-hourly',
      server: POLICY_SERVER_ID,
      tool: extraToolName(9),
      period: 'hour',
      limit: 100,
    },
  ];
}

/** Rules counted as issue 6 counts them: tool, resource, prompt and security entries plus usage limits. */
export function countPolicyRules(document: Record<string, Json>, limits: readonly Json[]): number {
  const entries = (value: Json | undefined): number =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.keys(value).length
      : 0;
  const security = document.security as Record<string, Json> | undefined;
  return (
    entries(document.tools) +
    entries(document.resources) +
    entries(document.prompts) +
    entries(security?.tools) +
    limits.length
  );
}

/** `users:` and `workspaces:` as JSON values on YAML keys, then the API key every bench config has. */
function config(workspace: Record<string, Json>): string {
  const members = [
    { email: OWNER, role: 'owner' },
    { email: MEMBER, role: 'member' },
    { email: VIEWER, role: 'viewer' },
  ];
  return [
    `users: ${JSON.stringify([OWNER, MEMBER, VIEWER].map((email) => ({ email })))}`,
    `workspaces: ${JSON.stringify([{ id: 'bench', name: 'Bench', members, ...workspace }])}`,
    ...BENCH_API_KEY_YAML,
  ].join('\n');
}

export function policyBenchConfig(upstreamUrl: string): string {
  return config({
    servers: [
      { id: NO_POLICY_SERVER_ID, transport: 'http', url: upstreamUrl },
      {
        id: POLICY_SERVER_ID,
        transport: 'http',
        url: upstreamUrl,
        policy: benchPolicyDocument(),
      },
    ],
    limits: benchPolicyLimits(),
  });
}

export function captureBenchConfig(upstreamUrl: string): string {
  return config({
    servers: [
      {
        id: NO_POLICY_SERVER_ID,
        transport: 'http',
        url: upstreamUrl,
        capture: { mode: 'full', masks: ['arguments.token'] },
      },
    ],
  });
}
