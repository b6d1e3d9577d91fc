/**
 * The API's complaints about one field of a refused save, so an editor can
 * show them next to that field (`body.security.tools.x.argument_constraints.member`).
 */
import { ApiError } from '../api/client.ts';

export function issuesUnder(error: unknown, prefix: string): string[] {
  if (!(error instanceof ApiError)) return [];
  return error.issues
    .filter((issue) => issue.path === prefix || issue.path.startsWith(`${prefix}.`))
    .map((issue) => issue.message);
}
