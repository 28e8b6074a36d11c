// A Node module-resolution hook, for plain Node and tsx (vite resolves these by itself).
// tfjs-core's ES module build imports its own files without extensions ("./engine") and by
// directory ("./ops"), which Node's ESM resolver refuses. Its gradient registrations exist only in
// that build, so autodiff (the response model's fit) needs them: inside tfjs-core's dist folder,
// a specifier that fails to resolve is retried with ".js" and "/index.js".
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const insideTfjs = typeof context.parentURL === 'string' && context.parentURL.includes('/@tensorflow/tfjs-core/dist/');
    const code = err && typeof err === 'object' ? err.code : undefined;
    if (insideTfjs && (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT')) {
      for (const suffix of ['.js', '/index.js']) {
        try {
          return await next(specifier + suffix, context);
        } catch {
          // try the next form
        }
      }
    }
    throw err;
  }
}
