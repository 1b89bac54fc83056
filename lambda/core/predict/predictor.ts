import type { Forecast, PredictionInput } from '../domain';

/**
 * Post-restart demand forecasts; implementations answer all inputs of a tick in one batched call. The core's
 * fallback implements it; the handlers take it as a port (lambda/ports/predictor.ts), the tfjs model behind it.
 */
export interface Predictor {
  readonly name: string;
  predict(inputs: readonly PredictionInput[]): Promise<Forecast[]>;
}
