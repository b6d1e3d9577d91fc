/**
 * Argument constraints: a JSON Schema per role that narrows a tool's input
 * schema. `tools/list` shows the narrowed schema (the upstream's, with the
 * constraint added to its `allOf`, so `type: "object"` and `properties` stay
 * where clients look for them), and `tools/call` checks the arguments
 * against the same constraint before anything goes upstream.
 */
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { JsonObject } from '../mcp/json-rpc.ts';
import { isObject } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';

/** A bound on compiled validators, far above any real policy set. */
const MAX_VALIDATORS = 1_000;

export function narrowInputSchema(inputSchema: unknown, constraint: JsonObject): JsonObject {
  const base = isObject(inputSchema) ? inputSchema : { type: 'object' };
  const allOf: unknown[] = Array.isArray(base.allOf) ? base.allOf : [];
  return { ...base, allOf: [...allOf, constraint] };
}

export interface ArgumentValidator {
  /** Throws `invalid_params` naming every violation; returns when the arguments satisfy the constraint. */
  check(tool: string, args: unknown, constraint: JsonObject): void;
}

export function createArgumentValidator(): ArgumentValidator {
  // Compiling costs milliseconds: validators are kept by the constraint's
  // text, so a policy document re-read from the store reuses them, and by
  // object identity, so the hot path does not even serialize the constraint.
  const byObject = new WeakMap<JsonObject, ValidateFunction>();
  const byText = new Map<string, ValidateFunction>();
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validatorFor = (constraint: JsonObject): ValidateFunction => {
    let validate = byObject.get(constraint);
    if (validate !== undefined) return validate;
    const text = JSON.stringify(constraint);
    validate = byText.get(text);
    if (validate === undefined) {
      if (byText.size >= MAX_VALIDATORS) {
        byText.clear();
        ajv.removeSchema();
      }
      validate = ajv.compile(constraint);
      byText.set(text, validate);
    }
    byObject.set(constraint, validate);
    return validate;
  };
  return {
    check(tool, args, constraint) {
      const validate = validatorFor(constraint);
      // MCP: absent `arguments` means no arguments.
      if (validate(args ?? {})) return;
      const issues = (validate.errors ?? []).map((error) => ({
        path: `arguments${error.instancePath.replaceAll('/', '.')}`,
        message: error.message ?? 'is not allowed',
      }));
      throw new GatewayError(
        'invalid_params',
        `Arguments of "${tool}" are not allowed by the gateway's policy: ${issues
          .map((issue) => `${issue.path} ${issue.message}`)
          .join('; ')}.`,
        { data: { issues } },
      );
    },
  };
}
