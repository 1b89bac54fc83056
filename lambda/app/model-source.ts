import { loadModel, loadModelFromArtifacts, TfjsPredictor } from '../adapters/tfjs-predictor';
import { FallbackPredictor } from '../core/predict/fallback-predictor';
import type { ModelStore } from '../ports/learning-store';
import type { Predictor } from '../ports/predictor';
import type { Telemetry } from './telemetry';

/**
 * The predictor the profiler forecasts with: the model the retrainer stored in the table when there is one (its version
 * is read every tick — one small GetItem — and a new version is loaded once), else the model bundled with the function
 * (`bundledDir`), else the statistical fallback. A stored model that cannot be read or loaded is logged and the
 * bundled one answers; a failed version read keeps the model already loaded.
 */
export const modelSource = (
  models: Pick<ModelStore, 'getModelVersion' | 'getModel'>,
  bundledDir: string | undefined,
  telemetry: Pick<Telemetry, 'log'>,
): (() => Promise<Predictor>) => {
  let bundled: Promise<Predictor> | undefined;
  const bundledPredictor = (): Promise<Predictor> => {
    bundled ??= bundledDir === undefined ? Promise.resolve(new FallbackPredictor()) : loadModel(bundledDir).then((m) => new TfjsPredictor(m));
    // A bundle that failed to load is tried again next tick (and predictAll falls back meanwhile).
    bundled.catch(() => (bundled = undefined));
    return bundled;
  };
  let current: { readonly version: string | undefined; readonly predictor: Predictor } | undefined;
  return async () => {
    let version: string | undefined;
    try {
      version = await models.getModelVersion();
    } catch (error) {
      telemetry.log.warn('reading the stored model version failed; forecasting with the model already loaded', { error: (error as Error).message });
      return current?.predictor ?? bundledPredictor();
    }
    if (current !== undefined && current.version === version) return current.predictor;
    if (version !== undefined) {
      try {
        const stored = await models.getModel();
        if (stored !== undefined) {
          const loaded = await loadModelFromArtifacts(stored.modelJson, stored.weights, stored.metadata, `table (${stored.version})`);
          current = { version: stored.version, predictor: new TfjsPredictor(loaded) };
          telemetry.log.info('forecasting with the retrained model from the table', { version: stored.version });
          return current.predictor;
        }
      } catch (error) {
        telemetry.log.error('the stored model could not be loaded; forecasting with the bundled model', { version, error: (error as Error).message });
      }
    }
    current = { version, predictor: await bundledPredictor() };
    return current.predictor;
  };
};
