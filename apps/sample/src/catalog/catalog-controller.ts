import {
  Controller,
  Delete,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  ParseIntPipe,
  Query,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import { CacheKey, CacheTTL, RingcacheInterceptor } from '@ringcache/nestjs';
import { CatalogService } from './catalog-service.js';
import { FakeDatabase, PRODUCT_COUNT, type Product } from './fake-database.js';

/** The part of the HTTP response this controller touches (Express's and Fastify's both have it). */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

@Controller('api')
export class CatalogController {
  constructor(
    @Inject(CatalogService) private readonly catalog: CatalogService,
    @Inject(FakeDatabase) private readonly database: FakeDatabase,
  ) {}

  /** Cache-aside by hand: `x-cache: hit|miss` and `x-lookup-ms` show what the cache saved. */
  @Get('products/:id')
  async product(@Param('id', ParseIntPipe) id: number, @Res({ passthrough: true }) response: HeaderSink) {
    const { value, cache, ms } = await this.catalog.product(id);
    response.setHeader('x-cache', cache);
    response.setHeader('x-lookup-ms', String(ms));
    if (value === null) throw new NotFoundException(`no product ${id}`);
    return { product: value, cache, ms };
  }

  @Delete('products/:id')
  async forget(@Param('id', ParseIntPipe) id: number) {
    return { removed: await this.catalog.forget(id) };
  }

  /**
   * A page of products, cached whole by the HTTP interceptor (`x-cache` set by it). Requests with
   * `Authorization` or `Cookie` bypass it: this response is the same for everyone, but the
   * interceptor cannot know that unless told.
   */
  @Get('products')
  @UseInterceptors(RingcacheInterceptor)
  @CacheKey((context) => {
    const request = context.switchToHttp().getRequest<{ query: { page?: string } }>();
    return `page:${Number(request.query.page ?? 1) || 1}`;
  })
  @CacheTTL(10_000)
  async page(@Query('page') page = '1') {
    const number = Math.max(1, Math.min(Number(page) || 1, PRODUCT_COUNT / 20));
    const ids = Array.from({ length: 20 }, (_, index) => (number - 1) * 20 + index + 1);
    const products = (await Promise.all(ids.map((id) => this.database.findProduct(id)))) as Product[];
    return { page: number, products };
  }

  /** The hot key: every page of a real store would read it. */
  @Get('config')
  @Header('cache-control', 'no-store')
  config() {
    return this.catalog.config();
  }
}
