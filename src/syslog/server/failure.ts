/** The last thing that went wrong with an action, kept for its status (the log says it once). */
export interface Failure {
  /** ISO 8601 */
  at: string;
  message: string;
}

export const failure = (e: unknown): Failure => ({ at: new Date().toISOString(), message: e instanceof Error ? e.message : String(e) });
