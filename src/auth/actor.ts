/** Who is asking. Built by the auth hook (HTTP) or by the CLI (local operator). */
export interface Actor {
  readonly userId: string;
  readonly isAdmin: boolean;
  readonly requestId?: string | undefined;
  readonly via: 'session' | 'token' | 'cli';
  readonly sessionId?: string | undefined;
  readonly tokenId?: string | undefined;
}
