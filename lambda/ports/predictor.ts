import type { Forecast, PredictionInput } from '../core/domain';

/** Post-restart demand forecasts; implementations answer all inputs of a tick in one batched call. */
export interface Predictor {
  readonly name: string;
  predict(inputs: readonly PredictionInput[]): Promise<Forecast[]>;
}
