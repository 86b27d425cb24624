import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app-module.js';
import { type Backend, createBackend } from './backends.js';
import type { Settings } from './settings.js';

/** `public/` beside `src/` and `dist/`: the same path from the sources (tests) and the build. */
export const PUBLIC_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

export interface Application {
  app: NestExpressApplication;
  backend: Backend;
  url: string;
}

/** Builds the backend and the Nest application, and starts listening. */
export async function startApplication(
  settings: Settings,
  options: { logger?: LogLevel[] | false; environment?: NodeJS.ProcessEnv } = {},
): Promise<Application> {
  const backend = await createBackend(settings, options.environment);
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.with(settings, backend), {
      logger: options.logger ?? ['error', 'warn'],
    });
  } catch (error) {
    await backend.options.adapter.close().catch(() => {});
    throw error;
  }
  app.useStaticAssets(PUBLIC_DIRECTORY, { index: 'index.html' });
  await app.listen(settings.port, settings.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  return { app, backend, url };
}
