/**
 * The `security` section of a server's policy document: limits on what
 * crosses to the upstream (time, request and response size), read-only
 * mode, confirmation of destructive tools, and per-role argument
 * constraints. Server-wide values apply to every tool; `tools.<name>`
 * overrides them for one tool (names as the upstream knows them).
 */
import { Ajv } from 'ajv';
import { z } from 'zod';

const MAX_BYTES = 256 * 1024 * 1024;

/** A JSON Schema object; compiled once when the document is accepted, so a broken schema is refused then. */
const jsonSchemaObject = z.record(z.string(), z.unknown()).superRefine((schema, context) => {
  try {
    new Ajv({ strict: false, allErrors: true }).compile(schema);
  } catch (error) {
    // Compiling recurses: a schema thousands of levels deep exhausts the stack.
    const reason = error instanceof RangeError ? 'it nests too deeply.' : (error as Error).message;
    context.addIssue({ code: 'custom', message: `Not a valid JSON Schema: ${reason}` });
  }
});

/** A role name or `*` (every role); the constraint for the caller's role wins over `*`. */
const constraintKey = z.enum(['*', 'owner', 'admin', 'member', 'viewer']);

const limitFields = {
  /** Time allowed to the upstream for an answer (the call's timeout). */
  timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
  /** Largest client message (serialized JSON) forwarded upstream. */
  max_request_bytes: z.number().int().min(64).max(MAX_BYTES).optional(),
  /** Largest upstream answer (serialized JSON) handed to the client. */
  max_response_bytes: z.number().int().min(64).max(MAX_BYTES).optional(),
  /**
   * Ask the member (elicitation) before forwarding a call to a destructive
   * tool. MCP tool annotations: `destructiveHint` defaults to true and only
   * matters when `readOnlyHint` is false (its default), so a tool without
   * annotations counts as destructive.
   */
  confirm_destructive: z.boolean().optional(),
};

export const toolSecuritySchema = z.strictObject({
  ...limitFields,
  /** JSON Schema the call's `arguments` must also satisfy, per role; shown as `allOf` in `tools/list`. */
  argument_constraints: z.partialRecord(constraintKey, jsonSchemaObject).optional(),
});

export const securityPolicySchema = z.strictObject({
  ...limitFields,
  /** Only tools annotated `readOnlyHint: true` are listed and callable. */
  read_only: z.boolean().optional(),
  tools: z.record(z.string().min(1), toolSecuritySchema).optional(),
});

export type SecurityPolicy = z.infer<typeof securityPolicySchema>;
export type ToolSecurity = z.infer<typeof toolSecuritySchema>;
