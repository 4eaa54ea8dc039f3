// @ts-check
/**
 * Jest's transform of TypeScript: ts-jest, except for the files of src/ that the global setup already
 * transpiled into .test-build/ (test/support/transpile-sources.js, for the child processes): those are
 * taken from there, the same transpileModule output, instead of being transpiled again by each worker
 * (a clean clone has no transform cache: about 10 s of CPU a worker for src/ alone). Any other file, or
 * one whose text is not what was transpiled, goes through ts-jest.
 */
const tsJest = require('ts-jest').default;
const { transpiledOf, transpiledSources } = require('./transpile-sources');

/** Bumped when what this transform gives changes. */
const KEY = ':src-from-test-build-1';

module.exports = {
  /** @param {any} options ts-jest's options, as jest.config.js gives them */
  createTransformer(options) {
    const inner = tsJest.createTransformer(options);
    /** @type {Record<string, string> | undefined | null} */
    let sources = null;
    /** @param {string} text @param {string} path */
    const transpiled = (text, path) => {
      if (sources === null) sources = transpiledSources();
      const code = transpiledOf(text, path, sources);
      if (code === undefined) return undefined;
      // The inline source map names the source as seen from .test-build/: stack traces are to name it where it is.
      const inline = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(code);
      if (!inline) return { code };
      const map = JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8'));
      return { code: code.slice(0, inline.index), map: { ...map, sourceRoot: '', sources: [path] } };
    };
    return {
      canInstrument: inner.canInstrument,
      // ts-jest's key, marked: what this transform cached is not taken for ts-jest's own output, nor the other way round.
      /** @type {typeof inner.getCacheKey} */
      getCacheKey: (...args) => `${inner.getCacheKey(...args)}${KEY}`,
      /** @type {typeof inner.getCacheKeyAsync} */
      getCacheKeyAsync: async (...args) => `${await inner.getCacheKeyAsync(...args)}${KEY}`,
      /** @type {typeof inner.process} */
      process: (text, path, transformOptions) => transpiled(text, path) ?? inner.process(text, path, transformOptions),
      /** @type {typeof inner.processAsync} */
      processAsync: async (text, path, transformOptions) => transpiled(text, path) ?? inner.processAsync(text, path, transformOptions),
    };
  },
};
