/**
 * The field issues of a `bad_request` answer, read from its message
 * ("Invalid input: body.x.y: what; body.z: what"), so an editor can show the
 * API's complaint next to the field it is about.
 */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

const PREFIX = 'Invalid input: ';

export function fieldIssues(message: string): FieldIssue[] {
  if (!message.startsWith(PREFIX)) return [];
  const issues: FieldIssue[] = [];
  // A message may itself hold "; " — a part without "path: " belongs to the previous issue.
  for (const part of message.slice(PREFIX.length).split('; ')) {
    const match = /^((?:body|query|params)(?:\.[^:\s]+)*): (.*)$/s.exec(part);
    const last = issues.at(-1);
    if (match !== null) issues.push({ path: match[1]!, message: match[2]! });
    else if (last !== undefined)
      issues[issues.length - 1] = { ...last, message: `${last.message}; ${part}` };
  }
  return issues;
}

/** The issues under a path prefix (`body.security.tools.x.argument_constraints.member`). */
export function issuesUnder(message: string | undefined, prefix: string): string[] {
  if (message === undefined) return [];
  return fieldIssues(message)
    .filter((issue) => issue.path === prefix || issue.path.startsWith(`${prefix}.`))
    .map((issue) => issue.message);
}
