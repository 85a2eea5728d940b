/* Reference: NestJS on Fastify with one controller and the form-body parser, no Kafka. */
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class HelloController {
  @Post('hello')
  @HttpCode(202)
  hello(): { status: string } {
    return { status: 'accepted' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter(), { logger: false, rawBody: true }).then(async (app) => {
  await app.listen(0, '127.0.0.1');
  console.log(JSON.stringify({ msg: 'ready', url: (await app.getUrl()).replace('[::1]', '127.0.0.1') }));
});
