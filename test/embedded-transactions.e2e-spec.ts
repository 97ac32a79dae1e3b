import { DataSource } from 'typeorm';
import { User } from '#users';
import { newEmail, newUsername } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`concurrent transactions stay isolated (${backend.database})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('does not let one transaction roll back or commit the work of another running at the same time', async () => {
    const dataSource = t.app.get(DataSource);
    const doomed = newEmail();
    const survivor = newEmail();
    const failing = dataSource.transaction(async (manager) => {
      await manager.getRepository(User).insert({ email: doomed, username: newUsername() });
      await new Promise((resolve) => setTimeout(resolve, 150));
      throw new Error('this transaction fails after its insert');
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const succeeding = dataSource.transaction((manager) =>
      manager.getRepository(User).insert({ email: survivor, username: newUsername() }),
    );
    await expect(failing).rejects.toThrow('this transaction fails');
    await succeeding;
    const repository = dataSource.getRepository(User);
    expect(await repository.existsBy({ email: survivor })).toBe(true);
    expect(await repository.existsBy({ email: doomed })).toBe(false);
  });
});
