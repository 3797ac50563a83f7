import { QueryFailedError } from 'typeorm';
import { isDependencyDown, retryWhileDependencyDown } from '../../src/common/dependency-errors';
import { DomainError } from '../../src/common/errors';

describe('isDependencyDown', () => {
  const driverError = (code: string, message = 'x') => new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));

  it('recognises PostgreSQL and Redis connection failures, as codes or as the drivers word them', () => {
    expect(isDependencyDown(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDependencyDown(driverError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isDependencyDown(driverError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isDependencyDown(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyDown(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDependencyDown(new Error('Connection is closed.'))).toBe(true);
    expect(
      isDependencyDown(Object.assign(new Error('Reached the max retries per request limit (which is 3).'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe(true);
  });

  it('follows causes, so a wrapped outage is still one', () => {
    const wrapped = new DomainError('unavailable', 'could not record', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(isDependencyDown(wrapped)).toBe(true);
  });

  it('is false for errors about the data or the work', () => {
    expect(isDependencyDown(driverError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isDependencyDown(driverError('57014', 'canceling statement due to statement timeout'))).toBe(false);
    expect(isDependencyDown(new DomainError('not_found', 'embedding model x not found'))).toBe(false);
    expect(isDependencyDown(new Error('provider answered 503: overloaded'))).toBe(false);
    expect(isDependencyDown(undefined)).toBe(false);
    expect(isDependencyDown('Connection')).toBe(false);
  });
});

describe('retryWhileDependencyDown', () => {
  const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('tries again while the dependency is down, and answers once it is back', async () => {
    let calls = 0;
    const step = async () => {
      if (++calls < 3) throw down();
      return 'stored';
    };
    await expect(retryWhileDependencyDown(step, 10_000)).resolves.toBe('stored');
    expect(calls).toBe(3);
  });

  it('fails at once on any other error, and with the outage once the wait is over', async () => {
    let calls = 0;
    await expect(
      retryWhileDependencyDown(async () => {
        calls++;
        throw new Error('duplicate key');
      }, 10_000),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
    await expect(
      retryWhileDependencyDown(async () => {
        throw down();
      }, 100),
    ).rejects.toThrow('ECONNREFUSED');
  });
});
