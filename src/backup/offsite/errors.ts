// A copy to or from an offsite target failed or did not check out; the message
// names the target and what did not match.
export class OffsiteCopyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OffsiteCopyError';
  }
}
