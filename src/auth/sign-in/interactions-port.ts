/**
 * The authorization server's interaction interface, as the sign-in pages use it.
 */
export type { InteractionView, Interactions } from '../server/interactions.ts';
