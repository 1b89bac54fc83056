/** Hourly prices of one instance type in the deployment's region (USD, Linux/UNIX, shared tenancy). */
export interface TypePrices {
  /** From the AWS Price List (Pricing GetProducts); absent when it has no answer for the type. */
  readonly onDemandHourlyUsd?: number;
  /** The current Spot price per Availability Zone (DescribeSpotPriceHistory); empty when none. */
  readonly spotByZone: ReadonlyMap<string, number>;
}

export interface PriceQuote {
  readonly prices: ReadonlyMap<string, TypePrices>;
  /** What could not be priced, and why (a type the Price List does not know, a failed call): said, never hidden. */
  readonly notes: readonly string[];
}

/** Current prices of the managed instance types (the profiler's cost metrics and staging's "cheapest covering type"). */
export interface PriceReader {
  readPrices(instanceTypes: readonly string[], now: number): Promise<PriceQuote>;
}
