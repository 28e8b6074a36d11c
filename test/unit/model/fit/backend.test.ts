import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';

describe('ensureBackend', () => {
  it('starts a backend with working gradients and reports its name', async () => {
    const name = await ensureBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(name);
    expect(tf.getBackend()).toBe(name);
    expect(await ensureBackend()).toBe(name);
    const gradient = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, -2])).dataSync()));
    expect(gradient).toEqual([2, -4]);
  });
});
