import { DIMENSIONS, type Dimension, type Forecast, type ForecastQuantile, type Resources } from '../domain';

/**
 * The demand vector a forecast predicts at `quantile`, or undefined for an 'unknown' forecast, so a
 * caller that needs a number must handle "no forecast" explicitly (fail closed) instead of getting 0.
 */
export const forecastDemand = (forecast: Forecast, quantile: ForecastQuantile): Resources | undefined => {
  if (forecast.kind === 'unknown') return undefined;
  const pick = (d: Dimension): number => forecast.dims[d][quantile];
  const [vcpu, memoryGiB, networkMbps, diskIops] = DIMENSIONS.map(pick) as [number, number, number, number];
  return { vcpu, memoryGiB, networkMbps, diskIops };
};
