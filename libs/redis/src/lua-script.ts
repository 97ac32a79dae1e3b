import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A Lua script read from its own file, with the SHA1 Redis knows it by (for EVALSHA). */
export class LuaScript {
  readonly sha1: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  static fromFile(url: URL): LuaScript {
    return new LuaScript(url.pathname.split('/').pop()!, readFileSync(url, 'utf8'));
  }
}
