import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  mixin,
  type NestInterceptor,
  Optional,
  StreamableFile,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { Cache } from '@ringcache/core';
import { lastValueFrom, type Observable, of } from 'rxjs';
import { getCacheToken } from '../tokens.js';
import {
  CACHE_KEY_METADATA,
  CACHE_TTL_METADATA,
  CACHE_USER_METADATA,
  type CacheKeyFactory,
  type CacheTtlFactory,
  type CacheUserResolver,
} from './decorators.js';

/** The `x-cache` header the interceptor sets on GET responses. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

interface HttpRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * Caches GET responses (what the handler returns, before serialization) in the default cache.
 * Bypassed by: other methods; `Cache-Control: no-cache` or `no-store`; requests carrying
 * `Authorization` or `Cookie`, unless the route is marked `@CacheUser()` (the user is then part
 * of the key); a key factory returning `undefined`. Concurrent misses of one key run the handler
 * once (`getOrSet`). Sets `x-cache: hit | miss | bypass` on GET responses.
 *
 * Use `@UseInterceptors(RingcacheInterceptor)` on a controller or route, or `APP_INTERCEPTOR`;
 * `RingcacheInterceptor.for('name')` uses a named cache.
 */
@Injectable()
export class RingcacheInterceptor implements NestInterceptor {
  /** An interceptor class bound to the cache registered with `forRoot({ name })`; one class per name. */
  static for(name: string): Type<NestInterceptor> {
    let named = namedInterceptors.get(name);
    if (named === undefined) {
      named = namedInterceptor(name);
      namedInterceptors.set(name, named);
    }
    return named;
  }

  constructor(
    @Inject(getCacheToken()) private readonly cache: Cache,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (request.method !== 'GET') return next.handle();
    const key = this.keyOf(context, request);
    if (key === undefined) {
      this.setOutcome(context, 'bypass');
      return next.handle();
    }
    const ttl = this.ttlOf(context);
    let outcome = 'hit' as CacheOutcome;
    // A response that cannot be cached (a stream) goes to this request only.
    let uncacheable: unknown;
    let value: unknown;
    try {
      value = await this.cache.getOrSet(
        key,
        async () => {
          outcome = 'miss';
          const response = await lastValueFrom(next.handle(), { defaultValue: undefined });
          if (response instanceof StreamableFile) {
            uncacheable = response;
            return undefined;
          }
          return response;
        },
        ttl === undefined ? undefined : { ttl },
      );
    } catch (error) {
      // This request's handler failed: that is the response. Otherwise the cache refused the key
      // (too long for the engine, say) or a shared load failed: serve this request uncached.
      if (outcome === 'miss') throw error;
      this.setOutcome(context, 'bypass');
      return next.handle();
    }
    this.setOutcome(context, outcome);
    return of(uncacheable ?? value);
  }

  /** The key, or `undefined` when this request must not use the cache. */
  private keyOf(context: ExecutionContext, request: HttpRequest): string | undefined {
    const headers = request.headers ?? {};
    const cacheControl = String(headers['cache-control'] ?? '').toLowerCase();
    if (/\bno-(cache|store)\b/.test(cacheControl)) return undefined;
    const keyOrFactory = this.metadata<string | CacheKeyFactory>(CACHE_KEY_METADATA, context);
    let key =
      typeof keyOrFactory === 'function'
        ? keyOrFactory(context)
        : (keyOrFactory ?? `http:${request.originalUrl ?? request.url ?? ''}`);
    if (key === undefined) return undefined;
    const credentials = headers.authorization !== undefined || headers.cookie !== undefined;
    const resolveUser = this.metadata<CacheUserResolver>(CACHE_USER_METADATA, context);
    if (resolveUser === undefined) return credentials ? undefined : key;
    const user = resolveUser(request);
    if (user === undefined) {
      if (credentials) return undefined;
      key += ':user:-';
    } else {
      key += `:user:${encodeURIComponent(String(user))}`;
    }
    return key;
  }

  private ttlOf(context: ExecutionContext): number | undefined {
    const ttl = this.metadata<number | CacheTtlFactory>(CACHE_TTL_METADATA, context);
    return typeof ttl === 'function' ? ttl(context) : ttl;
  }

  private metadata<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]);
  }

  private setOutcome(context: ExecutionContext, outcome: CacheOutcome): void {
    const response = context.switchToHttp().getResponse<unknown>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter !== undefined && adapter !== null) adapter.setHeader(response, 'x-cache', outcome);
  }
}

const namedInterceptors = new Map<string, Type<NestInterceptor>>();

function namedInterceptor(name: string): Type<NestInterceptor> {
  @Injectable()
  class NamedRingcacheInterceptor extends RingcacheInterceptor {
    constructor(
      @Inject(getCacheToken(name)) cache: Cache,
      @Inject(Reflector) reflector: Reflector,
      @Optional() @Inject(HttpAdapterHost) adapterHost?: HttpAdapterHost,
    ) {
      super(cache, reflector, adapterHost);
    }
  }
  return mixin(NamedRingcacheInterceptor);
}
