import type { Forecast, PredictionInput } from '../../core/domain';
import { predictNaive } from '../../core/predict/naive-forecast';
import type { Predictor } from '../../ports/predictor';

/** The ablation's predictor (`spotwise-naive`): steady p90 × 1.15 per dimension, nothing learned. */
export class NaivePredictor implements Predictor {
  readonly name = 'naive';

  predict(inputs: readonly PredictionInput[]): Promise<Forecast[]> {
    return Promise.resolve(inputs.map(predictNaive));
  }
}
