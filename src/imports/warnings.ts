// A bounded list of parser warnings: a hostile or badly broken file cannot make
// a parser keep millions of messages. Past the cap only a count is kept.

export const MAX_WARNINGS_PER_STATEMENT = 100;

export class WarningList {
  private readonly items: string[] = [];
  private dropped = 0;
  constructor(private readonly max = MAX_WARNINGS_PER_STATEMENT) {}

  push(...messages: string[]): void {
    for (const m of messages) {
      if (this.items.length < this.max) this.items.push(m);
      else this.dropped += 1;
    }
  }

  get size(): number {
    return this.items.length + this.dropped;
  }

  toArray(): string[] {
    return this.dropped > 0 ? [...this.items, `${this.dropped} more warnings not shown`] : [...this.items];
  }
}
