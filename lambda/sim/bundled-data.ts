import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository's data/ folder (bundled traces, Spot Advisor slice, price table; see data/SOURCES.md). */
export const BUNDLED_DATA_DIR = fileURLToPath(new URL('../../data', import.meta.url));

export const BUNDLED_SPOT_ADVISOR_FILE = join(BUNDLED_DATA_DIR, 'aws-spot-advisor-snapshots', 'spot-advisor-data_2025-06-28_us-east-1_linux.json');
export const BUNDLED_PRICE_FILE = join(BUNDLED_DATA_DIR, 'prices', 'us-east-1-linux.csv');
/** Region and OS of the bundled Spot Advisor slice and price table. */
export const BUNDLED_REGION = 'us-east-1';
export const BUNDLED_OS = 'Linux';

/** The trained post-restart demand model the profiler uses when it is present (models/, issue 5). */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../models/post-restart-demand', import.meta.url));
