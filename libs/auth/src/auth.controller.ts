import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '#common';
import { CurrentUser, Public, TokensService, type ClientContext } from '#auth-tokens';
import { RateLimit } from '#rate-limit';
import { UserResponseDto, type User } from '#users';
import { AuthService, type Session } from './auth.service.js';
import { Client } from './client-context.js';
import { DetailResponseDto, SessionResponseDto, TokenPairDto } from './dto/auth-responses.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';
import { RegisterDto } from './dto/register.dto.js';

const toResponse = ({ user, tokens }: Session): SessionResponseDto => ({ user: UserResponseDto.from(user), ...tokens });

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(TokensService) private readonly tokens: TokensService,
  ) {}

  @Public()
  @Post('register')
  @RateLimit('signIn')
  @ApiOperation({ summary: 'Create an account with a REGISTER verification token' })
  @ApiCreatedResponse({ type: SessionResponseDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'IDENTIFIER_INVALID', 'VERIFICATION_TOKEN_INVALID', 'USERNAME_TAKEN', 'ACCOUNT_EXISTS', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async register(@Body() body: RegisterDto, @Client() client: ClientContext): Promise<SessionResponseDto> {
    return toResponse(await this.auth.register(body.identifier, body.username, body.verification_token, client));
  }

  @Public()
  @Post('login')
  @RateLimit('signIn')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a LOGIN verification token' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'IDENTIFIER_INVALID', 'VERIFICATION_TOKEN_INVALID', 'USER_BLOCKED', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async login(@Body() body: LoginDto, @Client() client: ClientContext): Promise<SessionResponseDto> {
    return toResponse(await this.auth.login(body.identifier, body.verification_token, client));
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The user the access token belongs to' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrorResponses('AUTH_REQUIRED', 'TOKEN_INVALID', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  me(@CurrentUser() user: User): UserResponseDto {
    return UserResponseDto.from(user);
  }

  @Public()
  @Post('token/refresh')
  @RateLimit('signIn')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token into a new pair', description: 'Presenting a used refresh token again revokes its whole session family.' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'TOKEN_INVALID', 'TOKEN_REUSED', 'USER_BLOCKED', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async refresh(@Body() body: RefreshDto, @Client() client: ClientContext): Promise<TokenPairDto> {
    return (await this.tokens.rotate(body.refresh, client)).tokens;
  }

  @Public()
  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the session the refresh token belongs to' })
  @ApiOkResponse({ type: DetailResponseDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'TOKEN_INVALID', 'DATABASE_UNAVAILABLE')
  async logout(@Body() body: RefreshDto): Promise<DetailResponseDto> {
    await this.tokens.revokeSession(body.refresh);
    return { detail: 'Logged out.' };
  }

  @Post('logout/all')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of the current user, on every device' })
  @ApiOkResponse({ type: DetailResponseDto })
  @ApiErrorResponses('AUTH_REQUIRED', 'TOKEN_INVALID', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async logoutAll(@CurrentUser() user: User): Promise<DetailResponseDto> {
    await this.tokens.revokeAllSessions(user.id);
    return { detail: 'Logged out of every session.' };
  }
}
