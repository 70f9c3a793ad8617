/**
 * The backend's answer held whole while a buffered outbound section waits for it (set-body,
 * find-and-replace, send-request, context.Response.Body in outbound): at most MAX_HELD_RESPONSE
 * bytes, copied out of the socket's chunks (they are only valid during onData).
 */
export const MAX_HELD_RESPONSE = 1024 * 1024;

export class HeldResponse {
  private readonly parts: Buffer[] = [];
  private size = 0;

  constructor(readonly reason: string) {}

  /** False when the body would pass the bound (nothing more is kept then). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_HELD_RESPONSE) return false;
    this.parts.push(Buffer.from(chunk));
    return true;
  }

  body(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}
