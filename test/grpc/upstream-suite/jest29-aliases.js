// The upstream suite was written for Jest 29, whose alias matchers Jest 30 removed: delegate them to their current names.
const aliases = { toBeCalled: 'toHaveBeenCalled', toBeCalledTimes: 'toHaveBeenCalledTimes', toBeCalledWith: 'toHaveBeenCalledWith' };
const matchers = {};
for (const [alias, target] of Object.entries(aliases)) {
  matchers[alias] = function (received, ...args) {
    try {
      (this.isNot ? expect(received).not : expect(received))[target](...args);
      return { pass: !this.isNot, message: () => '' };
    } catch (error) {
      return { pass: this.isNot, message: () => error.message };
    }
  };
}
// toThrowError: a function is delegated; a value (from .rejects) is the error itself, checked as toThrow would.
matchers.toThrowError = function (received, expected) {
  if (typeof received === 'function') {
    try {
      (this.isNot ? expect(received).not : expect(received)).toThrow(expected);
      return { pass: !this.isNot, message: () => '' };
    } catch (error) {
      return { pass: this.isNot, message: () => error.message };
    }
  }
  const message = received && received.message;
  const pass =
    expected === undefined ? received instanceof Error
    : typeof expected === 'string' ? typeof message === 'string' && message.includes(expected)
    : expected instanceof RegExp ? expected.test(message)
    : typeof expected === 'function' ? received instanceof expected
    : false;
  return { pass, message: () => `expected ${String(received)} to be an error matching ${String(expected)}` };
};
expect.extend(matchers);
