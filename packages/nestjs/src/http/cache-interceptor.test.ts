import 'reflect-metadata';
import {
  Controller,
  Get,
  type INestApplication,
  Injectable,
  type NestMiddleware,
  Post,
  Query,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cache, memoryAdapter } from '@ringcache/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheKey, CacheTTL, CacheUser, RingcacheInterceptor, RingcacheModule } from '../index.js';

const counts = new Map<string, number>();
const count = (name: string) => {
  const next = (counts.get(name) ?? 0) + 1;
  counts.set(name, next);
  return next;
};

@Controller()
@UseInterceptors(RingcacheInterceptor)
class CatalogController {
  @Get('products')
  products(@Query('page') page = '1') {
    return { page, call: count(`products:${page}`) };
  }

  @Get('slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { call: count('slow') };
  }

  @Post('products')
  create() {
    return { call: count('create') };
  }

  @Get('short')
  @CacheKey('short-lived')
  @CacheTTL(50)
  short() {
    return { call: count('short') };
  }

  @Get('me')
  @CacheUser()
  me() {
    return { call: count('me') };
  }

  @Get('file')
  file() {
    count('file');
    return new StreamableFile(Buffer.from('bytes'));
  }

  @Get('skip')
  @CacheKey(() => undefined)
  skip() {
    return { call: count('skip') };
  }
}

@Controller('sessions')
@UseInterceptors(RingcacheInterceptor.for('sessions'))
class SessionsController {
  @Get()
  list() {
    return { call: count('sessions') };
  }
}

/** Plays the part of an authentication middleware: `x-user` becomes `request.user`. */
@Injectable()
class FakeAuth implements NestMiddleware {
  use(request: { headers: Record<string, string>; user?: unknown }, _response: unknown, next: () => void) {
    if (request.headers['x-user']) request.user = { id: request.headers['x-user'] };
    next();
  }
}

let app: INestApplication;
let base: string;

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RingcacheModule.forRoot({ adapter: memoryAdapter() }),
      RingcacheModule.forRoot({ name: 'sessions', adapter: memoryAdapter() }),
    ],
    controllers: [CatalogController, SessionsController],
  }).compile();
  app = moduleRef.createNestApplication();
  const auth = new FakeAuth();
  app.use(auth.use.bind(auth));
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
});

afterAll(async () => {
  await app?.close();
});

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, init);
  return { cache: response.headers.get('x-cache'), body: await response.json().catch(() => undefined) };
}

describe('RingcacheInterceptor', () => {
  it('answers a repeated GET from the cache, keyed by URL with its query', async () => {
    expect(await call('/products?page=1')).toEqual({ cache: 'miss', body: { page: '1', call: 1 } });
    expect(await call('/products?page=1')).toEqual({ cache: 'hit', body: { page: '1', call: 1 } });
    expect(await call('/products?page=2')).toEqual({ cache: 'miss', body: { page: '2', call: 1 } });
    expect(await app.get(Cache).get('http:/products?page=1')).toEqual({ page: '1', call: 1 });
  });

  it('runs the handler once for concurrent misses', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => call('/slow')));
    expect(counts.get('slow')).toBe(1);
    expect(results.map((result) => result.body)).toEqual(Array(5).fill({ call: 1 }));
  });

  it('never caches non-GET requests', async () => {
    await call('/products', { method: 'POST' });
    const second = await call('/products', { method: 'POST' });
    expect(second.body).toEqual({ call: 2 });
    expect(second.cache).toBeNull();
  });

  it('bypasses the cache for Cache-Control: no-cache and no-store', async () => {
    await call('/products?page=3');
    const fresh = await call('/products?page=3', { headers: { 'cache-control': 'no-cache' } });
    expect(fresh).toEqual({ cache: 'bypass', body: { page: '3', call: 2 } });
    const noStore = await call('/products?page=3', { headers: { 'Cache-Control': 'max-age=0, no-store' } });
    expect(noStore.cache).toBe('bypass');
    expect((await call('/products?page=3')).body).toEqual({ page: '3', call: 1 });
  });

  it('bypasses requests with Authorization or Cookie on routes whose key has no user', async () => {
    await call('/products?page=4');
    const withAuth = await call('/products?page=4', { headers: { authorization: 'Bearer secret' } });
    expect(withAuth).toEqual({ cache: 'bypass', body: { page: '4', call: 2 } });
    const withCookie = await call('/products?page=4', { headers: { cookie: 'sid=1' } });
    expect(withCookie).toEqual({ cache: 'bypass', body: { page: '4', call: 3 } });
  });

  it('caches per user on @CacheUser routes, and never serves one user the other’s response', async () => {
    const alice = { authorization: 'Bearer a', 'x-user': 'alice' };
    const bob = { cookie: 'sid=b', 'x-user': 'bob' };
    expect(await call('/me', { headers: alice })).toEqual({ cache: 'miss', body: { call: 1 } });
    expect(await call('/me', { headers: bob })).toEqual({ cache: 'miss', body: { call: 2 } });
    expect(await call('/me', { headers: alice })).toEqual({ cache: 'hit', body: { call: 1 } });
    expect(await call('/me', { headers: bob })).toEqual({ cache: 'hit', body: { call: 2 } });
    // Credentials but no user resolved: bypass rather than share.
    expect((await call('/me', { headers: { authorization: 'Bearer ?' } })).cache).toBe('bypass');
    // No credentials and no user: one anonymous entry.
    expect(await call('/me')).toEqual({ cache: 'miss', body: { call: 4 } });
    expect(await call('/me')).toEqual({ cache: 'hit', body: { call: 4 } });
  });

  it('uses @CacheKey and @CacheTTL', async () => {
    expect(await call('/short')).toEqual({ cache: 'miss', body: { call: 1 } });
    expect(await call('/short')).toEqual({ cache: 'hit', body: { call: 1 } });
    expect(await app.get(Cache).get('short-lived')).toEqual({ call: 1 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await call('/short')).toEqual({ cache: 'miss', body: { call: 2 } });
  });

  it('skips the cache when the key factory returns undefined, and never caches streams', async () => {
    await call('/skip');
    expect(await call('/skip')).toEqual({ cache: 'bypass', body: { call: 2 } });
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${base}/file`);
      expect(await response.text()).toBe('bytes');
    }
    expect(counts.get('file')).toBe(2);
  });

  it('RingcacheInterceptor.for(name) caches in the named cache', async () => {
    await call('/sessions');
    expect(await call('/sessions')).toEqual({ cache: 'hit', body: { call: 1 } });
    expect(await app.get(Cache).get('http:/sessions')).toBeUndefined();
  });
});
