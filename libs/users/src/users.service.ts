import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { DomainError, uniqueViolation } from '#common';
import type { Identifier } from './identifier.js';
import { User } from './user.entity.js';

@Injectable()
export class UsersService {
  private readonly users: Repository<User>;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.users = dataSource.getRepository(User);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByIdentifier(identifier: Identifier, manager?: EntityManager): Promise<User | null> {
    return (manager?.getRepository(User) ?? this.users).findOneBy(whereIdentifier(identifier));
  }

  existsByIdentifier(identifier: Identifier): Promise<boolean> {
    return this.users.existsBy(whereIdentifier(identifier));
  }

  async isUsernameTaken(username: string): Promise<boolean> {
    const found = await this.users
      .createQueryBuilder('u')
      .select('1')
      .where('lower(u.username) = lower(:username)', { username })
      .limit(1)
      .getRawOne();
    return found !== undefined;
  }

  /** Creates the account; a lost race on username or identifier becomes a 409, never a 500. */
  async create(identifier: Identifier, username: string, manager: EntityManager): Promise<User> {
    const repository = manager.getRepository(User);
    try {
      const user = repository.create({ username, email: null, phone: null, ...whereIdentifier(identifier) });
      return await repository.save(user);
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'users_username_key') throw new DomainError('USERNAME_TAKEN', 'That username is taken.');
      if (constraint) throw new DomainError('ACCOUNT_EXISTS', 'An account with this identifier already exists.');
      throw error;
    }
  }

  async recordLogin(user: User, at: Date, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).update({ id: user.id }, { lastLoginAt: at });
    user.lastLoginAt = at;
  }
}

const whereIdentifier = (identifier: Identifier) => (identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value });
