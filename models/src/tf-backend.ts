import * as tf from '@tensorflow/tfjs';

/**
 * Picks the training backend: the wasm backend (DESIGN.md §8: ~2.5× faster than cpu for this model)
 * and the plain cpu backend when wasm cannot initialise (no WebAssembly, missing .wasm file). Returns
 * the backend that actually runs, which training records in the metadata.
 */
export const selectTrainingBackend = async (preferred: 'wasm' | 'cpu' = 'wasm'): Promise<{ backend: string; note?: string }> => {
  tf.enableProdMode();
  if (preferred === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { backend: tf.getBackend() };
      }
    } catch (cause) {
      await tf.setBackend('cpu');
      return {
        backend: tf.getBackend(),
        note: `wasm backend failed to initialise (${cause instanceof Error ? cause.message : String(cause)}); trained on cpu`,
      };
    }
    await tf.setBackend('cpu');
    return { backend: tf.getBackend(), note: 'wasm backend refused to initialise; trained on cpu' };
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: tf.getBackend() };
};
