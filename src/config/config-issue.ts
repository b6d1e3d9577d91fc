/**
 * One problem found in the declarative config file, located by its config
 * path (`workspaces.0.servers.1.url`) and, when known, its place in the file.
 */
import { ConfigError } from './runtime-config.ts';

export interface ConfigIssue {
  /** Dotted config path; `(root)` for the whole file, `(yaml)` for a syntax error. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the YAML file. */
  readonly line?: number;
  readonly column?: number;
}

/** `workspaces.0.servers.1.url: is required for transport http (line 12, column 9)` */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.line === undefined
      ? ''
      : ` (line ${issue.line}${issue.column === undefined ? '' : `, column ${issue.column}`})`;
  return `${issue.path}: ${issue.message}${where}`;
}

/** A config file that cannot be used, with every issue found in it. */
export class ConfigFileError extends ConfigError {
  readonly file: string;
  readonly details: readonly ConfigIssue[];
  constructor(file: string, details: readonly ConfigIssue[]) {
    super(details.map(formatConfigIssue));
    this.name = 'ConfigFileError';
    this.message = `Invalid config file ${file}:\n${this.issues.map((issue) => `  - ${issue}`).join('\n')}`;
    this.file = file;
    this.details = details;
  }
}
