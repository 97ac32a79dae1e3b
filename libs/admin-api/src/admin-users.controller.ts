import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountsService } from '#accounts';
import type { Actor } from '#audit';
import { Acting, Roles, SessionDto, SessionListDto } from '#auth-tokens';
import { ApiErrorResponses } from '#common';
import { RateLimit } from '#rate-limit';
import { AdminUserDto, AdminUserPageDto, CreateUserDto, ListUsersQueryDto, UpdateUserDto } from './dto/admin-user.dto.js';
import { pageOf } from './dto/page.dto.js';

/** Accounts, for an admin's bearer token: the same AccountsService, rules and audit as the CLI and the panel. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@RateLimit('admin')
@ApiErrorResponses('AUTH_REQUIRED', 'TOKEN_INVALID', 'FORBIDDEN', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
@Controller('admin')
export class AdminUsersController {
  constructor(@Inject(AccountsService) private readonly accounts: AccountsService) {}

  @Get('users')
  @ApiOperation({ summary: 'Search users, newest first, a page at a time' })
  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiErrorResponses('VALIDATION_FAILED')
  async list(@Query() query: ListUsersQueryDto): Promise<AdminUserPageDto> {
    const page = await this.accounts.list({ ...pageOf(query), search: query.search, role: query.role, active: query.active });
    return { items: page.items.map((user) => AdminUserDto.from(user)), next_cursor: page.nextCursor };
  }

  @Post('users')
  @ApiOperation({ summary: 'Create a user with an email address and/or a phone number' })
  @ApiCreatedResponse({ type: AdminUserDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'IDENTIFIER_INVALID', 'USERNAME_TAKEN', 'ACCOUNT_EXISTS')
  async create(@Body() body: CreateUserDto, @Acting('api') actor: Actor): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.accounts.create(body, actor));
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.accounts.find({ id }));
  }

  @Patch('users/:id')
  @ApiOperation({
    summary: 'Change username, role or active flag',
    description: 'Blocking ends every session; a role change every access token. You cannot block or demote yourself.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'USER_NOT_FOUND', 'USERNAME_TAKEN')
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserDto, @Acting('api') actor: Actor): Promise<AdminUserDto> {
    return AdminUserDto.from(
      await this.accounts.update({ id }, { username: body.username, role: body.role, isActive: body.is_active }, actor),
    );
  }

  @Delete('users/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user',
    description: 'Every session ends and the row is deleted; the identifier can register again. Audit rows keep the id.',
  })
  @ApiNoContentResponse()
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async delete(@Param('id', ParseUUIDPipe) id: string, @Acting('api') actor: Actor): Promise<void> {
    await this.accounts.delete({ id }, actor);
  }

  @Post('users/:id/block')
  @HttpCode(200)
  @ApiOperation({ summary: 'Block a user: every session and access token stops working at once' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async block(@Param('id', ParseUUIDPipe) id: string, @Acting('api') actor: Actor): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.accounts.block({ id }, actor));
  }

  @Post('users/:id/unblock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Let a blocked user sign in again' })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async unblock(@Param('id', ParseUUIDPipe) id: string, @Acting('api') actor: Actor): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.accounts.unblock({ id }, actor));
  }

  @Get('users/:id/sessions')
  @ApiOperation({ summary: "A user's live sessions, most recently used first" })
  @ApiOkResponse({ type: SessionListDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async sessions(@Param('id', ParseUUIDPipe) id: string): Promise<SessionListDto> {
    return { items: (await this.accounts.listSessions({ id })).map((session) => SessionDto.from(session)) };
  }

  @Delete('users/:id/sessions')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session and access token of a user' })
  @ApiNoContentResponse()
  @ApiErrorResponses('VALIDATION_FAILED', 'USER_NOT_FOUND')
  async revokeAll(@Param('id', ParseUUIDPipe) id: string, @Acting('api') actor: Actor): Promise<void> {
    await this.accounts.revokeAllSessions({ id }, actor);
  }

  @Delete('sessions/:sessionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session: its refresh token dies at once' })
  @ApiNoContentResponse()
  @ApiErrorResponses('VALIDATION_FAILED', 'NOT_FOUND')
  async revokeOne(@Param('sessionId', ParseUUIDPipe) sessionId: string, @Acting('api') actor: Actor): Promise<void> {
    await this.accounts.revokeSession(sessionId, actor);
  }
}
