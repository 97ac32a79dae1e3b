import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '#common';
import { AppConfig } from '#config';
import { KeyRing } from '#signing-keys';

@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(
    @Inject(KeyRing) private readonly keys: KeyRing,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  @Get('jwks.json')
  @Header('Content-Type', 'application/jwk-set+json')
  @ApiOperation({ summary: 'The public keys that verify our tokens (RFC 7517): next, current and previous' })
  @ApiOkResponse({
    schema: {
      example: {
        keys: [
          {
            kty: 'EC',
            crv: 'P-256',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
            kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
            use: 'sig',
            alg: 'ES256',
          },
        ],
      },
    },
  })
  async jwks(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    void reply.header('Cache-Control', `public, max-age=${this.config.keys.jwksMaxAgeSeconds}`);
    return this.keys.jwks();
  }
}
