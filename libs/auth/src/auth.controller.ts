import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountsService } from '#accounts';
import type { Actor } from '#audit';
import { ApiErrorResponses, Public } from '#common';
import { Acting, CurrentSessionId, CurrentUser, SessionDto, SessionListDto, TokensService, type ClientContext } from '#auth-tokens';
import { RateLimit } from '#rate-limit';
import { UserResponseDto, type User } from '#users';
import { AuthService, type Session } from './auth.service.js';
import { Client } from './client-context.js';
import { DetailResponseDto, SessionResponseDto, TokenPairDto } from './dto/auth-responses.dto.js';
import { ChangeIdentifierDto, DeleteMeDto, UpdateMeDto } from './dto/account.dto.js';
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
    @Inject(AccountsService) private readonly accounts: AccountsService,
  ) {}

  @Public()
  @Post('register')
  @RateLimit('signIn')
  @ApiOperation({ summary: 'Create an account with a REGISTER verification token' })
  @ApiCreatedResponse({ type: SessionResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'IDENTIFIER_INVALID',
    'VERIFICATION_TOKEN_INVALID',
    'USERNAME_TAKEN',
    'ACCOUNT_EXISTS',
    'RATE_LIMITED',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
  async register(@Body() body: RegisterDto, @Client() client: ClientContext): Promise<SessionResponseDto> {
    return toResponse(await this.auth.register(body.identifier, body.username, body.verification_token, client));
  }

  @Public()
  @Post('login')
  @RateLimit('signIn')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with a LOGIN verification token' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'IDENTIFIER_INVALID',
    'VERIFICATION_TOKEN_INVALID',
    'USER_BLOCKED',
    'RATE_LIMITED',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
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

  @Patch('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your username (the same rules as at sign-up)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'AUTH_REQUIRED',
    'TOKEN_INVALID',
    'USERNAME_TAKEN',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
  async updateMe(@CurrentUser() user: User, @Body() body: UpdateMeDto, @Acting('self') actor: Actor): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.accounts.update({ id: user.id }, { username: body.username }, actor));
  }

  @Post('me/identifier')
  @RateLimit('signIn')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Add or change your email or phone, proved by a CHANGE_IDENTIFIER code',
    description: 'An account holds one email and one phone; a new one replaces the one of its kind, which is told and no longer signs in.',
  })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'IDENTIFIER_INVALID',
    'AUTH_REQUIRED',
    'TOKEN_INVALID',
    'VERIFICATION_TOKEN_INVALID',
    'ACCOUNT_EXISTS',
    'RATE_LIMITED',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
  async changeIdentifier(
    @CurrentUser() user: User,
    @Body() body: ChangeIdentifierDto,
    @Acting('self') actor: Actor,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.auth.changeIdentifier(user, body.identifier, body.verification_token, actor));
  }

  @Delete('me')
  @RateLimit('signIn')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Delete your account',
    description:
      'Needs a fresh proof: a verification token from a LOGIN code for this account. Every session ends; the identifier can register again.',
  })
  @ApiNoContentResponse()
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'AUTH_REQUIRED',
    'TOKEN_INVALID',
    'VERIFICATION_TOKEN_INVALID',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
  async deleteMe(@CurrentUser() user: User, @Body() body: DeleteMeDto, @Acting('self') actor: Actor): Promise<void> {
    await this.auth.deleteOwnAccount(user, body.verification_token, actor);
  }

  @Get('sessions')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Your live sessions (signed-in devices), most recently used first' })
  @ApiOkResponse({ type: SessionListDto })
  @ApiErrorResponses('AUTH_REQUIRED', 'TOKEN_INVALID', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async sessions(@CurrentUser() user: User, @CurrentSessionId() currentSessionId: string | undefined): Promise<SessionListDto> {
    return { items: (await this.accounts.listSessions({ id: user.id })).map((session) => SessionDto.from(session, { currentSessionId })) };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End one of your sessions: its refresh token dies at once' })
  @ApiNoContentResponse()
  @ApiErrorResponses('VALIDATION_FAILED', 'AUTH_REQUIRED', 'TOKEN_INVALID', 'NOT_FOUND', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
  async endSession(@CurrentUser() user: User, @Param('id', ParseUUIDPipe) id: string, @Acting('self') actor: Actor): Promise<void> {
    await this.accounts.revokeSession(id, actor, { ownedBy: user.id });
  }

  @Public()
  @Post('token/refresh')
  @RateLimit('signIn')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a refresh token into a new pair',
    description: 'Presenting a used refresh token again revokes its whole session family.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'TOKEN_INVALID',
    'TOKEN_REUSED',
    'USER_BLOCKED',
    'RATE_LIMITED',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
  )
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
