/** Options every stream of a Lightning port takes. */
export interface StreamOptions {
  /** Ends the stream. */
  readonly signal: AbortSignal;
  /** Called each time the stream is (re)established with the node. */
  readonly onConnected?: () => void;
}
