import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { isWeftError } from './weft-error.js';

describe('resolveConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = resolveConfig({});
    expect(config.PORT).toBe(3003);
    expect(config.WEFT_DATA_DIR).toBe('./.weft');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('names the variable and what is expected when a value is wrong', () => {
    try {
      resolveConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
      expect.unreachable('resolveConfig accepted PORT=abc');
    } catch (error) {
      expect(isWeftError(error, 'WEFT_CONFIG_INVALID')).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain('PORT must be an integer between 1 and 65535 (got "abc")');
      expect(message).toContain('LOG_LEVEL must be one of');
    }
  });

  it('rejects a DATABASE_URL that is not a postgres URL', () => {
    expect(() => resolveConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres/);
  });
});
