import { randomBytes } from 'node:crypto';
import type { CacheCore } from './cache-core.js';
import { assertNamespaceName, type KeyPipeline } from './key-pipeline.js';

/**
 * Where a cache view's keys live, and how to clear them. Adapters that can enumerate keys
 * (`prefixClear`) use a fixed prefix and delete by prefix. Adapters that cannot (memcached) get a
 * namespace generation: keys live under `<namespace>:<generation>:`, and a clear writes a new
 * generation so the old keys become unreachable and age out of the engine's LRU.
 */
export interface KeyScope {
  /** Set when the prefix never changes, so the hot path builds keys without awaiting. */
  readonly fixed: KeyPipeline | undefined;
  pipeline(): Promise<KeyPipeline>;
  child(name: string): KeyScope;
  clear(signal: AbortSignal | undefined): Promise<void>;
}

export function rootScope(core: CacheCore, pipeline: KeyPipeline): KeyScope {
  return new PrefixScope(core, pipeline);
}

class PrefixScope implements KeyScope {
  constructor(
    private readonly core: CacheCore,
    readonly fixed: KeyPipeline,
  ) {}

  async pipeline(): Promise<KeyPipeline> {
    return this.fixed;
  }

  child(name: string): KeyScope {
    if (this.core.adapter.capabilities.prefixClear) return new PrefixScope(this.core, this.fixed.child(name));
    return new GenerationScope(this.core, this, name);
  }

  clear(signal: AbortSignal | undefined): Promise<void> {
    const prefix = this.fixed.prefix === '' ? undefined : this.fixed.prefix;
    return this.core.call('clear', undefined, undefined, signal, () =>
      this.core.adapter.clear(prefix, { signal }),
    );
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A namespace on an engine that cannot enumerate keys. The generation is a random token (not a
 * counter), so a generation key evicted by the LRU yields a fresh token rather than resurrecting
 * an old namespace. Other processes see a clear within `generationTtl` (they re-read the token).
 */
class GenerationScope implements KeyScope {
  readonly fixed = undefined;
  private current: { pipeline: KeyPipeline; parentPrefix: string; until: number } | undefined;
  private loading: Promise<KeyPipeline> | undefined;

  constructor(
    private readonly core: CacheCore,
    private readonly parent: KeyScope,
    private readonly name: string,
  ) {
    assertNamespaceName(name);
  }

  async pipeline(): Promise<KeyPipeline> {
    const parent = await this.parent.pipeline();
    const current = this.current;
    if (current !== undefined && current.until > Date.now() && current.parentPrefix === parent.prefix) {
      return current.pipeline;
    }
    this.loading ??= this.load(parent).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  child(name: string): KeyScope {
    return new GenerationScope(this.core, this, name);
  }

  async clear(signal: AbortSignal | undefined): Promise<void> {
    const parent = await this.parent.pipeline();
    await this.write(parent, newGeneration(), signal);
  }

  private async load(parent: KeyPipeline): Promise<KeyPipeline> {
    const key = this.generationKey(parent);
    const stored = await this.read(key);
    if (stored !== undefined) return this.remember(parent, stored);
    const atomic = this.core.adapter.atomic;
    if (atomic === undefined) return this.write(parent, newGeneration(), undefined);
    // Processes starting together must agree on one generation: the first `add` wins, the others read it.
    const generation = newGeneration();
    const added = await this.core.call('add', this.core.nodeOf(key), key, undefined, () =>
      atomic.add(key, encoder.encode(generation), 0),
    );
    if (added) return this.remember(parent, generation);
    return this.remember(parent, (await this.read(key)) ?? generation);
  }

  private async read(key: string): Promise<string | undefined> {
    const stored = await this.core.call('get', this.core.nodeOf(key), key, undefined, () =>
      this.core.adapter.get(key),
    );
    return stored === undefined ? undefined : decoder.decode(stored);
  }

  private async write(
    parent: KeyPipeline,
    generation: string,
    signal: AbortSignal | undefined,
  ): Promise<KeyPipeline> {
    const key = this.generationKey(parent);
    await this.core.call('set', this.core.nodeOf(key), key, signal, () =>
      this.core.adapter.set(key, encoder.encode(generation), 0, { signal }),
    );
    return this.remember(parent, generation);
  }

  private remember(parent: KeyPipeline, generation: string): KeyPipeline {
    const pipeline = parent.child(this.name).child(generation);
    this.current = {
      pipeline,
      parentPrefix: parent.prefix,
      until: Date.now() + this.core.options.generationTtl,
    };
    return pipeline;
  }

  /** `<parent><name>:@generation`: never a user key, which always sits under a generation segment. */
  private generationKey(parent: KeyPipeline): string {
    return `${parent.prefix}${this.name}:@generation`;
  }
}

function newGeneration(): string {
  return randomBytes(6).toString('base64url');
}
