/** Post-restart demand forecasts (the tfjs model, the core's fallback): the interface lives with the core that implements it. */
export type { Predictor } from '../core/predict/predictor';
