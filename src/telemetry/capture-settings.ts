/**
 * What a server's request records keep (`capture:` in the declarative config
 * and the servers API):
 *
 * - `off`: no record is stored for the server's messages (metrics still count them);
 * - `metadata` (default): who, what, when, how long, outcome; never a body;
 * - `full`: metadata plus the request's arguments and the answer's result,
 *   redacted (redaction.ts) and capped in size.
 *
 * `masks` are field paths masked on top of the secret-key patterns, e.g.
 * `arguments.card.number`, `result.content.*.text`, `arguments.users[*].ssn`.
 */
import { z } from 'zod';

export const CAPTURE_MODES = ['off', 'metadata', 'full'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

export interface CaptureSettings {
  readonly mode: CaptureMode;
  readonly masks: readonly string[];
}

export const DEFAULT_CAPTURE: CaptureSettings = Object.freeze({ mode: 'metadata', masks: [] });

/** `arguments.a.b`, `result.*.x`, `arguments.list[*].y`: dot segments, `*` matches any key or index. */
const maskPath = z
  .string()
  .trim()
  .regex(
    /^(arguments|result)(\.(\*|[A-Za-z0-9_$@:-]+)|\[(\*|\d+)\])*$/,
    'a field path such as arguments.card.number or result.content[*].text',
  );

export const captureModeSchema = z.enum(CAPTURE_MODES);

const captureObjectSchema = z.strictObject({
  mode: captureModeSchema,
  masks: z.array(maskPath).max(100).default([]),
});

/** A mode alone (`capture: full`) or the object form with masks. */
export const captureSettingsSchema = z
  .union([captureModeSchema, captureObjectSchema])
  .transform((value): CaptureSettings =>
    typeof value === 'string' ? { mode: value, masks: [] } : value,
  )
  .describe(
    'Request record capture: off | metadata (default, no bodies) | full (arguments and results, redacted); object form { mode, masks: [field paths] }.',
  );

/** Splits `arguments.list[*].y` into `['arguments', 'list', '*', 'y']`. */
export function maskSegments(path: string): string[] {
  return path
    .replaceAll(/\[(\*|\d+)\]/g, '.$1')
    .split('.')
    .filter((segment) => segment.length > 0);
}

/** Stored documents written before a field existed still read as settings. */
export function readCaptureSettings(value: unknown): CaptureSettings {
  const parsed = captureSettingsSchema.safeParse(value);
  return parsed.success ? parsed.data : DEFAULT_CAPTURE;
}
