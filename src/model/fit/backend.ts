/**
 * Picks the TensorFlow.js backend the fit runs on, once per process:
 *
 * 1. `tensorflow` from '@tensorflow/tfjs-node', when that package is installed (native, fastest);
 * 2. `wasm` from '@tensorflow/tfjs-backend-wasm' (its .wasm files ship inside the package, so it
 *    works offline; in Node the package finds them next to its own bundle);
 * 3. `cpu` from '@tensorflow/tfjs-backend-cpu' (plain JavaScript), when wasm cannot start.
 *
 * tfjs-core alone registers no gradients, so autodiff needs the gradient registrations too; they
 * are loaded from tfjs-core's ES module build and checked with one small gradient, so a broken
 * set-up fails here with a clear message rather than in the middle of a fit.
 *
 * tfjs-core's ES module build uses extensionless and directory imports, which vite (vitest)
 * resolves but plain Node ESM does not: processes started through src/main.ts install a
 * resolution hook for them first (src/runtime/tfjs-resolve-hook.mjs).
 */
import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let ready: Promise<BackendName> | undefined;

async function tryBackend(name: BackendName, load: () => Promise<unknown>): Promise<boolean> {
  try {
    await load();
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function loadGradients(): Promise<void> {
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
}

/** Throws unless a gradient through the ops the fit uses comes out right. */
function checkGradients(): void {
  const value = tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(tf.square(x)), tf.softplus(x))))(tf.tensor1d([0]));
    return g.dataSync()[0];
  });
  // d/dx [sigmoid(x²)·softplus(x)] at 0 = sigmoid(0)·sigmoid(0) = 0.25.
  if (value === undefined || Math.abs(value - 0.25) > 1e-5) {
    throw new Error(`tfjs gradients are not working (got ${String(value)} for a known derivative of 0.25)`);
  }
}

async function choose(): Promise<BackendName> {
  // A variable specifier: tfjs-node is optional and not a dependency, so the type checker and the
  // bundler must not try to resolve it.
  const nativePackage = '@tensorflow/tfjs-node';
  let name: BackendName | undefined;
  if (await tryBackend('tensorflow', () => import(/* @vite-ignore */ nativePackage))) name = 'tensorflow';
  else if (await tryBackend('wasm', () => import('@tensorflow/tfjs-backend-wasm'))) name = 'wasm';
  else if (await tryBackend('cpu', () => import('@tensorflow/tfjs-backend-cpu'))) name = 'cpu';
  if (name === undefined) throw new Error('no TensorFlow.js backend could be started (tried tensorflow, wasm, cpu)');
  await tf.ready();
  await loadGradients();
  checkGradients();
  return name;
}

/**
 * Starts the best available backend (see the module comment) and returns its name; later calls
 * return the same answer without starting anything again.
 */
export function ensureBackend(): Promise<BackendName> {
  ready ??= choose().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}
